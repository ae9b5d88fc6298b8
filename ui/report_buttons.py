"""The enterprise page's download buttons for the firm's 亩均效益分析报告 (PDF and HTML).

Reports are rendered only when a button is clicked (a callable `data`, run by Streamlit on its
own thread), so opening a page never pays for a PDF nobody downloads. Every click reuses the
cached report context of the year and profile (`cache.report_context`), so a click costs one
render (~0.06 s), not a re-scoring of five years.
"""

from __future__ import annotations

import math

import streamlit as st

from muyun import labels, queries, report
from ui import cache

# A batch is rendered in the server process while the browser waits, and the whole ZIP is held
# in memory (Streamlit keeps download data in RAM). Measured on the 2-core target with the demo
# city: 16.8 reports/s in one process (12/s inside a loaded server), ~60 KB per PDF; the server
# sits at ~410 MB after every page and one report, and a batch peaks at about 4× its ZIP size
# on top (200 reports: 12.6 MB ZIP, peak 462–473 MB; 483 reports: 30 MB ZIP, peak 531 MB). The
# 500 MB server cap therefore keeps the limit at 200 (every 规上 industry fits); larger sets
# are narrowed by tier or town, or made by the CLI, which does whole industries on disk.
BATCH_LIMIT = 200
# What the wait hint assumes: below the measured rates, for a server shared with other users.
BATCH_REPORTS_PER_SECOND = 10


def render(year: int, credit_code: str, profile_name: str) -> None:
    """Draw the PDF and HTML download buttons for one firm-year."""
    db = cache.database()
    prof = cache.load_profile(profile_name)
    basis = cache.current_basis()  # read here: the download callables run outside the script
    name = str(queries.firm_row(cache.scored_year(year, profile_name), credit_code)["name"])

    def pdf() -> bytes:
        context = cache.report_context(year, profile_name, basis)
        return report.render_pdf(db.reader(), year, credit_code, prof, context=context)

    def html() -> str:
        context = cache.report_context(year, profile_name, basis)
        return report.render_html(db.reader(), year, credit_code, prof, context=context)

    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        labels.REPORT_DOWNLOAD.format(fmt="PDF"),
        data=pdf,
        file_name=report.report_filename(credit_code, name, ".pdf"),
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key="report_pdf",
    )
    right.download_button(
        labels.REPORT_DOWNLOAD.format(fmt="HTML"),
        data=html,
        file_name=report.report_filename(credit_code, name, ".html"),
        mime="text/html",
        on_click="ignore",
        icon=":material/html:",
        key="report_html",
    )


def render_batch(year: int, codes: list[str], profile_name: str) -> None:
    """One button for a ZIP of the PDFs of `codes` (the filtered ranking), when few enough."""
    text = labels.RANKINGS_TEXT
    if not codes:
        return
    if len(codes) > BATCH_LIMIT:
        st.caption(text["batch_too_many"].format(n=len(codes), limit=BATCH_LIMIT))
        return
    db = cache.database()
    prof = cache.load_profile(profile_name)
    basis = cache.current_basis()  # read here: the download callable runs outside the script
    chosen = list(codes)

    def archive() -> bytes:
        # One process: worker processes would each load pandas and break the server's memory cap.
        context = cache.report_context(year, profile_name, basis)
        return report.batch_zip(db.reader(), year, chosen, prof, context=context)

    seconds = max(1, math.ceil(len(chosen) / BATCH_REPORTS_PER_SECOND))
    st.download_button(
        text["batch"].format(n=len(chosen)),
        data=archive,
        file_name=text["batch_file"].format(year=year),
        mime="application/zip",
        on_click="ignore",
        icon=":material/folder_zip:",
        help=text["batch_help"].format(seconds=seconds),
        key="report_batch",
    )

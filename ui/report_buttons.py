"""The enterprise page's download buttons for the firm's 亩均效益分析报告 (PDF and HTML).

Reports are rendered only when a button is clicked (a callable `data`, run by Streamlit on its
own thread), so opening a page never pays for a PDF nobody downloads. Every click reuses the
cached report context of the year and profile (`cache.report_context`), so a click costs one
render (~0.06 s), not a re-scoring of five years.
"""

from __future__ import annotations

import math
import time

import streamlit as st

from muyun import formatting, labels, queries, report
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
BATCH_STATE = "report_batch_zip"  # (what was asked, the ZIP) of this session's last batch


def render(year: int, credit_code: str, profile_name: str) -> None:
    """Draw the PDF and HTML download buttons for one firm-year."""
    db = cache.database()
    prof = cache.load_profile(profile_name)
    basis = cache.current_basis()  # read here: the download callables run outside the script
    row = queries.firm_row(cache.scored_year(year, profile_name), credit_code)
    if row is None:
        return
    name = str(row["name"])

    def pdf() -> bytes:
        context = cache.report_context(year, profile_name, basis)
        return report.render_pdf(db.reader(), year, credit_code, prof, context=context)

    def html() -> str:
        context = cache.report_context(year, profile_name, basis)
        return report.render_html(db.reader(), year, credit_code, prof, context=context)

    left, right, _ = st.columns([2, 2, 3])  # room for “下载分析报告（PDF）” in full
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
        st.caption(
            text["batch_too_many"].format(n=formatting.number(len(codes), 0), limit=BATCH_LIMIT)
        )
        return
    db = cache.database()
    prof = cache.load_profile(profile_name)
    basis = cache.current_basis()
    chosen = list(codes)
    extra = labels.BATCH_EXTRA
    # Built in the script run on a click (not as a deferred download), so the page can show a
    # progress bar with the time left; the finished ZIP waits in the session for its download.
    wanted = (year, profile_name, basis, tuple(chosen))
    ready = st.session_state.get(BATCH_STATE)
    if ready is not None and ready[0] == wanted:
        st.download_button(
            text["batch"].format(n=len(chosen)),
            data=ready[1],
            file_name=text["batch_file"].format(year=year),
            mime="application/zip",
            on_click="ignore",
            icon=":material/folder_zip:",
            key="report_batch",
        )
        return
    seconds = max(1, math.ceil(len(chosen) / BATCH_REPORTS_PER_SECOND))
    if not st.button(
        extra["make"].format(n=len(chosen), seconds=seconds),
        icon=":material/folder_zip:",
        help=text["batch_help"].format(seconds=seconds),
        key="report_batch_make",
    ):
        return
    bar = st.progress(0.0, text=extra["starting"])
    started = time.monotonic()

    def step(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        left = math.ceil((total - done) / rate)
        bar.progress(done / total, text=extra["progress"].format(done=done, total=total, left=left))

    # One process: worker processes would each load pandas and break the server's memory cap.
    context = cache.report_context(year, profile_name, basis)
    data = report.batch_zip(db.reader(), year, chosen, prof, context=context, on_progress=step)
    st.session_state[BATCH_STATE] = (wanted, data)
    st.rerun()

"""The enterprise page's download buttons for the firm's 亩均效益分析报告 (PDF and HTML).

Reports are rendered only when a button is clicked (a callable `data`, run by Streamlit on its
own thread), so opening a page never pays for a PDF nobody downloads.
"""

from __future__ import annotations

import streamlit as st

from muyun import labels, queries, report
from ui import cache

# A batch is rendered while the browser waits for the download (≥ 5 reports/s): keep it short.
BATCH_LIMIT = 200


def render(year: int, credit_code: str, profile_name: str) -> None:
    """Draw the PDF and HTML download buttons for one firm-year."""
    db = cache.database()
    prof = cache.load_profile(profile_name)
    name = str(queries.firm_row(cache.scored_year(year, profile_name), credit_code)["name"])

    def pdf() -> bytes:
        return report.render_pdf(db.reader(), year, credit_code, prof)

    def html() -> str:
        return report.render_html(db.reader(), year, credit_code, prof)

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
    chosen = list(codes)

    def archive() -> bytes:
        # One process: worker processes would each load pandas and break the server's memory cap.
        return report.batch_zip(db.reader(), year, chosen, prof)

    st.download_button(
        text["batch"].format(n=len(chosen)),
        data=archive,
        file_name=text["batch_file"].format(year=year),
        mime="application/zip",
        on_click="ignore",
        icon=":material/folder_zip:",
        key="report_batch",
    )

"""Page-wide CSS officials need: a print layout (Ctrl+P gives the content on A4 — no sidebar,
toolbar or buttons, full width, cards and charts kept whole) and a Chinese file uploader."""

from __future__ import annotations

import streamlit as st

from muyun import labels

# Static CSS only (no data in it), so st.html's unsafe markup concern does not arise.
PRINT_CSS = """<style>
@page { size: A4 portrait; margin: 12mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"],
  [data-testid="stDownloadButton"], [data-testid="stExpander"],
  [data-testid="stBaseButton-secondary"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] {
    margin-left: 0 !important; width: 100% !important; overflow: visible !important; }
  /* Charts keep the pixel width they were drawn at on screen; zoom the block so a 1440 px
     layout fits the 186 mm of an A4 line instead of cutting the right-hand charts. */
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important;
    zoom: 0.6; }
  [data-testid="stMetric"], [data-testid="stPlotlyChart"], [data-testid="stDataFrame"],
  [data-testid="stHorizontalBlock"] { break-inside: avoid; }
}
</style>"""


def apply() -> None:
    """Add the print stylesheet to the page (invisible on screen)."""
    st.html(PRINT_CSS)


def uploader_in_chinese() -> None:
    """Streamlit's file uploader says "Upload" and "200MB per file" in English whatever the
    locale; this swaps both for Chinese (the real limit, from server.maxUploadSize)."""
    text = labels.DATA_EXTRA
    limit = text["limit"].format(mb=st.get_option("server.maxUploadSize"))
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
        "{display:none}"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
        f'::after{{content:"{text["browse"]}"}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span{display:none}'
        '[data-testid="stFileUploaderDropzoneInstructions"] > div::before'
        f'{{content:"{text["drop"]}";display:block;font-weight:600}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] > div::after'
        f'{{content:"{limit}";font-size:0.85em}}'
        "</style>"
    )

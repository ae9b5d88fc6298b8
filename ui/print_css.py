"""Page-wide CSS officials need: a print layout (Ctrl+P gives the content on A4 — no sidebar,
toolbar or buttons, full width, cards and charts kept whole) and a Chinese file uploader."""

from __future__ import annotations

import streamlit as st

from muyun import importer, labels

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
  /* Plotly draws a chart at the width of its box when the print layout applies, and keeps it
     for the page: a fixed block width (zoomed to the 186 mm of an A4 line: 1150 × 0.6 ≈ 690 px)
     gives every chart a box that fits the paper, whatever the screen was; each chart column
     gets a whole line. */
  [data-testid="stMainBlockContainer"] { width: 1150px !important; max-width: 1150px !important;
    padding: 0 !important; zoom: 0.6; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) {
    flex-direction: column !important; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) > [data-testid="stColumn"] {
    width: 100% !important; flex: 1 1 auto !important; }
  [data-testid="stMetric"], [data-testid="stPlotlyChart"], [data-testid="stDataFrame"],
  [data-testid="stHorizontalBlock"] { break-inside: avoid; }
}
</style>"""


def apply() -> None:
    """Add the print stylesheet to the page (invisible on screen)."""
    st.html(PRINT_CSS)


def uploader_in_chinese() -> None:
    """Streamlit's file uploader says "Upload" and "200MB per file" in English whatever the
    locale; this swaps both for Chinese. The limit shown is the one that applies: the smaller of
    Streamlit's server.maxUploadSize and the importer's own MAX_FILE_BYTES."""
    text = labels.DATA_EXTRA
    mb = min(int(st.get_option("server.maxUploadSize")), importer.MAX_FILE_BYTES // 2**20)
    limit = text["limit"].format(mb=mb)
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

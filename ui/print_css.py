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
  /* The block is a fixed width zoomed to the 186 mm of an A4 line (1150 × 0.6 ≈ 690 px), each
     chart column a whole line. A Vega-Lite chart redraws at the width its box measures, zoom
     included, so its box is zoomed back to 1 (5/3 × 0.6): it redraws a whole line wide at full
     size, not at 60 %. Until then (a printout may not wait) Streamlit scales the SVG drawn on
     screen down into the box, also from a wide monitor. */
  [data-testid="stMainBlockContainer"] { width: 1150px !important; max-width: 1150px !important;
    padding: 0 !important; zoom: 0.6; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stVegaLiteChart"]) {
    flex-direction: column !important; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stVegaLiteChart"])
    > [data-testid="stColumn"] { width: 100% !important; flex: 1 1 auto !important; }
  [data-testid="stVegaLiteChart"] { zoom: 1.6667; }
  /* Cards, charts and tables kept whole, a heading or note with what follows it; a column of
     charts may break between them (kept whole, it would push its charts a page on). */
  [data-testid="stMetric"], [data-testid="stVegaLiteChart"], [data-testid="stDataFrame"],
  [data-testid="stHorizontalBlock"]:not(:has([data-testid="stVegaLiteChart"])) {
    break-inside: avoid; }
  [data-testid="stElementContainer"]:has([data-testid="stHeading"]),
  [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) {
    break-after: avoid; }
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

"""Documents of the evaluation cycle: each firm's data sheet (一企一单) and the public notice list.

Why these documents: before the result is noticed, every firm signs off the figures the score is
computed from, so the sheet lists every input with its unit and every lease, counted or not; the
notice list is what goes on the public board, so it carries name, credit code, industry, town
and tier only — no confidential figure. PDFs use the report's font setup (Noto Sans SC, a
subset of exactly the characters each file shows, `report_templates.fonts`); text is placed in
cells, never markup, so any firm name is only ever text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from muyun import evaluation, export, labels, report
from muyun.report_templates.fonts import glyph_cache

T = labels.DATASHEET_TEXT
FAMILY = "cjk"
NOTICE_COLUMNS = ("name", "credit_code", "industry", "town", "tier")
HEADING = FontFace(emphasis="", color=(18, 53, 91), fill_color=(232, 238, 245))


class _Pdf(FPDF):
    def __init__(self, font: Path, footer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FAMILY, "", str(font))
        font_face = self.fonts[FAMILY]
        if isinstance(font_face, TTFFont):  # an exact subset already (report_templates.fonts)
            font_face.ttfont.recalcBBoxes = False
        self.set_creator("muyun")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, size=7)
        self.set_text_color(110, 110, 110)
        self.cell(self.epw / 2, 5, self.footer_text, align="L")
        self.cell(self.epw / 2, 5, T["page"].format(page=self.page_no()), align="R")


def _render(text: str, draw: Callable[[Path], bytearray]) -> bytes:
    """Subset the CJK font to `text`, then let `draw(font_path)` build the PDF bytes."""
    subset = glyph_cache(report.cjk_font_path()).subset_bytes(text + T["page"] + "0123456789")
    handle, name = tempfile.mkstemp(suffix=".ttf", prefix="muyun-font-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(subset)
        return bytes(draw(Path(name)))
    finally:
        os.unlink(name)


# ── data sheets ─────────────────────────────────────────────────────────────────────────────


def sheet_pdf(con: duckdb.DuckDBPyConnection, run_id: int, codes: Iterable[str]) -> bytes:
    """Data sheets as one PDF, one firm per page (a single firm or a batch, e.g. one town's)."""
    run = evaluation.get_run(con, run_id)
    if run is None:
        raise evaluation.EvaluationError(labels.EVAL_TEXT["no_run"].format(run=run_id))
    pages = []
    for code in codes:
        name = con.execute(
            "SELECT name FROM eval_enterprises WHERE run_id = ? AND credit_code = ?",
            [run.id, code],
        ).fetchall()
        if not name:
            raise evaluation.EvaluationError(
                labels.EVAL_TEXT["no_firm"].format(run=run.id, code=code)
            )
        pages.append((code, str(name[0][0]), evaluation.firm_sheet(con, run.id, code)))
    title = T["sheet_title"].format(year=run.year)
    intro = T["sheet_intro"].format(year=run.year, run=run.id, profile=run.profile_name)
    footer = T["sheet_footer"].format(run=run.id, profile=run.profile_name)
    text = (
        title
        + intro
        + footer
        + T["sign"]
        + T["answers"]
        + "".join(name + "".join(sheet.to_numpy().ravel().astype(str)) for _, name, sheet in pages)
    )
    header = (T["col_item"], T["col_value"], T["col_unit"])

    def draw(font: Path) -> bytearray:
        pdf = _Pdf(font, footer)
        pdf.set_title(title)
        for code, name, sheet in pages:
            pdf.add_page()
            pdf.set_font(FAMILY, size=15)
            pdf.cell(0, 9, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FAMILY, size=10)
            pdf.cell(0, 6, f"{name}（{code}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FAMILY, size=8)
            pdf.multi_cell(0, 4.5, intro, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
            pdf.set_font(FAMILY, size=9)
            with pdf.table(
                col_widths=(60, 80, 30), line_height=5.5, headings_style=HEADING
            ) as table:
                table.row(header)
                for label, value, unit in sheet.itertuples(index=False):
                    table.row((str(label), str(value), str(unit)))
            pdf.ln(4)
            pdf.multi_cell(0, 6, T["answers"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
            pdf.multi_cell(0, 6, T["sign"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return pdf.output()

    return _render(text, draw)


# ── the notice list ─────────────────────────────────────────────────────────────────────────


def notice_file(con: duckdb.DuckDBPyConnection, run_id: int, suffix: str) -> bytes:
    """The notice list as .xlsx or .pdf bytes, with the notice period in the title."""
    run = evaluation.get_run(con, run_id)
    if run is None:
        raise evaluation.EvaluationError(labels.EVAL_TEXT["no_run"].format(run=run_id))
    frame = evaluation.notice_list(con, run_id)
    period = (
        T["period"].format(start=run.notice_start, end=run.notice_end)
        if run.notice_start
        else T["no_period"]
    )
    title = T["notice_title"].format(year=run.year)
    if suffix == ".xlsx":
        # A sheet has no title line, so the notice period travels as a column of its own: a
        # list forwarded without its cover mail still says when objections may be made.
        names = {**T["notice_headers"], "notice_period": labels.NOTICE_EXTRA["period"]}
        return export.to_excel_bytes(
            frame.assign(notice_period=period),
            header=lambda c: names.get(c, c),
            sheet_name=T["notice_sheet"],
        )
    if suffix != ".pdf":
        raise evaluation.EvaluationError(
            labels.EVAL_CLI_TEXT["bad_notice_out"].format(suffix=suffix)
        )
    note = T["notice_note"].format(period=period)
    footer = T["notice_footer"].format(run=run.id, period=period)
    headers = tuple(T["notice_headers"][c] for c in NOTICE_COLUMNS)
    text = title + note + footer + "".join(headers) + "".join(frame.to_numpy().ravel().astype(str))

    def draw(font: Path) -> bytearray:
        pdf = _Pdf(font, footer)
        pdf.set_title(title)
        pdf.add_page()
        pdf.set_font(FAMILY, size=15)
        pdf.cell(0, 9, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, size=9)
        pdf.multi_cell(0, 5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.set_font(FAMILY, size=8)
        with pdf.table(
            col_widths=(62, 44, 26, 28, 18), line_height=5, headings_style=HEADING
        ) as table:
            table.row(headers)
            for row in frame.itertuples(index=False):
                table.row(tuple(str(v) for v in row))
        return pdf.output()

    return _render(text, draw)

"""The report as an A4 PDF drawn with fpdf2, the CJK font embedded (fpdf2 subsets it per file).

Why fpdf2 drawing primitives for the charts: no browser, no network and no plotting library are
needed on the official's machine, and the same chart code draws the HTML's SVG. Text is placed
with cells and tables (never markdown), so an enterprise name is only ever text.
"""

from __future__ import annotations

import dataclasses
import os
import re
import string
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import TextMode, XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from fpdf.util import Padding

from muyun import labels
from muyun.report_templates.charts import (
    RADAR_MIN_AXES,
    PdfCanvas,
    draw_radar,
    draw_trend,
    leading_span,
)
from muyun.report_templates.fonts import glyph_cache

if TYPE_CHECKING:
    from muyun.report import ReportData, Table

T = labels.REPORT_TEXT
FAMILY = "cjk"
NAVY = (18, 53, 91)
HEAD_FILL = (232, 238, 245)
EM_FILL = (245, 247, 250)
FLAG_FILL = (253, 236, 234)
FLAG_TEXT = (170, 17, 17)
GREY = (110, 110, 110)
RULE = (160, 172, 186)
CHART_W, CHART_H = 88.0, 70.0


class _ReportPDF(FPDF):
    """A4 portrait with a footer naming the profile, the date and the page."""

    def __init__(self, data: ReportData, font: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.sections = 0
        self.set_margins(15, 14, 15)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FAMILY, "", str(font))
        # The font is already an exact subset with final outlines (report_templates.fonts):
        # skip fontTools' outline re-encoding when fpdf2 writes it.
        added = self.fonts[FAMILY]
        assert isinstance(added, TTFFont)  # add_font of a file always gives a TrueType font
        added.ttfont.recalcBBoxes = False
        self.set_title(f"{data.name} {T['title']} {data.year}")
        self.set_creator("muyun")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, size=7)
        self.set_text_color(*GREY)
        left = T["footer"].format(profile=self.data.profile_name, date=self.data.generated)
        right = T["footer_page"].format(page=self.page_no(), pages="{nb}")
        self.cell(self.epw / 2, 5, left, align="L")
        self.cell(self.epw / 2, 5, right, align="R")


def _heading(pdf: _ReportPDF, key: str) -> None:
    """A numbered section heading; numbers follow the sections actually present."""
    text = T["section_number"].format(
        number=T["section_numerals"][pdf.sections], title=T[f"section_{key}"]
    )
    pdf.sections += 1
    if pdf.get_y() > pdf.page_break_trigger - 30:
        pdf.add_page()
    pdf.ln(3)
    y = pdf.get_y()
    pdf.set_fill_color(*NAVY)
    pdf.rect(pdf.l_margin, y + 0.8, 1.2, 5.2, style="F")
    pdf.set_x(pdf.l_margin + 3)
    pdf.set_font(FAMILY, size=11.5)
    pdf.set_text_color(*NAVY)
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.15):
        pdf.set_draw_color(*NAVY)
        pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _plain(pdf: FPDF) -> None:
    """Black text on white: fpdf2 tables take their base cell style from the current state."""
    pdf.set_fill_color(255, 255, 255)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)


def _kv(pdf: FPDF, pairs: tuple[tuple[str, str], ...]) -> None:
    _plain(pdf)
    pdf.set_font(FAMILY, size=9)
    with pdf.table(
        col_widths=(32, 148),
        first_row_as_headings=False,
        line_height=5.2,
        text_align=("LEFT", "LEFT"),
        padding=(1.0, 1.5),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for key, value in pairs:
            row = table.row()
            row.cell(key, style=FontFace(color=NAVY, fill_color=HEAD_FILL))
            row.cell(value)


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace("—", "").lstrip("+-")
    return bool(stripped) and stripped.replace(".", "", 1).isdigit()


def _table(pdf: FPDF, table: Table, widths: tuple[float, ...], size: float) -> None:
    _plain(pdf)
    pdf.set_font(FAMILY, size=size)
    heading = FontFace(emphasis="", color=NAVY, fill_color=HEAD_FILL)
    with pdf.table(
        col_widths=widths,
        headings_style=heading,
        line_height=size * 0.5 + 0.6,
        text_align="LEFT",
        padding=(0.8, 1.0),
        repeat_headings=1,
    ) as out:
        head = out.row()
        for cell in table.header:
            head.cell(cell)
        for i, cells in enumerate(table.rows):
            style = None
            if i in table.emphasis:
                style = FontFace(fill_color=EM_FILL)
            elif i in table.flagged:
                style = FontFace(color=FLAG_TEXT, fill_color=FLAG_FILL)
            row = out.row(style=style)
            span = leading_span(cells)
            row.cell(cells[0], colspan=span)
            for j, cell in enumerate(cells[span:], start=span):
                row.cell(cell, align="RIGHT" if j > 0 and _numeric(cell) else "LEFT")


# Chinese typesetting: a line never starts with closing punctuation ("，" alone at the start of
# a line read as a typo); such a mark hangs at the end of the line before instead.
CLOSING = frozenset("，。；：、）》」』”’！？…%")
# Numbers, latin words and their separators stay whole; every other character may break.
_TOKEN = re.compile(r"[A-Za-z0-9.,%+\-/]+|\s+|.")


def wrap_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines of at most `width` mm in the current font (a closing mark may
    hang past it), breaking between CJK characters and never inside a number."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKEN.findall(paragraph):
            if line and token[0] not in CLOSING and pdf.get_string_width(line + token) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        lines.append(line.rstrip())
    return lines


def _block(pdf: FPDF, x: float, width: float, height: float, text: str) -> None:
    """Lines of `text` at `x`, kept on one page when they fit one (no sentence split across a
    page break)."""
    lines = wrap_lines(pdf, text, width)
    if pdf.get_y() + len(lines) * height > pdf.page_break_trigger:
        pdf.add_page()
    for line in lines:
        pdf.set_x(x)
        pdf.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _paragraphs(pdf: FPDF, items: tuple[str, ...], *, bullet: bool, size: float = 9) -> None:
    pdf.set_font(FAMILY, size=size)
    for item in items:
        if bullet:
            lines = wrap_lines(pdf, item, pdf.epw - 6)
            if pdf.get_y() + len(lines) * 5.2 > pdf.page_break_trigger:
                pdf.add_page()
            pdf.set_x(pdf.l_margin + 2)
            pdf.cell(4, 5.2, "·")
            _block(pdf, pdf.l_margin + 6, pdf.epw - 6, 5.2, item)
        else:
            _block(pdf, pdf.l_margin, pdf.epw, 5.2, item)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, size=7.5)
    pdf.set_text_color(*GREY)
    pdf.ln(1)
    _block(pdf, pdf.l_margin, pdf.epw, 4, text)
    pdf.set_text_color(0, 0, 0)


def _charts(pdf: FPDF, data: ReportData) -> None:
    if pdf.get_y() + CHART_H + 8 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(*NAVY)
    x_right = pdf.l_margin + pdf.epw - CHART_W
    if data.radar:
        title = T["radar_title"] if len(data.radar) >= RADAR_MIN_AXES else T["bars_title"]
        pdf.text(pdf.l_margin, top + 3, title)
        draw_radar(
            PdfCanvas(pdf, pdf.l_margin, top + 4, FAMILY),
            CHART_W,
            CHART_H,
            data.radar,
            data.radar_cap,
            (T["legend_firm"], T["legend_average"], T["legend_benchmark"]),
        )
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(*NAVY)
    pdf.text(x_right, top + 3, T["trend_title"])
    draw_trend(
        PdfCanvas(pdf, x_right, top + 4, FAMILY),
        CHART_W,
        CHART_H,
        data.trend,
        T["trend_missing"],
        T["trend_axis"],
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, top + CHART_H + 6)


def _charset(data: ReportData) -> str:
    """Every character the PDF can draw: the report's strings, the labels, digits and ASCII."""
    chars: set[str] = set(string.printable) | set("·—−→×÷±%，。：；（）、“”")
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            chars.update(item)
        elif isinstance(item, tuple | list | frozenset | set):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    for group in (T, labels.TIER_CLASS, labels.REPORT_SHORT_NAMES):
        for text in group.values():
            chars.update(text)
    chars.update(labels.DEMO_NOTICE)
    return "".join(sorted(chars))


def render(data: ReportData, font: Path) -> bytes:
    """The PDF bytes of one firm's report."""
    subset = glyph_cache(font).subset_bytes(_charset(data))
    handle, name = tempfile.mkstemp(suffix=".ttf", prefix="muyun-font-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(subset)
        return _render(data, Path(name))
    finally:
        os.unlink(name)


def _render(data: ReportData, font: Path) -> bytes:
    pdf = _ReportPDF(data, font)
    pdf.add_page()
    pdf.set_font(FAMILY, size=17)
    pdf.set_text_color(*NAVY)
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.25):
        pdf.set_draw_color(*NAVY)
        pdf.multi_cell(0, 8.5, data.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=13)
    pdf.cell(0, 7, T["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(*GREY)
    subtitle = T["subtitle"].format(year=data.year, profile=data.profile_name)
    pdf.multi_cell(0, 5, f"{subtitle} · {T['issuer']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    if data.demo:
        pdf.ln(1.5)
        pdf.set_fill_color(255, 244, 229)
        pdf.set_draw_color(240, 160, 48)
        pdf.set_text_color(138, 75, 0)
        pdf.set_font(FAMILY, size=8.5)
        pdf.multi_cell(
            0,
            5,
            labels.DEMO_NOTICE,
            border=1,
            fill=True,
            padding=Padding(1.5, 1.5, 1.5, 1.5),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)

    _heading(pdf, "firm")
    _kv(pdf, data.firm)
    _heading(pdf, "result")
    if data.tier:
        r, g, b = (int(labels.TIER_COLOURS[data.tier][i : i + 2], 16) for i in (1, 3, 5))
        pdf.set_fill_color(r, g, b)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font(FAMILY, size=11)
        badge = f" {T['tier_value'].format(tier=data.tier, name=data.tier_class)} "
        pdf.cell(pdf.get_string_width(badge) + 4, 7, badge, fill=True, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(9)
    _kv(pdf, data.result)
    if data.computation is not None:
        _heading(pdf, "table")
        _table(pdf, data.computation, (31, 21, 17, 29, 14, 10, 14, 44), 7.5)
        _note(pdf, data.computation_note)
    if data.comparison is not None:
        _heading(pdf, "compare")
        _table(pdf, data.comparison, (44, 26, 28, 28, 24, 30), 8)
        for note in data.comparison_notes:
            _note(pdf, note)
    _heading(pdf, "charts" if len(data.radar) >= RADAR_MIN_AXES else "charts_bars")
    _charts(pdf, data)
    if data.gap.lines:
        _heading(pdf, "gap")
        _paragraphs(pdf, data.gap.lines, bullet=True)
    if data.policies:
        _heading(pdf, "policy")
        lines = tuple(T["policy_line"].format(title=t, text=x) for t, x in data.policies)
        _paragraphs(pdf, lines, bullet=False)
        if data.policy_note:
            _note(pdf, data.policy_note)
    if data.money:  # the tier's policy money (methodology §9)
        _paragraphs(pdf, data.money, bullet=True)
    if data.suggestions:
        _heading(pdf, "advice")
        _paragraphs(pdf, data.suggestions, bullet=True)
    _heading(pdf, "leases")
    if data.leases is not None:
        _table(pdf, data.leases, (12, 47, 38, 22, 29, 32), 7.5)
    else:
        _paragraphs(pdf, (data.lease_note,), bullet=False)
    return bytes(pdf.output())

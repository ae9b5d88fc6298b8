"""The one-page briefing (汇报材料) as A4 PDF: `muyun.briefing` decides what it says, this draws it.

Why apart from `muyun.briefing`: fpdf2 takes a few tenths of a second to import, and the method
legend and tier changes are on every ranking page; only a click on the download needs the PDF.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from muyun import labels
from muyun.briefing import Briefing
from muyun.report_templates.fonts import glyph_cache

T = labels.BRIEFING_TEXT
NAVY = (18, 53, 91)
GREY = (110, 110, 110)
HEAD_FILL = (232, 238, 245)
FAMILY = "cjk"


class _BriefingPDF(FPDF):
    def __init__(self, briefing: Briefing, font: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.briefing = briefing
        self.set_margins(14, 12, 14)
        self.set_auto_page_break(True, margin=14)
        self.add_font(FAMILY, "", str(font))
        self.set_title(briefing.title)
        self.set_creator("muyun")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, size=7)
        self.set_text_color(*GREY)
        self.cell(self.epw / 2, 5, self.briefing.footer, align="L")
        page = T["page"].format(page=self.page_no(), pages="{nb}")
        self.cell(self.epw / 2, 5, page, align="R")


def render(briefing: Briefing, font: Path) -> bytes:
    """The briefing as A4 PDF bytes, with only the glyphs it uses embedded."""
    chars = set("0123456789,.+-−%·—：（）、 ABCD/{}") | set("".join(T.values()))
    for value in _strings(briefing):
        chars.update(value)
    subset = glyph_cache(font).subset_bytes("".join(sorted(chars)))
    handle, name = tempfile.mkstemp(suffix=".ttf", prefix="muyun-brief-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(subset)
        return _render(briefing, Path(name))
    finally:
        os.unlink(name)


def _strings(briefing: Briefing) -> list[str]:
    stack: list[object] = list(vars(briefing).values())
    out: list[str] = []
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, tuple | list):
            stack.extend(item)
    return out


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.page_break_trigger - 40:
        pdf.add_page()
    pdf.ln(2.5)
    pdf.set_font(FAMILY, size=11)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 6.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*NAVY)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(0, 0, 0)


def _table(
    pdf: FPDF,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    text_columns: int = 1,
) -> None:
    """A bordered table: the first `text_columns` left-aligned, the figures right-aligned."""
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_fill_color(255, 255, 255)
    align = ("LEFT",) * text_columns + ("RIGHT",) * (len(header) - text_columns)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=align,
        line_height=4.7,
        headings_style=_heading_style(),
        first_row_as_headings=True,
    ) as table:
        table.row(list(header))
        for row in rows:
            table.row(list(row))


def _heading_style() -> FontFace:
    return FontFace(fill_color=HEAD_FILL, color=NAVY)


def _render(briefing: Briefing, font: Path) -> bytes:
    pdf = _BriefingPDF(briefing, font)
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.set_text_color(*NAVY)
    pdf.multi_cell(0, 8, briefing.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, briefing.scope, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if briefing.note:
        pdf.set_text_color(138, 75, 0)
        pdf.multi_cell(0, 5, briefing.note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)

    _heading(pdf, T["kpis"])
    _table(pdf, T["kpi_header"].split("|"), briefing.kpis, (90, 45, 47))

    _heading(pdf, T["tiers"])
    _tier_bar(pdf, briefing.tiers)

    _heading(pdf, T["trend"])
    _table(pdf, briefing.trend_header, briefing.trend_rows, (22, 32, 36, 46, 46))

    if briefing.land:
        _heading(pdf, T["land"])
        _table(pdf, T["land_header"].split("|"), briefing.land, (110, 72))

    _heading(pdf, T["movers"])
    if briefing.movers:
        widths = (18, 56, 24, 32, 26, 26)
        _table(pdf, briefing.movers_header, briefing.movers, widths, text_columns=4)
    else:
        pdf.set_font(FAMILY, size=9)
        pdf.multi_cell(0, 5, T["no_movers"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, T["legend"])
    pdf.set_font(FAMILY, size=8.5)
    for line in briefing.legend:
        pdf.multi_cell(0, 4.8, "· " + line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _tier_bar(pdf: FPDF, tiers: Sequence[tuple[str, int, float]]) -> None:
    """One stacked bar of the tier structure with the count and share under each part."""
    x, y, width, height = pdf.l_margin, pdf.get_y() + 1, pdf.epw, 8.0
    pdf.set_font(FAMILY, size=8.5)
    for (_label, _firms, share), tier in zip(tiers, labels.TIERS, strict=True):
        part = width * share
        colour = labels.TIER_COLOURS[tier]
        pdf.set_fill_color(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
        if part > 0:
            pdf.rect(x, y, part, height, style="F")
        x += part
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, y + height + 1.5)
    cells = [
        T["tier_cell"].format(label=label, firms=firms, share=f"{share:.1%}")
        for label, firms, share in tiers
    ]
    for cell in cells:
        pdf.cell(pdf.epw / len(cells), 5, cell, align="C")
    pdf.ln(6)

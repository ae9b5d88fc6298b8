"""What a director takes into a meeting: the method in words, year-on-year tier changes, and the
one-click briefing PDF (汇报材料) of 总览.

Why here and not in the pages: the method legend is written from the profile (so a county that
changes its bands or its D line sees its own rule, never a constant), and the same words, the
same change list and the same figures go on the screen, into the exports and into the PDF.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from muyun import formatting, labels, queries
from muyun.profile import Profile
from muyun.report_templates.fonts import glyph_cache

T = labels.BRIEFING_TEXT
_TIER_RANK = {tier: position for position, tier in enumerate(labels.TIERS)}


def method_legend(profile: Profile, scale: str) -> list[str]:
    """The tier rule and the score's make-up, in the profile's own numbers, one line each."""
    rule = profile.tiers
    specs = profile.indicators(scale)
    weights = sum(spec.weight for spec in specs)
    caps = {spec.cap for spec in specs if spec.cap is not None}
    lines = [
        T["legend_a"].format(name=labels.TIER_CLASS["A"], a=rule.a_pct),
        T["legend_b"].format(name=labels.TIER_CLASS["B"], a=rule.a_pct, b=rule.b_pct),
        T["legend_d"].format(
            name=labels.TIER_CLASS["D"],
            d=rule.d_pct,
            line=formatting.number(rule.d_max_tax_per_mu, 1),
        ),
        T["legend_c"].format(name=labels.TIER_CLASS["C"]),
        T["legend_pool"].format(pool=T["pool_" + profile.pool_by]),
    ]
    total = T["legend_total"].format(weights=f"{weights:g}")
    if profile.bonus is not None and scale in profile.bonus.scales:
        cap = profile.bonus.cap
        total += T["legend_bonus"] if cap is None else T["legend_bonus_cap"].format(cap=f"{cap:g}")
    if caps:
        total += T["legend_cap"].format(cap=labels.LIST_SEP.join(f"{c:g}" for c in sorted(caps)))
    lines.append(total)
    return lines


def score_steps(profile: Profile, scale: str) -> list[str]:
    """The "how is this score computed" panel, step by step, in this profile's numbers."""
    steps = [T["step_value"], T["step_benchmark"]]
    for spec in profile.indicators(scale):
        meta = labels.INDICATORS[spec.key]
        cap = T["step_nocap"] if spec.cap is None else T["step_capped"].format(cap=f"{spec.cap:g}")
        steps.append(T["step_item"].format(name=meta.name, weight=f"{spec.weight:g}", cap=cap))
    steps += [T["step_total"], T["step_rank"], T["step_tier"]]
    return steps


def with_previous_year(table: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """`table` (a ranking table) with 上年分类 and 上年排名 from last year's scored result."""
    out = table.copy()
    if previous is None or previous.empty:
        out["tier_before"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["rank_before"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        return out
    last = previous.drop_duplicates("credit_code").set_index("credit_code")
    codes = out["credit_code"]
    out["tier_before"] = codes.map(last["tier"]).astype("string")
    out["rank_before"] = pd.to_numeric(codes.map(last["rank"]), errors="coerce").astype("Int64")
    return out


def tier_changes(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Firms whose tier differs from last year: falls into D first (B→D before C→D), then the
    other falls, then rises; each with both tiers, both scores and the change of the total."""
    columns = ["change", "name", "credit_code", "industry", "town", "tier_before", "tier"]
    columns += ["total_before", "total", "total_change"]
    if previous is None or previous.empty:
        return pd.DataFrame(columns=columns)
    now = queries.ranked(current)
    last = queries.ranked(previous)[["credit_code", "tier", "total"]]
    last = last.rename(columns={"tier": "tier_before", "total": "total_before"})
    both = now.merge(last, on="credit_code", how="inner")
    both = both[both["tier"] != both["tier_before"]].copy()
    if both.empty:
        return pd.DataFrame(columns=columns)
    steps = both["tier"].map(_TIER_RANK) - both["tier_before"].map(_TIER_RANK)
    both["total_change"] = both["total"] - both["total_before"]
    both["change"] = both["tier_before"] + T["arrow"] + both["tier"]
    both["_steps"] = steps
    # Into D first (the tier the policy money bites on), then other falls, then rises.
    both["_into_d"] = (both["tier"] == labels.TIERS[-1]).astype(int)
    both = both.sort_values(
        ["_into_d", "_steps", "total_change", "credit_code"],
        ascending=[False, False, True, True],
    )
    return both[columns].reset_index(drop=True)


# ── the briefing PDF ─────────────────────────────────────────────────────────────────────────

NAVY = (18, 53, 91)
GREY = (110, 110, 110)
HEAD_FILL = (232, 238, 245)
FAMILY = "cjk"
MOVERS_SHOWN = 10  # the biggest falls; the full list is the rankings page's export


@dataclass(frozen=True)
class Briefing:
    """Everything the one-page briefing shows, already in words and formatted numbers."""

    title: str
    scope: str
    kpis: tuple[tuple[str, str, str], ...]  # label, value, change on last year
    tiers: tuple[tuple[str, int, float], ...]  # tier label, firms, share of ranked
    trend_header: tuple[str, ...]
    trend_rows: tuple[tuple[str, ...], ...]
    movers_header: tuple[str, ...]
    movers: tuple[tuple[str, ...], ...]
    legend: tuple[str, ...]
    footer: str
    land: tuple[tuple[str, str], ...] = ()
    note: str = ""  # e.g. the demo-data notice, under the title


def build(
    *,
    year: int,
    scale: str,
    scope: Mapping[str, Sequence[str]],
    profile: Profile,
    kpis: queries.Kpis,
    previous: queries.Kpis | None,
    trend: pd.DataFrame,
    changes: pd.DataFrame,
    generated: str,
    land: Sequence[tuple[str, str]] = (),
    note: str = "",
) -> Briefing:
    """The briefing of 总览 for the filters: title names year, scale and every filter set."""
    parts = [str(year) + T["year"], scale]
    for key in ("industry", "tier", "town"):
        values = list(scope.get(key, ()))
        parts.append(labels.LIST_SEP.join(values) if values else T["all_" + key])
    K = labels.KPI_LABELS

    def card(label: str, attr: str, digits: int) -> tuple[str, str, str]:
        value = getattr(kpis, attr)
        change = None if previous is None else getattr(previous, attr)
        return label, formatting.number(value, digits), _change(value, change, digits)

    ranked = max(sum(kpis.tiers.values()), 1)
    trend_keys = [("firms", 0), ("land_mu", 0), ("tax_per_mu", 2), ("va_per_mu", 2)]
    moved = changes.head(MOVERS_SHOWN)
    return Briefing(
        title=T["title"].format(year=year),
        scope=T["scope"].format(filters=T["scope_sep"].join(parts), profile=profile.name),
        kpis=(
            (
                K["firms"].format(scale=scale),
                formatting.number(kpis.firms_by_scale[scale], 0),
                _change(
                    kpis.firms_by_scale[scale],
                    None if previous is None else previous.firms_by_scale[scale],
                    0,
                ),
            ),
            card(K["land"].format(scale=scale), "land_mu", 0),
            card(K["tax_per_mu"].format(scale=scale), "tax_per_mu", 2),
            card(K["va_per_mu"].format(scale=scale), "va_per_mu", 2),
        ),
        tiers=tuple(
            (
                f"{tier} {labels.TIER_CLASS[tier]}",
                int(kpis.tiers[tier]),
                kpis.tiers[tier] / ranked,
            )
            for tier in labels.TIERS
        ),
        trend_header=(T["year_col"], *(labels.TREND_HEADERS[k] for k, _ in trend_keys)),
        trend_rows=tuple(
            (
                str(int(row["year"])),
                *(formatting.number(row[key], digits) for key, digits in trend_keys),
            )
            for _, row in trend.iterrows()
        ),
        movers_header=tuple(T["movers_header"].split("|")),
        movers=tuple(
            (
                str(row["change"]),
                str(row["name"]),
                str(row["industry"]),
                str(row["town"]),
                formatting.number(row["total_before"], 2),
                formatting.number(row["total"], 2),
            )
            for _, row in moved.iterrows()
        ),
        legend=tuple(method_legend(profile, scale)),
        footer=T["footer"].format(profile=profile.name, date=generated),
        land=tuple(land),
        note=note,
    )


def _change(value: float | None, before: float | None, digits: int) -> str:
    """`+12.34` / `持平` / `—`: never `+0` for no change."""
    if value is None or before is None or pd.isna(value) or pd.isna(before):
        return T["no_change_data"]
    diff = round(float(value) - float(before), digits)
    if diff == 0:
        return T["flat"]
    return f"{diff:+,.{digits}f}"


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

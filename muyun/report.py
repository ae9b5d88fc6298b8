"""企业亩均效益分析报告: one HTML or PDF report per enterprise, and batches of them.

Why this shape: the city pushes every firm a report built from its annual result, so every number
in it comes from the engine (`muyun.scoring`) — this module never scores anything itself. It turns
the scored years into a `ReportData` (already formatted strings, so HTML and PDF show exactly the
same figures), and `muyun.report_templates` draws that into the two formats.

Why a `ReportContext`: a batch of hundreds of reports must score each year once, not once per
firm. The context holds the scored current year, the four years before it (trend, change against
last year), the prepared raw year (for the gap-to-next-tier search) and the year's leases.

The gap to the next tier is solved, not estimated: the extra tax (or value added) is found by a
search over 0.01 万元 steps in which every probe re-scores the firm's whole scale through the
engine — the firm's own items, the "average" benchmarks it shifts, everybody else's scores and the
D rule's tax line included — so the stated amount provably moves the firm up and 0.01 万元 less
does not.

Font: Noto Sans SC (SIL Open Font License 1.1), from the pip package `pylopdf-fonts-zh-cn`, or
any .otf/.ttf placed in `muyun/fonts/`; each PDF embeds a TrueType subset of exactly the
characters it shows (`report_templates.fonts`), so any firm name renders and files stay small.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from muyun import formatting, labels, policy, queries, scoring
from muyun.export import neutralise
from muyun.profile import AVERAGE, PRIOR_YEAR_AVERAGE, Profile
from muyun.report_templates import html_report
from muyun.report_templates.charts import RadarAxis, TrendPoint

T = labels.REPORT_TEXT
TREND_YEARS = 5
UNIT_STEP = 0.01  # 万元: the gap search works in steps of 100 元
_MAX_STEPS = 10**10  # 1 万亿元: beyond this nobody closes the gap with money
_PARALLEL_MIN_REPORTS = 24
_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FILENAME_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


class ReportError(ValueError):
    """A report that cannot be produced (unknown firm, missing font); the message is Chinese."""


# ── context: everything a batch shares ──────────────────────────────────────────────────────


# Lookups of firms in one year of a report context before it indexes that year's codes.
SCANS_BEFORE_INDEX = 64


@dataclass(eq=False)
class ReportContext:
    """The scored data one year's reports share; build it once with `prepare_context`."""

    year: int
    profile: Profile
    scored: pd.DataFrame
    history: dict[int, pd.DataFrame]
    data: scoring.YearData
    leases: pd.DataFrame
    demo: bool
    generated: str = field(default_factory=lambda: date.today().isoformat())
    _raw_by_scale: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _positions: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)
    _scans: dict[int, int] = field(default_factory=dict, repr=False)
    _pools: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # The tiers of earlier years for the policy money's repeat escalation (§9); None: taken
    # from `history` (live). A published run's context sets the published tier history here.
    prior: Mapping[int, pd.Series] | None = field(default=None, repr=False)

    def position(self, year: int, credit_code: str) -> int | None:
        """Row number of a firm in the scored frame of `year` (None when absent).

        The first `SCANS_BEFORE_INDEX` lookups in a year scan its codes (~1 ms at province
        scale); a batch that looks up more builds a code → row index once (~0.1 s a province
        year), which one firm's report on the firm page used to build for each of five years.
        """
        frame = self.history.get(year)
        if frame is None:
            return None
        index = self._positions.get(year)
        if index is None:
            scans = self._scans.get(year, 0)
            if scans < SCANS_BEFORE_INDEX:
                self._scans[year] = scans + 1
                return queries.first_position(frame["credit_code"], credit_code)
            codes = frame["credit_code"].astype(str).tolist()
            index = self._positions[year] = dict(zip(codes, range(len(codes)), strict=True))
        return index.get(credit_code)

    def row(self, credit_code: str) -> pd.Series:
        """The firm's scored row of the report year (raises `ReportError` when absent)."""
        position = self.position(self.year, credit_code)
        if position is None:
            raise ReportError(T["not_found"].format(year=self.year, code=credit_code))
        return self.scored.iloc[position]

    def pool(self, row: pd.Series) -> pd.DataFrame:
        """The 评价 firms of the row's pool in the report year."""
        key = str(row["pool"])
        if key not in self._pools:
            self._pools[key] = queries.pool_rows(self.scored, key)
        return self._pools[key]

    def prior_tiers(self) -> Mapping[int, pd.Series]:
        """The tiers of the years before, for the policy money's repeat escalation (§9)."""
        if self.prior is None:
            earlier = {y: f for y, f in self.history.items() if y < self.year}
            self.prior = policy.tier_history(earlier)
        return self.prior

    def raw_rows(self, scale: str | None) -> pd.DataFrame:
        """The raw year rows of one scale (None: all), shaped for `scoring.prepare_frame`.

        Benchmarks, pools and the water bonus's average are all per scale (methodology §3–§5),
        so re-scoring one scale alone gives that scale's exact results at a fraction of the cost.
        """
        key = scale or ""
        if key not in self._raw_by_scale:
            frame = self.data.frame.drop(columns=list(scoring.INDICATOR_FORMULAS), errors="ignore")
            if scale is not None:
                frame = frame.loc[frame["scale"] == scale].reset_index(drop=True)
            self._raw_by_scale[key] = frame
        return self._raw_by_scale[key]


def trend_years(con: duckdb.DuckDBPyConnection, year: int) -> list[int]:
    """The report year and up to four years before it that have data."""
    return [y for y in queries.available_years(con) if year - TREND_YEARS < y <= year]


def prepare_context(
    con: duckdb.DuckDBPyConnection,
    year: int,
    profile: Profile,
    *,
    data: scoring.YearData | None = None,
    scored_years: Mapping[int, pd.DataFrame] | None = None,
) -> ReportContext:
    """Score the report year and up to four years before it, and read the year's leases.

    A caller that already holds the year's raw data and scored years (the dashboard's caches)
    passes them in, so nothing is read or scored twice.
    """
    data = data if data is not None else scoring.load_year(con, year)
    given = scored_years or {}
    history = {
        y: given[y] if y in given else scoring.score_year(con, y, profile)
        for y in scoring.scorable_years(trend_years(con, year), profile, keep=year)
        if y != year
    }
    scored = given[year] if year in given else scoring.score_prepared(data, profile)
    history[year] = scored
    leases = con.execute(
        """
        SELECT l.lessor_code, l.lessee_code, l.land_mu, l.floor_area_m2, l.registered,
               l.record_no, lo.name AS lessor_name, le.name AS lessee_name
        FROM leases l
        LEFT JOIN enterprises lo ON lo.year = l.year AND lo.credit_code = l.lessor_code
        LEFT JOIN enterprises le ON le.year = l.year AND le.credit_code = l.lessee_code
        WHERE l.year = ?
        ORDER BY l.lessor_code, l.lessee_code
        """,
        [int(year)],
    ).df()
    return ReportContext(
        year=int(year),
        profile=profile,
        scored=scored,
        history=dict(sorted(history.items())),
        data=data,
        leases=leases,
        demo=queries.is_demo(queries.dataset_info(con)),
    )


# ── the report's content ─────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Gap:
    """How far the firm is from the next tier up (None fields: not applicable)."""

    next_tier: str | None
    points: float | None = None
    threshold: float | None = None
    target_rank: int | None = None
    extra_tax: float | None = None
    extra_value_added: float | None = None
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells; `emphasis` marks subtotal/total rows.

    Cells are neutralised against formula injection on construction (`export.neutralise`):
    a table copied out of the HTML report into a spreadsheet must not run an imported name.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    emphasis: frozenset[int] = frozenset()
    flagged: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        safe = tuple(tuple(neutralise(cell) for cell in row) for row in self.rows)
        object.__setattr__(self, "rows", safe)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, formatted once for both HTML and PDF."""

    year: int
    credit_code: str
    name: str
    profile_name: str
    illustrative: bool
    demo: bool
    generated: str
    status: str
    total: float | None
    rank: int | None
    pool_size: int | None
    tier: str | None
    firm: tuple[tuple[str, str], ...]
    result: tuple[tuple[str, str], ...]
    computation: Table | None
    computation_note: str
    comparison: Table | None
    comparison_notes: tuple[str, ...]
    radar: tuple[RadarAxis, ...]
    radar_cap: float | None
    trend: tuple[TrendPoint, ...]
    gap: Gap
    policies: tuple[tuple[str, str], ...]
    policy_note: str
    suggestions: tuple[str, ...]
    leases: Table | None
    lease_note: str
    money: tuple[str, ...] = ()  # the policy money of the firm's tier (§9), when configured

    @property
    def tier_class(self) -> str:
        return labels.TIER_CLASS.get(self.tier or "", "")


def build_report(ctx: ReportContext, credit_code: str) -> ReportData:
    """The content of one firm's report from a prepared context."""
    row = ctx.row(credit_code)
    profile = ctx.profile
    scale = str(row["scale"])
    specs = profile.indicators(scale)
    status = str(row["status"])
    scored = status != labels.STATUS_NOT_EVALUATED
    ranked = status == labels.STATUS_EVALUATED
    pool = ctx.pool(row) if ranked else ctx.scored.iloc[0:0]
    overridden = isinstance(row.get("override_tier"), str)  # 调档: no gap to a computed tier
    gap = _gap(ctx, row) if ranked and not overridden else Gap(next_tier=None)
    return ReportData(
        year=ctx.year,
        credit_code=credit_code,
        name=str(row["name"]),
        profile_name=profile.name,
        illustrative=profile.illustrative,
        demo=ctx.demo,
        generated=ctx.generated,
        status=status,
        total=float(row["total"]) if scored else None,
        rank=int(row["rank"]) if ranked else None,
        pool_size=int(row["pool_size"]) if ranked else None,
        tier=str(row["tier"]) if ranked and pd.notna(row["tier"]) else None,
        firm=_firm_lines(ctx, row),
        result=_result_lines(ctx, row, pool),
        computation=_computation(ctx, row) if scored else None,
        computation_note=_formula_note(specs),
        comparison=_comparison(row, pool, specs) if ranked else None,
        comparison_notes=(
            (T["compare_note"].format(pool=row["pool"], min_firms=queries.A_ENTRY_MIN_FIRMS),)
            if ranked
            else ()
        ),
        radar=_radar(row, pool, specs) if ranked else (),
        radar_cap=_common_cap(specs),
        trend=_trend(ctx, credit_code),
        gap=gap,
        policies=_policies(profile, row) if ranked and pd.notna(row["tier"]) else (),
        policy_note=T["policy_illustrative"] if profile.illustrative else "",
        suggestions=_suggestions(row, specs) if scored else (),
        leases=_leases(ctx, credit_code),
        lease_note=T["lease_none"],
        money=policy_lines(ctx, credit_code, gap),
    )


def _firm_lines(ctx: ReportContext, row: pd.Series) -> tuple[tuple[str, str], ...]:
    land = T["land_formula"].format(
        own=formatting.number(row["land_own_mu"], 2),
        out=formatting.number(row["leased_out_mu"], 2),
        inn=formatting.number(row["leased_in_mu"], 2),
        land=formatting.number(row["land_mu"], 2),
    )
    return (
        (T["name"], str(row["name"])),
        (T["credit_code"], str(row["credit_code"])),
        (T["industry"], str(row["industry"])),
        (T["scale"], str(row["scale"])),
        (T["town"], str(row["town"])),
        (T["year"], f"{ctx.year}"),
        (T["land"], land),
    )


def _unnested(reason: object) -> str:
    """A reason set inside the remark's brackets without brackets of its own:
    "不参与定级（新设…）" reads "不参与定级：新设…" (no "（不参与定级（新设…））")."""
    return re.sub(r"（([^（）]*)）", r"：\1", str(reason))


def _result_lines(
    ctx: ReportContext, row: pd.Series, pool: pd.DataFrame
) -> tuple[tuple[str, str], ...]:
    status = str(row["status"])
    lines: list[tuple[str, str]] = [(T["status"], status)]
    if status == labels.STATUS_NOT_EVALUATED:
        lines.append(
            (T["remark"], T["not_ranked"].format(status=status, reason=_unnested(row["reason"])))
        )
        return tuple(lines)
    lines.append((T["total"], formatting.number(row["total"], 2, T["points_unit"])))
    if status != labels.STATUS_EVALUATED:
        lines.append(
            (T["remark"], T["not_ranked"].format(status=status, reason=_unnested(row["reason"])))
        )
        return tuple(lines)
    tier = str(row["tier"]) if pd.notna(row["tier"]) else labels.STATUS_EXEMPT
    lines.append(
        (
            T["rank"],
            T["rank_value"].format(
                rank=int(row["rank"]), n=int(row["pool_size"]), pool=row["pool"]
            ),
        )
    )
    tier_text = (
        T["tier_value"].format(tier=tier, name=labels.TIER_CLASS[tier])
        if tier in labels.TIER_CLASS
        else tier
    )
    override = row.get("override_tier")
    if isinstance(override, str):
        # An evaluation run's 调档 (muyun.evaluation): shown as such, never hidden in the score.
        tier_text += T["override_note"].format(
            computed=row["computed_tier"], reason=row["override_reason"]
        )
    elif str(row["tier_before_veto"]) != tier:
        tier_text += T["veto_note"].format(before=row["tier_before_veto"])
    lines.append((T["tier"], tier_text))
    lines.append((T["change"], _change(ctx, row)))
    a_totals = pool.loc[pool["tier"] == "A", "total"]
    a_line = (
        T["a_entry_total"].format(score=formatting.number(a_totals.min(), 2))
        if len(a_totals)
        else T["no_a_tier"]
    )
    lines.append((labels.TIER_CLASS["A"], a_line))
    return tuple(lines)


def _change(ctx: ReportContext, row: pd.Series) -> str:
    position = ctx.position(ctx.year - 1, str(row["credit_code"]))
    if position is None:
        return T["change_none"]
    prev = ctx.history[ctx.year - 1].iloc[position]
    if prev["status"] != labels.STATUS_EVALUATED:
        return T["change_none"]
    delta = float(row["total"]) - float(prev["total"])
    return T["change_value"].format(
        delta=f"{delta:+.2f}",
        prev_rank=f"{int(prev['rank'])}/{int(prev['pool_size'])}",
        rank=f"{int(row['rank'])}/{int(row['pool_size'])}",
        prev_tier=prev["tier"] if pd.notna(prev["tier"]) else labels.STATUS_EXEMPT,
        tier=row["tier"] if pd.notna(row["tier"]) else labels.STATUS_EXEMPT,
    )


def _computation(ctx: ReportContext, row: pd.Series) -> Table:
    """Indicator, value, unit, benchmark, ratio, weight, item score, remark; bonus; deductions."""
    profile = ctx.profile
    scale = str(row["scale"])
    specs = profile.indicators(scale)
    cap = _common_cap(specs)
    ratio_header = T["ratio"].format(cap=f"{cap:g}") if cap is not None else T["ratio_plain"]
    header = (
        T["item"],
        T["value"],
        T["unit"],
        T["benchmark"],
        ratio_header,
        T["weight"],
        T["score"],
        T["remark"],
    )
    rows: list[tuple[str, ...]] = []
    for spec in specs:
        key = spec.key
        ind = labels.INDICATORS[key]
        value = row[key]
        remark = ""
        if bool(row[f"imputed_{key}"]):
            remark = T["imputed"]
        elif _missing(value):
            remark = T["missing_zero"]
        elif spec.cap is not None and float(row[f"unit_{key}"]) >= spec.cap:
            remark = T["capped"]
        bench = _indicator_text(key, row[f"bench_{key}"])
        if spec.benchmark == AVERAGE:
            bench += T["bench_average"]
        elif spec.benchmark == PRIOR_YEAR_AVERAGE:
            bench += labels.BENCHMARK_TEXT["prior_remark"]
        rows.append(
            (
                ind.name,
                _indicator_text(key, value),
                ind.unit,
                bench,
                "—" if bool(row[f"imputed_{key}"]) else formatting.number(row[f"unit_{key}"], 4),
                f"{spec.weight:g}",
                formatting.number(row[f"score_{key}"], 2),
                remark,
            )
        )
    emphasis = {len(rows)}
    items = sum(float(row[f"score_{s.key}"]) for s in specs)
    rows.append(
        (
            T["items_subtotal"],
            "",
            "",
            "",
            "",
            f"{sum(s.weight for s in specs):g}",
            formatting.number(items, 2),
            "",
        )
    )
    bonus = profile.bonus
    if bonus is not None and scale in bonus.scales:
        for column, detail in _bonus_details(row, profile):
            name = labels.BONUS_ITEMS[column.removeprefix("bonus_")]
            label = T["bonus_item"].format(name=name)
            rows.append((label, *[""] * 5, formatting.number(row[column], 2), detail))
        subtotal = (
            T["bonus_subtotal"].format(cap=f"{bonus.cap:g}")
            if bonus.cap is not None
            else T["bonus_subtotal_plain"]
        )
        emphasis.add(len(rows))
        rows.append((subtotal, "", "", "", "", "", formatting.number(row["bonus"], 2), ""))
    deductions = profile.deductions
    if deductions is not None and scale in deductions.scales:
        for column, key, detail in (
            ("deduction_safety", "safety_incident", T["deduction_safety_detail"]),
            ("deduction_env", "env_penalty", T["deduction_env_detail"]),
        ):
            count = int(row["safety_incidents" if key == "safety_incident" else "env_penalties"])
            text = detail.format(n=count, points=f"{getattr(deductions, key):g}")
            name = labels.DEDUCTION_ITEMS[key]
            rows.append(
                (
                    T["deduction_item"].format(name=name),
                    *[""] * 5,
                    formatting.number(-float(row[column]) or 0.0, 2),
                    text,
                )
            )
        emphasis.add(len(rows))
        rows.append(
            (
                T["deduction_subtotal"],
                "",
                "",
                "",
                "",
                "",
                formatting.number(-float(row["deduction"]) or 0.0, 2),
                "",
            )
        )
    emphasis.add(len(rows))
    rows.append((T["total_row"], "", "", "", "", "", formatting.number(row["total"], 2), ""))
    return Table(header=header, rows=tuple(rows), emphasis=frozenset(emphasis))


def _bonus_details(row: pd.Series, profile: Profile) -> list[tuple[str, str]]:
    bonus = profile.bonus
    assert bonus is not None
    listing = row["listing"] if isinstance(row["listing"], str) else labels.LISTING_STATUSES[0]
    per = f"{bonus.investment_per_point:g}" if bonus.investment_per_point else "—"
    investment = (
        T["bonus_investment_none"]
        if _missing(row["investment"])
        else T["bonus_investment_detail"].format(
            investment=formatting.number(row["investment"], 0),
            per=per,
            max=f"{bonus.investment_max:g}",
        )
    )
    talent = (
        T["bonus_talent_none"]
        if _missing(row["talent_share"])
        else T["bonus_talent_detail"].format(
            share=formatting.number(float(row["talent_share"]) * 100, 1) + "%"
        )
    )
    water = (
        T["bonus_water_none"]
        if _missing(row["water_multiple"])
        else T["bonus_water_detail"].format(multiple=formatting.number(row["water_multiple"], 2))
    )
    return [
        ("bonus_listing", T["bonus_listing_detail"].format(listing=listing)),
        ("bonus_investment", investment),
        ("bonus_talent", talent),
        ("bonus_water", water),
    ]


def _formula_note(specs: Sequence) -> str:
    capped = any(s.cap is not None for s in specs)
    return T["formula_note"].format(cap_note=T["cap_note"] if capped else "")


def _comparison(row: pd.Series, pool: pd.DataFrame, specs: Sequence) -> Table:
    header = (
        T["item"],
        T["unit"],
        T["compare_firm"],
        T["compare_average"],
        T["compare_position"],
        T["compare_a_entry"],
    )
    rows = []
    for spec in specs:
        key = spec.key
        avg = queries.indicator_average(pool, key)
        value = row[key]
        position = (
            "—"
            if _missing(value) or not avg or _missing(avg)
            else formatting.number(float(value) / avg, 2)
        )
        rows.append(
            (
                labels.INDICATORS[key].name,
                labels.INDICATORS[key].unit,
                _indicator_text(key, value),
                _indicator_text(key, avg),
                position,
                _indicator_text(key, queries.a_entry_value(pool, key)),
            )
        )
    return Table(header=header, rows=tuple(rows))


def _radar(row: pd.Series, pool: pd.DataFrame, specs: Sequence) -> tuple[RadarAxis, ...]:
    axes = []
    for spec in specs:
        key = spec.key
        bench = float(row[f"bench_{key}"])
        unit = row[f"unit_{key}"]
        firm = float(row[f"score_{key}"]) / spec.weight if _missing(unit) and spec.weight else unit
        avg = queries.indicator_average(pool, key)
        ratio = avg / bench if bench > 0 and not _missing(avg) else 0.0
        if spec.cap is not None:
            ratio = min(ratio, spec.cap)
        axes.append(
            RadarAxis(
                label=labels.REPORT_SHORT_NAMES[key],
                firm=0.0 if _missing(firm) else float(firm),
                average=max(0.0, ratio),
            )
        )
    return tuple(axes)


def _common_cap(specs: Sequence) -> float | None:
    caps = {s.cap for s in specs}
    return caps.pop() if len(caps) == 1 else None


def _trend(ctx: ReportContext, credit_code: str) -> tuple[TrendPoint, ...]:
    points = []
    for year in range(ctx.year - TREND_YEARS + 1, ctx.year + 1):
        position = ctx.position(year, credit_code)
        r = None if position is None else ctx.history[year].iloc[position]
        if r is None or r["status"] != labels.STATUS_EVALUATED:
            points.append(TrendPoint(year, None, None, None, None))
            continue
        points.append(
            TrendPoint(year, float(r["total"]), int(r["rank"]), int(r["pool_size"]), str(r["tier"]))
        )
    return tuple(points)


def _policies(profile: Profile, row: pd.Series) -> tuple[tuple[str, str], ...]:
    tier = str(row["tier"])
    title = T["policy_for"].format(tier=tier, name=labels.TIER_CLASS[tier])
    return ((title, profile.policies.get(tier, T["policy_none"])),)


def policy_lines(ctx: ReportContext, credit_code: str, gap: Gap | None = None) -> tuple[str, ...]:
    """What the firm pays or saves this year because of its tier, and what the next tier up
    would gain it a year — with the extra 亩均税收 that reaches it when the gap is known."""
    rates = ctx.profile.policy
    position = ctx.position(ctx.year, credit_code)
    if rates is None or position is None:
        return ()
    P = labels.POLICY_TEXT
    firm = ctx.scored.iloc[[position]]
    prior = ctx.prior_tiers()
    row = firm.iloc[0]
    if policy.tier_codes(firm)[0] < 0:
        return (P["firm_none"],)
    money = policy.with_money(firm, ctx.profile, prior).iloc[0]
    tier = str(row["tier"])
    lines = [
        P["firm_pays"].format(
            tier=tier,
            electricity=formatting.number(money["electricity_surcharge"], 2),
            water=formatting.number(money["water_surcharge"], 2),
            relief=formatting.number(money["land_tax_relief"], 2),
            net=formatting.number(money["policy_net"], 2),
        )
    ]
    if bool(money["repeat_escalated"]) and rates.repeat is not None:
        lines[0] += P["repeat_applied"].format(
            years=rates.repeat.years, tier=rates.repeat.tier, rate=rates.repeat.rate
        )
    gain = float(policy.next_tier_gain(firm, ctx.profile, prior).iloc[0])
    if tier == scoring.TIER_ORDER[0]:
        lines.append(P["firm_top"])
    elif not math.isnan(gain) and not (bool(row["veto"]) and tier == "C"):
        # A vetoed firm cannot reach B (§4): the gap section already says so.
        target = scoring.TIER_ORDER[scoring.TIER_ORDER.index(tier) - 1]
        fields = {
            "tier": target,
            "name": labels.TIER_CLASS[target],
            "verb": P["gain_more"] if gain >= 0 else P["gain_less"],
            "gain": formatting.number(abs(gain), 2),
        }
        extra = gap.extra_tax if gap is not None and gap.next_tier == target else None
        if extra is not None and float(row["land_mu"]) > 0:
            after = (float(row["tax"]) + extra) / float(row["land_mu"])
            lines.append(
                P["firm_next_gap"].format(
                    per_mu=formatting.number(extra / float(row["land_mu"]), 2),
                    amount=formatting.number(extra, 2),
                    after=formatting.number(after, 2),
                    **fields,
                )
            )
        else:
            lines.append(P["firm_next"].format(**fields))
    if rates.illustrative or ctx.profile.illustrative:
        lines.append(P["illustrative"])
    return tuple(lines)


def _suggestions(row: pd.Series, specs: Sequence) -> tuple[str, ...]:
    """Advice for the weakest indicators: lowest item score per point of weight first."""
    out: list[str] = []
    weak: list[tuple[float, str]] = []
    for spec in specs:
        key = spec.key
        name = labels.INDICATORS[key].name
        if bool(row[f"imputed_{key}"]) or _missing(row[key]):
            out.append(T["advice_missing"].format(name=name))
            continue
        if spec.weight > 0:
            weak.append((float(row[f"score_{key}"]) / spec.weight, key))
    weak.sort()
    below = [(rate, key) for rate, key in weak if rate < 1.0]
    for rate, key in below[:3]:
        out.append(
            T["advice_weak"].format(
                name=labels.INDICATORS[key].name,
                rate=formatting.number(rate, 2),
                position=T["advice_below"],
                advice=labels.REPORT_ADVICE[key],
            )
        )
    if not below and not out:
        out.append(T["advice_keep"])
    if float(row.get("unregistered_lease_mu", 0.0) or 0.0) > 0:
        out.append(T["advice_lease"])
    if float(row.get("deduction", 0.0) or 0.0) > 0:
        out.append(T["advice_deduction"])
    return tuple(out)


def _leases(ctx: ReportContext, credit_code: str) -> Table | None:
    leases = ctx.leases
    mine = leases.loc[
        (leases["lessor_code"] == credit_code) | (leases["lessee_code"] == credit_code)
    ]
    if mine.empty:
        return None
    header = (
        T["lease_role"],
        T["lease_counterparty"],
        T["lease_counterparty_code"],
        T["lease_land"],
        T["lease_floor"],
        T["lease_state"],
    )
    rows = []
    flagged = set()
    for i, lease in enumerate(mine.itertuples(index=False)):
        out = lease.lessor_code == credit_code
        other_code = lease.lessee_code if out else lease.lessor_code
        other_name = lease.lessee_name if out else lease.lessor_name
        registered = bool(lease.registered)
        if not registered:
            flagged.add(i)
        rows.append(
            (
                T["lease_role_out"] if out else T["lease_role_in"],
                other_name if isinstance(other_name, str) else T["lease_unknown_name"],
                str(other_code),
                formatting.number(lease.land_mu, 2),
                formatting.number(lease.floor_area_m2, 0),
                T["lease_registered"].format(record_no=lease.record_no or "—")
                if registered
                else T["lease_unregistered"],
            )
        )
    return Table(header=header, rows=tuple(rows), flagged=frozenset(flagged))


# ── the gap to the next tier ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Probe:
    tier: str
    total: float
    margin: float  # total − the total it must reach (≥ 0: the rank of the next tier is reached)
    saturated: bool  # every item the added amount feeds is at its cap: more only moves benchmarks


def _better(tier: str, than: str) -> bool:
    return scoring.TIER_ORDER.index(tier) < scoring.TIER_ORDER.index(than)


def _target_rank(n: int, tax_per_mu: float, target: str, ctx: ReportContext) -> int | None:
    """The largest rank in a pool of n whose tier (before veto) is `target` or better."""
    ranks = np.arange(1, n + 1)
    tiers = scoring.assign_tiers(
        ranks,
        np.full(n, n),
        np.full(n, tax_per_mu, dtype=float),
        np.zeros(n, dtype=bool),
        ctx.profile.tiers,
    )
    ok = np.array([not _better(target, str(t)) for t in tiers])
    return int(ranks[ok].max()) if ok.any() else None


def _probe(scored: pd.DataFrame, code: str, target: str, ctx: ReportContext, column: str) -> _Probe:
    """Read the firm's tier, its margin to the next tier and its saturation from one result."""
    codes = scored["credit_code"].to_numpy(dtype=object)
    at = int(np.flatnonzero(codes == code)[0])
    pool = scored["pool"].to_numpy(dtype=object)
    ranked = scored["status"].to_numpy(dtype=object) == labels.STATUS_EVALUATED
    mates = (pool == pool[at]) & ranked
    mates[at] = False
    others = np.sort(scored["total"].to_numpy(dtype=float)[mates])[::-1]
    total = float(scored["total"].iat[at])
    tax = float(scored["tax_per_mu"].iat[at])
    target_rank = _target_rank(int(scored["pool_size"].iat[at]), tax, target, ctx)
    if target_rank is None:
        margin = -math.inf
    elif target_rank - 1 >= len(others):
        margin = math.inf
    else:
        margin = total - float(others[target_rank - 1])
    saturated = True
    for spec in ctx.profile.indicators(str(scored["scale"].iat[at])):
        if scoring.INDICATOR_FORMULAS[spec.key][0] != column:
            continue
        unit = scored[f"unit_{spec.key}"].iat[at]
        if spec.cap is None or _missing(unit) or float(unit) < spec.cap:
            saturated = False
    return _Probe(tier=str(scored["tier"].iat[at]), total=total, margin=margin, saturated=saturated)


def rescore_with_extra(
    ctx: ReportContext, code: str, column: str, extra: float, *, whole_year: bool = False
) -> pd.DataFrame:
    """The firm's scale (or whole year) re-scored by the engine with `extra` added to one raw
    column of the firm."""
    raw = ctx.raw_rows(None if whole_year else str(ctx.row(code)["scale"]))
    values = raw[column].to_numpy(dtype=float, na_value=np.nan, copy=True)
    values[(raw["credit_code"] == code).to_numpy()] += extra
    modified = raw.assign(**{column: values})
    prepared = scoring.prepare_frame(modified, ctx.year, prior=ctx.data.prior)
    return scoring.score_prepared(prepared, ctx.profile)


def _min_extra(
    evaluate: Callable[[int], _Probe],
    current: str,
    start: _Probe,
    guess: float,
    hints: Sequence[int] = (),
) -> int | None:
    """Smallest number of 0.01 万元 steps whose re-score lifts the firm above `current`.

    Bracket by trying the hints and growing the guess, then shrink the bracket by linear
    interpolation of the margin, falling back to bisection whenever interpolation fails to halve
    it (the margin is only piecewise smooth: caps, benchmark shifts and the D rule's tax line).
    """
    lo, m_lo = 0, start.margin
    for hint in sorted(h for h in hints if h > 0):
        probe = evaluate(hint)
        if not _better(probe.tier, current):
            lo, m_lo = hint, probe.margin
            continue
        if hint - 1 <= lo or not _better(evaluate(hint - 1).tier, current):
            return hint  # monotone in the amount: one step less fails, so nothing less lifts
        guess = min(guess, hint - 1)
        break
    hi = max(lo + 1, math.ceil(guess))
    while True:
        probe = evaluate(hi)
        if _better(probe.tier, current):
            m_hi = probe.margin
            break
        if probe.saturated:
            return None  # its own items are capped: only inflating the benchmark would lift it
        lo, m_lo = hi, probe.margin
        hi *= 4
        if hi > _MAX_STEPS:
            return None
    bisect = False
    while hi - lo > 1:
        width = hi - lo
        if not bisect and math.isfinite(m_lo) and math.isfinite(m_hi) and m_hi > m_lo:
            guess_step = lo + (hi - lo) * (-m_lo) / (m_hi - m_lo)
            mid = min(max(math.ceil(guess_step), lo + 1), hi - 1)
        else:
            mid = (lo + hi) // 2
        probe = evaluate(mid)
        if _better(probe.tier, current):
            hi, m_hi = mid, probe.margin
        else:
            lo, m_lo = mid, probe.margin
        bisect = (hi - lo) * 2 > width
    return None if lo > 0 and evaluate(lo).saturated else hi


def _slope(row: pd.Series, column: str, specs: Sequence) -> float:
    """Points per 万元 of `column`, ignoring benchmark shifts: only the search's first guess."""
    slope = 0.0
    for spec in specs:
        num_col, den_col = scoring.INDICATOR_FORMULAS[spec.key]
        unit = row[f"unit_{spec.key}"]
        den = row[den_col]
        bench = row[f"bench_{spec.key}"]
        if num_col != column or _missing(unit) or _missing(den) or _missing(bench):
            continue
        if float(den) <= 0 or float(bench) <= 0:
            continue
        if spec.cap is not None and float(unit) >= spec.cap:
            continue
        slope += spec.weight / (float(den) * float(bench))
    return slope


def solve_extra(ctx: ReportContext, code: str, column: str) -> float | None:
    """The least extra `column` (tax or value_added, 万元, 0.01 steps) that lifts the firm a tier.

    None when no amount does (items capped, veto, a pool too small for the next tier).
    """
    row = ctx.row(code)
    current = str(row["tier"])
    if current == "A" or _missing(row[column]):
        return None
    target = scoring.TIER_ORDER[scoring.TIER_ORDER.index(current) - 1]
    if bool(row["veto"]) and target in ("A", "B"):
        return None
    cache: dict[int, _Probe] = {}
    whole_year = False

    def evaluate(steps: int) -> _Probe:
        if steps not in cache:
            scored = rescore_with_extra(ctx, code, column, steps * UNIT_STEP, whole_year=whole_year)
            cache[steps] = _probe(scored, code, target, ctx, column)
        return cache[steps]

    start = evaluate(0)
    if (start.tier, start.total) != (current, float(row["total"])):
        # The scale alone no longer reproduces the year (an engine rule now crosses scales):
        # re-score the whole year on every probe instead.
        whole_year = True
        cache.clear()
        start = evaluate(0)
    slope = _slope(row, column, ctx.profile.indicators(str(row["scale"])))
    need = -start.margin if math.isfinite(start.margin) else 0.0
    amount = need / slope if slope > 0 and need > 0 else max(abs(float(row[column])), 1.0)
    hints = []
    if current == "D" and column == "tax":  # the D rule's line: 亩均税收 reaching it lifts to C
        line = ctx.profile.tiers.d_max_tax_per_mu * float(row["land_mu"]) - float(row["tax"])
        hints.append(math.ceil(round(line / UNIT_STEP, 6)))
    steps = _min_extra(evaluate, current, start, amount / UNIT_STEP, hints)
    return None if steps is None else round(steps * UNIT_STEP, 2)


def _gap(ctx: ReportContext, row: pd.Series) -> Gap:
    tier = str(row["tier"])
    if tier == "A":
        return Gap(next_tier=None, lines=(T["gap_top"],))
    target = scoring.TIER_ORDER[scoring.TIER_ORDER.index(tier) - 1]
    if bool(row["veto"]) and target in ("A", "B"):
        return Gap(next_tier=target, lines=(T["gap_veto"],))
    n = int(row["pool_size"])
    code = str(row["credit_code"])
    probe = _probe(ctx.scored, code, target, ctx, "tax")
    target_rank = _target_rank(n, float(row["tax_per_mu"]), target, ctx)
    lines: list[str] = []
    points = threshold = None
    if target_rank is None:
        if target != "C":
            return Gap(next_tier=target, lines=(T["gap_impossible"].format(n=n, tier=target),))
    else:
        points = _round_up(-probe.margin)
        threshold = float(row["total"]) - probe.margin
        lines.append(
            T["gap_points"].format(
                tier=target,
                name=labels.TIER_CLASS[target],
                threshold=formatting.number(threshold, 2),
                rank=target_rank,
                points=formatting.number(points, 2),
            )
        )
    extra_tax = solve_extra(ctx, code, "tax")
    extra_va = None
    if extra_tax is not None:
        after = (float(row["tax"]) + extra_tax) / float(row["land_mu"])
        line = ctx.profile.tiers.d_max_tax_per_mu
        key = "gap_tax_line" if tier == "D" and round(after, 6) >= line else "gap_tax"
        lines.append(
            T[key].format(
                amount=formatting.number(extra_tax, 2),
                before=formatting.number(row["tax_per_mu"], 2),
                after=formatting.number(after, 2),
                line=f"{line:g}",
            )
        )
    else:
        extra_va = solve_extra(ctx, code, "value_added")
        lines.append(
            T["gap_va"].format(amount=formatting.number(extra_va, 2))
            if extra_va is not None
            else T["gap_none"]
        )
    return Gap(
        next_tier=target,
        points=points,
        threshold=threshold,
        target_rank=target_rank,
        extra_tax=extra_tax,
        extra_value_added=extra_va,
        lines=tuple(lines),
    )


def _round_up(points: float) -> float:
    """Points to 0.01, rounded up so that adding the shown figure reaches the threshold."""
    return math.ceil(round(points * 100, 6)) / 100


# ── formatting ───────────────────────────────────────────────────────────────────────────────


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _indicator_text(key: str, value: Any) -> str:
    """An indicator value with enough digits to recompute its item score by hand."""
    if _missing(value):
        return "—"
    number = float(value)
    if labels.INDICATORS[key].percent:
        return formatting.number(number * 100, 4)
    magnitude = abs(number)
    digits = 2 if magnitude >= 1000 else 4 if magnitude >= 1 else 6
    return formatting.number(number, digits)


# ── public API ───────────────────────────────────────────────────────────────────────────────


def render_html(
    con: duckdb.DuckDBPyConnection,
    year: int,
    credit_code: str,
    profile: Profile,
    *,
    context: ReportContext | None = None,
) -> str:
    """One firm's report as a self-contained HTML page (inline CSS and SVG, no script)."""
    ctx = context or prepare_context(con, year, profile)
    return html_report.render(build_report(ctx, credit_code))


def render_pdf(
    con: duckdb.DuckDBPyConnection,
    year: int,
    credit_code: str,
    profile: Profile,
    *,
    context: ReportContext | None = None,
) -> bytes:
    """One firm's report as a PDF with the CJK font embedded (only the glyphs it uses)."""
    ctx = context or prepare_context(con, year, profile)
    return _pdf_for(ctx, credit_code)


def cjk_font_path() -> Path:
    """The report font: a file in muyun/fonts/, else Noto Sans SC from `pylopdf-fonts-zh-cn`."""
    if _FONT_DIR.is_dir():
        for pattern in ("*.otf", "*.ttf"):
            found = sorted(_FONT_DIR.glob(pattern))
            if found:
                return found[0]
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as exc:
        raise ReportError(T["no_font"]) from exc
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise ReportError(T["no_font"])
    return path


def report_filename(credit_code: str, name: str, suffix: str = ".pdf") -> str:
    """`<credit_code>_<name>.pdf` with characters that file systems reject removed."""
    clean = _FILENAME_BAD.sub("_", name).strip(" ._") or T["file_fallback"]
    clean = re.sub(r"\s+", "_", clean)[:60]
    return f"{credit_code}_{clean}{suffix}"


def evaluated_codes(
    ctx: ReportContext, *, industry: str | None = None, tier: str | None = None
) -> list[str]:
    """Credit codes of the year's 评价 firms, optionally of one industry and/or tier, by rank."""
    frame = ctx.scored
    mask = frame["status"] == labels.STATUS_EVALUATED
    if industry:
        mask &= frame["industry"] == industry
    if tier:
        mask &= frame["tier"] == tier
    return frame.loc[mask, "credit_code"].astype(str).tolist()


def index_row(ctx: ReportContext, code: str, file_name: str) -> dict[str, object]:
    """One line of a batch's index CSV."""
    row = ctx.row(code)
    return {
        "credit_code": code,
        "name": row["name"],
        "industry": row["industry"],
        "scale": row["scale"],
        "town": row["town"],
        "total": row["total"],
        "rank": row["rank"],
        "pool_size": row["pool_size"],
        "tier": row["tier"],
        "tier_class": labels.TIER_CLASS.get(str(row["tier"]), ""),
        "file": file_name,
    }


_WORKER_CONTEXT: ReportContext | None = None


def _init_worker(ctx: ReportContext) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx


def _render_in_worker(code: str) -> tuple[str, bytes]:
    assert _WORKER_CONTEXT is not None
    return code, _pdf_for(_WORKER_CONTEXT, code)


def _pdf_for(ctx: ReportContext, code: str) -> bytes:
    # fpdf2 is imported when a PDF is drawn, not with every page that reads a report context.
    from muyun.report_templates import pdf_report

    return pdf_report.render(build_report(ctx, code), cjk_font_path())


def iter_pdfs(
    ctx: ReportContext, codes: Sequence[str], *, jobs: int = 1
) -> Iterator[tuple[str, bytes]]:
    """(credit_code, PDF) for each code, in order; `jobs` > 1 renders in worker processes.

    Workers get the context once (pickled at start-up), never a database connection.
    """
    if jobs <= 1 or len(codes) < 2:
        for code in codes:
            yield code, _pdf_for(ctx, code)
        return
    # An executor, not multiprocessing.Pool: a worker that dies raises BrokenProcessPool here
    # instead of leaving the batch waiting forever.
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(ctx,),
    ) as pool:
        yield from pool.map(_render_in_worker, codes, chunksize=4)


def default_jobs(reports: int | None = None) -> int:
    """Worker processes for a batch: every core, at most 2 (the target machine).

    Starting a worker and sending it the context costs about as much as a dozen reports, so
    small batches stay in this process.
    """
    if reports is not None and reports < _PARALLEL_MIN_REPORTS:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def batch_zip(
    con: duckdb.DuckDBPyConnection,
    year: int,
    codes: Iterable[str],
    profile: Profile,
    *,
    context: ReportContext | None = None,
    jobs: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A ZIP of one PDF per credit code plus `index.csv`, for the dashboard's batch download;
    `on_progress(done, total)` after each PDF lets the page show progress and time left.

    The index is for officials: Chinese headers with units and the page's rounding (the CLI's
    `muyun report` writes the machine-readable English one).
    """
    from muyun.export import to_official_csv_bytes

    ctx = context or prepare_context(con, year, profile)
    codes = list(codes)
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for code, pdf in iter_pdfs(ctx, codes, jobs=jobs):
            name = report_filename(code, str(ctx.row(code)["name"]))
            archive.writestr(name, pdf)
            index.append(index_row(ctx, code, name))
            if on_progress is not None:
                on_progress(len(index), len(codes))
        frame = pd.DataFrame(index).rename(columns={"file": labels.REPORT_FILE_HEADER})
        archive.writestr("index.csv", to_official_csv_bytes(frame))
    return buffer.getvalue()

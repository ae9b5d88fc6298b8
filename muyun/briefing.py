"""What a director takes into a meeting: the method in words, year-on-year tier changes, and the
one-click briefing (汇报材料) of 总览, drawn as PDF by `report_templates.briefing_pdf`.

Why here and not in the pages: the method legend is written from the profile (so a county that
changes its bands or its D line sees its own rule, never a constant), and the same words, the
same change list and the same figures go on the screen, into the exports and into the PDF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from muyun import formatting, labels, queries
from muyun.profile import Profile

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
    last = previous.drop_duplicates("credit_code")
    position = queries.position_in(out["credit_code"], last["credit_code"])
    tier = last["tier"].array.take(position, allow_fill=True)
    rank = pd.to_numeric(last["rank"], errors="coerce").astype("Int64").array
    out["tier_before"] = pd.Series(tier, index=out.index).astype("string")
    out["rank_before"] = pd.Series(rank.take(position, allow_fill=True), index=out.index)
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


# ── the briefing ─────────────────────────────────────────────────────────────────────────

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

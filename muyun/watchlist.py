"""Early warning (issue 14): the firms likely to fall a tier, or into D, next year — and why.

Why these three signals: a tier is a rank within a pool, so a firm that leads the next tier's best
score by only a few points (`[warning] margin_points`) falls with a small slip; an indicator under
its 警戒值 (absolute, or as growth against last year) is what the bureau's platforms flag; and
亩均税收 falling `decline_years` years running is a trend no single year shows. Each firm on the
list carries every reason that applies, in words an official can hand to a town.

Cut-offs use `tier_before_veto`: a vetoed firm sits in C whatever its score, so its score says
nothing about where the B/C line lies; a vetoed (or, in a published run, 调档) firm is never
"near" a cut-off, though alerts and declines still list it. A pool without any firm of the
next tier has no cut-off to be near (typically C → D, since D also needs 亩均税收 under the D
line).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muyun import labels
from muyun.profile import Profile, Threshold, WarningRule

T = labels.WATCH_TEXT
NEXT_TIER = {"A": "B", "B": "C", "C": "D"}
DECLINE_INDICATOR = "tax_per_mu"
ID_COLUMNS = ("credit_code", "name", "industry", "town", "scale", "pool", "rank", "tier", "total")
SIGNAL_COLUMNS = ("key", "indicator", "basis", "value", "unit", "alert", "quality", "state")


def rule_of(profile: Profile) -> WarningRule:
    """The profile's warning section, or the defaults (no thresholds) when it has none."""
    return profile.warning if profile.warning is not None else WarningRule()


def cutoff_gaps(scored: pd.DataFrame) -> pd.DataFrame:
    """Per ranked firm: the next tier down, its best score in the firm's pool, and the lead.

    Columns: credit_code, lower_tier, cutoff (points), gap = total − cutoff (NaN without a
    cut-off).
    """
    ranked = scored[scored["status"] == labels.STATUS_EVALUATED]
    best = ranked.groupby(["pool", "tier_before_veto"], observed=True)["total"].max()
    lower = ranked["tier_before_veto"].map(NEXT_TIER)
    keys = pd.MultiIndex.from_arrays([ranked["pool"], lower])
    cutoff = best.reindex(keys).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "credit_code": ranked["credit_code"].to_numpy(),
            "lower_tier": lower.to_numpy(),
            "cutoff": cutoff,
        }
    )
    out["gap"] = ranked["total"].to_numpy(dtype=float) - cutoff
    return out


def _previous(history: dict[int, pd.DataFrame], year: int, key: str) -> pd.Series:
    """Last year's value of an indicator by credit code (empty when that year is absent)."""
    prior = history.get(year - 1)
    if prior is None or key not in prior:
        return pd.Series(dtype=float)
    return prior.set_index("credit_code")[key].astype(float)


def measured(
    frame: pd.DataFrame, history: dict[int, pd.DataFrame], year: int, key: str, line: Threshold
) -> pd.Series:
    """What a threshold is compared with, per row of `frame` (positional index): the indicator
    (a ratio indicator such as R&D intensity in %, as pages show it) or its % growth against
    last year; NaN where the line does not apply to the firm's scale or there is no value."""
    if key not in frame:
        return pd.Series(np.nan, index=pd.RangeIndex(len(frame)))
    value = frame[key].reset_index(drop=True).astype(float)
    if line.basis == "growth":
        before = _previous(history, year, key).reindex(frame["credit_code"]).reset_index(drop=True)
        value = (value / before.where(before > 0) - 1.0) * 100.0
    elif labels.INDICATORS[key].percent:
        value = value * 100.0
    applies = frame["scale"].isin(line.scales).reset_index(drop=True)
    return value.where(applies)


def unit_of(key: str, line: Threshold) -> str:
    """The unit a threshold is written in: % for growth and ratio indicators."""
    return "%" if line.basis == "growth" else labels.INDICATORS[key].unit


def declines(history: dict[int, pd.DataFrame], year: int, years: int) -> pd.Series:
    """Credit code → the 亩均税收 path of firms whose value fell `years` years running to `year`."""
    needed = range(year - years, year + 1)
    if any(y not in history for y in needed):
        return pd.Series(dtype=object)
    wide = pd.concat(
        {y: history[y].set_index("credit_code")[DECLINE_INDICATOR] for y in needed}, axis=1
    ).dropna()
    values = wide.to_numpy(dtype=float)
    falling = (np.diff(values, axis=1) < 0).all(axis=1)
    paths = [" → ".join(f"{v:.1f}" for v in row) for row in values[falling]]
    return pd.Series(paths, index=wide.index[falling], dtype=object)


def watch_list(history: dict[int, pd.DataFrame], year: int, profile: Profile) -> pd.DataFrame:
    """The watch list of `year`: ranked A–C firms with at least one warning, most reasons first.

    `history` maps years to scored years (same shape whether published or live); only `year`
    is required, earlier years feed growth thresholds and the decline rule. Columns: the firm's
    identity (ID_COLUMNS), lower_tier, gap, near_cutoff, alert, decline (booleans), reasons
    (one text, reasons joined with "；") and n_reasons.
    """
    rule = rule_of(profile)
    scored = history[year]
    ranked = scored[
        (scored["status"] == labels.STATUS_EVALUATED) & scored["tier"].isin(tuple(NEXT_TIER))
    ]
    base = ranked[list(ID_COLUMNS)].reset_index(drop=True)
    gaps = cutoff_gaps(scored).set_index("credit_code").reindex(base["credit_code"])
    reasons: list[list[str]] = [[] for _ in range(len(base))]

    gap = gaps["gap"].to_numpy(dtype=float)
    vetoed = (ranked["tier"] != ranked["tier_before_veto"]).to_numpy()
    with np.errstate(invalid="ignore"):
        near = (gap <= rule.margin_points) & ~vetoed
    lower_tier = gaps["lower_tier"].to_numpy(dtype=object)
    for i in np.flatnonzero(near):
        reasons[i].append(
            T["near_cutoff"].format(lower=lower_tier[i], gap=gap[i], margin=rule.margin_points)
        )

    alert = np.zeros(len(base), dtype=bool)
    codes = base["credit_code"]
    for key, line in rule.thresholds.items():
        if line.alert is None:
            continue
        value = measured(ranked, history, year, key, line)
        hit = (value < line.alert).to_numpy(dtype=bool)
        alert |= hit
        name, unit = labels.INDICATORS[key].name, unit_of(key, line)
        template = T["alert_growth" if line.basis == "growth" else "alert_value"]
        for i in np.flatnonzero(hit):
            reasons[i].append(
                template.format(indicator=name, value=value.iloc[i], alert=line.alert, unit=unit)
            )

    paths = declines(history, year, rule.decline_years)
    decline = codes.isin(paths.index).to_numpy()
    for i in np.flatnonzero(decline):
        reasons[i].append(T["decline"].format(n=rule.decline_years, path=paths[codes.iloc[i]]))

    base["gap"] = gap
    base["near_cutoff"] = near
    base["alert"] = alert
    base["decline"] = decline
    base["n_reasons"] = [len(r) for r in reasons]
    base["reasons"] = [labels.CLAUSE_SEP.join(r) for r in reasons]
    base["lower_tier"] = base["tier"].map(NEXT_TIER)
    listed = base[base["n_reasons"] > 0]
    return listed.sort_values(
        ["n_reasons", "tier", "gap"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)


def firm_signals(
    history: dict[int, pd.DataFrame], year: int, credit_code: str, profile: Profile
) -> pd.DataFrame:
    """One firm's value against each 警戒值 / 优质值 of the profile (the firm page's block).

    Columns: key, indicator, basis, value (the indicator, or its % growth), unit, alert,
    quality, state (labels.WATCH_STATES: 低于警戒值 / 正常 / 达到优质值 / 无数据). Lines that do
    not apply to the firm's scale are left out.
    """
    scored = history[year]
    mine = scored[scored["credit_code"] == credit_code]
    rows = []
    for key, line in rule_of(profile).thresholds.items():
        if mine.empty or not mine["scale"].isin(line.scales).all():
            continue
        value = float(measured(mine, history, year, key, line).iloc[0])
        if np.isnan(value):
            state = labels.WATCH_STATES["none"]
        elif line.alert is not None and value < line.alert:
            state = labels.WATCH_STATES["alert"]
        elif line.quality is not None and value >= line.quality:
            state = labels.WATCH_STATES["quality"]
        else:
            state = labels.WATCH_STATES["normal"]
        rows.append(
            {
                "key": key,
                "indicator": labels.INDICATORS[key].name,
                "basis": labels.WATCH_BASES[line.basis],
                "value": value,
                "unit": unit_of(key, line),
                "alert": line.alert,
                "quality": line.quality,
                "state": state,
            }
        )
    return pd.DataFrame(rows, columns=list(SIGNAL_COLUMNS))


def threshold_counts(history: dict[int, pd.DataFrame], year: int, profile: Profile) -> pd.DataFrame:
    """Per threshold: how many ranked firms sit under the 警戒值 and at or over the 优质值."""
    rule = rule_of(profile)
    scored = history[year]
    ranked = scored[scored["status"] == labels.STATUS_EVALUATED].reset_index(drop=True)
    rows = []
    for key, line in rule.thresholds.items():
        value = measured(ranked, history, year, key, line)
        rows.append(
            {
                "indicator": labels.INDICATORS[key].name,
                "basis": labels.WATCH_BASES[line.basis],
                "alert": line.alert,
                "quality": line.quality,
                "below_alert": int((value < line.alert).sum()) if line.alert is not None else 0,
                "at_quality": int((value >= line.quality).sum()) if line.quality is not None else 0,
                "with_value": int(value.notna().sum()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "indicator",
            "basis",
            "alert",
            "quality",
            "below_alert",
            "at_quality",
            "with_value",
        ],
    )


EXPORT_COLUMNS = (
    "credit_code",
    "name",
    "industry",
    "town",
    "scale",
    "tier",
    "total",
    "rank",
    "gap",
    "lower_tier",
    "reasons",
)


def export_header(column: str) -> str:
    """The Chinese header (with unit) of a watch-list column, for `muyun.export`."""
    return labels.WATCH_HEADERS.get(column, column)

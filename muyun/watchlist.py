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

from collections import defaultdict

import duckdb
import numpy as np
import pandas as pd

from muyun import labels, queries, scoring
from muyun.profile import Profile, Threshold, WarningRule

T = labels.WATCH_TEXT
NEXT_TIER = {"A": "B", "B": "C", "C": "D"}
DECLINE_INDICATOR = "tax_per_mu"
ID_COLUMNS = ("credit_code", "name", "industry", "town", "scale", "pool", "rank", "tier", "total")
SIGNAL_COLUMNS = ("key", "indicator", "basis", "value", "unit", "alert", "quality", "state")


def rule_of(profile: Profile) -> WarningRule:
    """The profile's warning section, or the defaults (no thresholds) when it has none."""
    return profile.warning if profile.warning is not None else WarningRule()


def history_years(profile: Profile, year: int) -> range:
    """The earlier years the rules read (growth: last year; decline: `decline_years` back).

    Of these only `history_columns` are read; only `year` itself needs its scored frame.
    """
    return range(year - rule_of(profile).decline_years, year)


def history_columns(profile: Profile) -> list[str]:
    """What an earlier year is read for: the code, 亩均税收 (decline) and the indicators of
    the growth thresholds."""
    growth = [k for k, line in rule_of(profile).thresholds.items() if line.basis == "growth"]
    return list(dict.fromkeys(["credit_code", DECLINE_INDICATOR, *growth]))


def earlier_year(scored: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """The slim part of a scored year that a later year's watch list reads (`history_columns`)."""
    return scored[[c for c in history_columns(profile) if c in scored]].reset_index(drop=True)


def earlier_year_live(con: duckdb.DuckDBPyConnection, year: int, profile: Profile) -> pd.DataFrame:
    """`earlier_year` of a live year straight from the store, without scoring it: a live
    score's indicator columns are the year's own values (`scoring.indicator_values`), whatever
    the profile, so only the rows' order differs — and the rules match years by credit code."""
    return scoring.indicator_values(con, year, history_columns(profile)[1:])


def _is(mask: pd.Series) -> np.ndarray:
    """A boolean Series as a numpy mask (missing counts as False)."""
    return mask.to_numpy(dtype=bool, na_value=False)


def _column(frame: pd.DataFrame, key: str) -> np.ndarray:
    """A numeric column as floats (NaN for missing)."""
    return frame[key].to_numpy(dtype=float, na_value=np.nan)


def _taken(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values[at]`, NaN where `at` is −1."""
    if len(values) == 0:
        return np.full(len(at), np.nan)
    return np.where(at >= 0, values[np.maximum(at, 0)], np.nan)


def _cutoffs(
    pool: np.ndarray, tier: np.ndarray, total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per ranked firm (its pool as a code, −1 without one; its tier before any veto; its
    total): the next tier down (None for D) and that tier's best score in the firm's pool
    (NaN without one). Integer codes: grouping 200,000 rows by pool and tier names costs
    several times more."""
    lower = np.full(len(tier), None, dtype=object)
    for name, below in NEXT_TIER.items():
        lower[tier == name] = below
    cutoff = np.full(len(tier), np.nan)
    for name in set(NEXT_TIER.values()):
        best = np.full(max(pool.max(initial=-1) + 1, 0), np.nan)
        members = (tier == name) & (pool >= 0)
        np.fmax.at(best, pool[members], total[members])
        below = (lower == name) & (pool >= 0)
        cutoff[below] = best[pool[below]]
    return lower, cutoff


def _threshold_columns(scored: pd.DataFrame, rule: WarningRule) -> pd.DataFrame:
    """The columns the thresholds are measured on: taking rows of these alone, not of the ~80
    columns of a scored year, is much of what a province-size watch list saves."""
    wanted = ["credit_code", "scale", "status", *rule.thresholds]
    return scored[[c for c in dict.fromkeys(wanted) if c in scored]]


def _previous(
    history: dict[int, pd.DataFrame], year: int, key: str, codes: pd.Series
) -> np.ndarray:
    """Last year's value of an indicator for each of `codes` (NaN when that year is absent)."""
    prior = history.get(year - 1)
    if prior is None or key not in prior:
        return np.full(len(codes), np.nan)
    return _taken(_column(prior, key), queries.position_in(codes, prior["credit_code"]))


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
        before = pd.Series(_previous(history, year, key, frame["credit_code"]))
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
    first = history[needed[0]]
    codes = first["credit_code"].reset_index(drop=True)
    columns = [_column(first, DECLINE_INDICATOR)]
    for y in needed[1:]:
        at = queries.position_in(codes, history[y]["credit_code"])
        columns.append(_taken(_column(history[y], DECLINE_INDICATOR), at))
    values = np.column_stack(columns)
    complete = ~np.isnan(values).any(axis=1)
    falling = np.flatnonzero(complete)[(np.diff(values[complete], axis=1) < 0).all(axis=1)]
    paths = [" → ".join(f"{v:.1f}" for v in row) for row in values[falling]]
    return pd.Series(paths, index=pd.Index(codes.iloc[falling], name="credit_code"), dtype=object)


def watch_list(history: dict[int, pd.DataFrame], year: int, profile: Profile) -> pd.DataFrame:
    """The watch list of `year`: ranked A–C firms with at least one warning, most reasons first.

    `history` maps years to scored years (same shape whether published or live); only `year`
    is required, earlier years feed growth thresholds and the decline rule. Columns: the firm's
    identity (ID_COLUMNS), lower_tier, gap, near_cutoff, alert, decline (booleans), reasons
    (one text, reasons joined with "；") and n_reasons.
    """
    rule = rule_of(profile)
    scored = history[year]
    # Rows as positions and columns as arrays: the text columns of a province year (200,000
    # rows) are taken only for the firms listed, not for every ranked one.
    evaluated = np.flatnonzero(_is(scored["status"] == labels.STATUS_EVALUATED))
    pool, _ = pd.factorize(scored["pool"])
    before = scored["tier_before_veto"].to_numpy(dtype=object, na_value=None)
    total = _column(scored, "total")
    lower_tier, cutoff = _cutoffs(pool[evaluated], before[evaluated], total[evaluated])
    in_play = _is(scored["tier"].isin(tuple(NEXT_TIER)))[evaluated]
    ranked = evaluated[in_play]
    frame = _threshold_columns(scored, rule).iloc[ranked]
    reasons: defaultdict[int, list[str]] = defaultdict(list)  # ranked row → its reasons

    gap = total[ranked] - cutoff[in_play]
    lower_tier = lower_tier[in_play]
    vetoed = _is(scored["tier"] != scored["tier_before_veto"])[ranked]
    with np.errstate(invalid="ignore"):
        near = (gap <= rule.margin_points) & ~vetoed
    for i in np.flatnonzero(near).tolist():
        reasons[i].append(
            T["near_cutoff"].format(lower=lower_tier[i], gap=gap[i], margin=rule.margin_points)
        )

    alert = np.zeros(len(ranked), dtype=bool)
    for key, line in rule.thresholds.items():
        if line.alert is None:
            continue
        value = measured(frame, history, year, key, line).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hit = value < line.alert
        alert |= hit
        name, unit = labels.INDICATORS[key].name, unit_of(key, line)
        template = T["alert_growth" if line.basis == "growth" else "alert_value"]
        for i in np.flatnonzero(hit).tolist():
            reasons[i].append(
                template.format(indicator=name, value=value[i], alert=line.alert, unit=unit)
            )

    codes = frame["credit_code"]
    paths = declines(history, year, rule.decline_years)
    at = queries.position_in(codes, pd.Series(paths.index, dtype=codes.dtype))
    decline = at >= 0
    texts = paths.to_numpy(dtype=object)
    for i in np.flatnonzero(decline).tolist():
        reasons[i].append(T["decline"].format(n=rule.decline_years, path=texts[at[i]]))

    counted = np.zeros(len(ranked), dtype=np.int64)
    counted[list(reasons)] = [len(r) for r in reasons.values()]
    keep = np.flatnonzero(counted > 0)
    listed = scored[list(ID_COLUMNS)].iloc[ranked[keep]].reset_index(drop=True)
    listed["gap"] = gap[keep]
    listed["near_cutoff"] = near[keep]
    listed["alert"] = alert[keep]
    listed["decline"] = decline[keep]
    listed["n_reasons"] = counted[keep]
    listed["reasons"] = [labels.CLAUSE_SEP.join(reasons[i]) for i in keep.tolist()]
    listed["lower_tier"] = listed["tier"].map(NEXT_TIER)
    return listed.sort_values(
        ["n_reasons", "tier", "gap"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)


def firm_entry(
    history: dict[int, pd.DataFrame], year: int, credit_code: str, profile: Profile
) -> pd.DataFrame:
    """The firm's row of `watch_list` (no rows when it is not listed), found on its own
    ranking pool: every reason is the firm's own values and years, or its pool's cut-offs.

    Why: the firm page built the whole list to show one firm's line; at province scale the
    list took ~0.4 s of CPU, the firm's pool ~0.17 s (the earlier years' lookups remain).
    """
    scored = history[year]
    mine = scored["credit_code"] == credit_code
    if mine.any():
        pool = scored.loc[mine, "pool"].iloc[0]
        if not pd.isna(pool):
            mine = mine | (scored["pool"] == pool).fillna(False).astype(bool)
    listed = watch_list({**history, year: scored[mine]}, year, profile)
    return listed[listed["credit_code"] == credit_code].reset_index(drop=True)


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
    scored = _threshold_columns(history[year], rule)
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

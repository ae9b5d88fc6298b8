"""The 镇街 league table (issue 14): towns ranked on their firms' efficiency and against targets.

Why ratio of sums: a town's 亩均税收 is its firms' total tax over their total effective land, as
the city's own figure is (methodology §3), so a town of many tiny firms is not flattered by an
average of ratios; 亩均增加值 uses only the firms that report value added (规上), land and value
added alike. Every figure is a sum over the town's firms of one scored year — published or
live, the same shape — so a town's row can always be traced back to its firm list.

Progress against targets: land rectified is the 已完成 projects' area of the year; D firms
cleared are last year's D firms of the town that are no longer D (improved, or gone); low-
efficiency firms handled are those leaving the low-efficiency list (`muyun.land.leaving_list`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from muyun import labels, land, queries
from muyun.profile import Profile

RANK_KEYS: tuple[str, ...] = (
    "tax_per_mu",
    "va_per_mu",
    "tax_per_mu_growth",
    "va_per_mu_growth",
    "share_a",
    "share_d",
    "land_progress",
)
LOWER_IS_BETTER = frozenset({"share_d"})
# What the league reads of last year: its sums (growth), its D firms (cleared) and its
# low-efficiency list (handled). A few columns instead of a second scored year, which at
# province scale does not fit in the shared cache beside the year shown.
PREVIOUS_YEAR_COLUMNS: tuple[str, ...] = (
    *land.PREVIOUS_YEAR_COLUMNS,
    "tax",
    "value_added",
)
# A town's firm list: what its page shows and filters on, and what `tier_counts` reads.
FIRM_COLUMNS: tuple[str, ...] = (
    "credit_code",
    "name",
    "industry",
    "town",
    "scale",
    "status",
    "tier",
    "total",
    "tax_per_mu",
    "va_per_mu",
    "land_mu",
)
TARGET_COLUMNS: tuple[str, ...] = (
    "tax_per_mu_growth_pct",
    "va_per_mu_growth_pct",
    "land_rectified_mu",
    "d_firms_cleared",
    "low_eff_handled",
)


def town_sums(scored: pd.DataFrame) -> pd.DataFrame:
    """Per town: the participating firms' counts and sums, and the ratios of those sums.

    Columns: town, firms, ranked, land_mu, tax, va_land_mu, value_added, tax_per_mu, va_per_mu,
    n_a, n_d, share_a, share_d (shares of the ranked firms, 0–1).
    """
    part = queries.participating(scored)
    part = part[part["land_mu"].fillna(0) > 0]
    has_va = part["value_added"].notna()
    is_ranked = part["status"] == labels.STATUS_EVALUATED
    frame = pd.DataFrame(
        {
            "town": part["town"].astype(str),
            "firms": 1,
            "ranked": is_ranked.astype(int),
            "land_mu": part["land_mu"].astype(float),
            "tax": part["tax"].astype(float),
            "va_land_mu": part["land_mu"].where(has_va, 0.0).astype(float),
            "value_added": part["value_added"].where(has_va, 0.0).astype(float),
            "n_a": (is_ranked & (part["tier"] == "A")).astype(int),
            "n_d": (is_ranked & (part["tier"] == "D")).astype(int),
        }
    )
    sums = frame.groupby("town", sort=True).sum().reset_index()
    sums["tax_per_mu"] = sums["tax"] / sums["land_mu"]
    sums["va_per_mu"] = sums["value_added"] / sums["va_land_mu"].where(sums["va_land_mu"] > 0)
    ranked = sums["ranked"].where(sums["ranked"] > 0)
    sums["share_a"] = sums["n_a"] / ranked
    sums["share_d"] = sums["n_d"] / ranked
    return sums


def d_cleared(previous: pd.DataFrame | None, scored: pd.DataFrame) -> pd.Series:
    """Town (as of last year) → last year's D firms that are not D this year (improved or gone)."""
    if previous is None or previous.empty:
        return pd.Series(dtype="int64")
    was_d = previous[(previous["status"] == labels.STATUS_EVALUATED) & (previous["tier"] == "D")]
    still_d = scored.loc[scored["tier"] == "D", "credit_code"]
    cleared = was_d[~queries.among(was_d["credit_code"], still_d)]
    return cleared.groupby(cleared["town"].astype(str)).size()


def low_eff_handled(
    previous: pd.DataFrame | None, scored: pd.DataFrame, profile: Profile
) -> pd.Series:
    """Town → firms leaving the low-efficiency list this year (on it last year, now clear)."""
    if previous is None or previous.empty:
        return pd.Series(dtype="int64")
    leaving = land.leaving_list(previous, scored, profile)
    return leaving.groupby(leaving["town"].astype(str)).size()


@dataclass(frozen=True)
class TownInputs:
    """What the store holds for a year beyond the scored firms: targets and rectified land."""

    targets: pd.DataFrame  # town + TARGET_COLUMNS
    rectified: pd.Series  # town → 亩 of 已完成 projects in the year


def load_inputs(con: duckdb.DuckDBPyConnection, year: int) -> TownInputs:
    """The year's town targets and completed rectification by town."""
    targets = con.execute(
        "SELECT town, " + ", ".join(TARGET_COLUMNS) + " FROM town_targets WHERE year = ?",
        [year],
    ).df()
    rectified = con.execute(
        "SELECT town, sum(area_mu) AS mu FROM rectification_projects "
        "WHERE year = ? AND status = ? GROUP BY town",
        [year, labels.RECTIFICATION_DONE_STATUS],
    ).df()
    return TownInputs(targets, rectified.set_index("town")["mu"].astype(float))


def _growth_pct(now: pd.Series, before: pd.Series) -> pd.Series:
    return (now / before.where(before > 0) - 1.0) * 100.0


def league(
    scored: pd.DataFrame,
    previous: pd.DataFrame | None,
    inputs: TownInputs,
    profile: Profile,
    towns: list[str] | None = None,
) -> pd.DataFrame:
    """The league table: one row per town (every known town, even one without firms).

    Beside `town_sums`: growth of 亩均税收 / 亩均增加值 against last year (%), land rectified
    and its target and progress (0–1), D firms cleared and low-efficiency firms handled with
    their targets (`target_<column>`, NaN when not set).
    """
    sums = town_sums(scored).set_index("town")
    index = pd.Index(sorted(set(towns or []) | set(sums.index)), name="town")
    out = sums.reindex(index)
    for column in ("firms", "ranked", "n_a", "n_d"):
        out[column] = out[column].fillna(0).astype("int64")
    if previous is not None and not previous.empty:
        before = town_sums(previous).set_index("town").reindex(index)
        out["tax_per_mu_growth"] = _growth_pct(out["tax_per_mu"], before["tax_per_mu"])
        out["va_per_mu_growth"] = _growth_pct(out["va_per_mu"], before["va_per_mu"])
    else:
        out["tax_per_mu_growth"] = np.nan
        out["va_per_mu_growth"] = np.nan
    targets = inputs.targets.set_index("town").reindex(index)
    for column in TARGET_COLUMNS:
        out[f"target_{column}"] = targets[column].astype(float)
    out["land_rectified_mu"] = inputs.rectified.reindex(index).fillna(0.0)
    goal = out["target_land_rectified_mu"]
    out["land_progress"] = out["land_rectified_mu"] / goal.where(goal > 0)
    out["d_firms_cleared"] = d_cleared(previous, scored).reindex(index).fillna(0).astype("int64")
    handled = low_eff_handled(previous, scored, profile)
    out["low_eff_handled"] = handled.reindex(index).fillna(0).astype("int64")
    return out.reset_index()


def ranked_by(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """The league sorted on one measure (best first, missing last) with a 1-based `place`."""
    if key not in RANK_KEYS:
        raise ValueError(f"unknown ranking key {key!r}")
    ascending = key in LOWER_IS_BETTER
    out = table.sort_values([key, "town"], ascending=[ascending, True], na_position="last")
    out = out.reset_index(drop=True)
    place = out[key].rank(method="min", ascending=ascending)
    out.insert(0, "place", place.astype("Int64"))
    return out


def town_firms(scored: pd.DataFrame, town: str) -> pd.DataFrame:
    """A town's participating firms of the year (`FIRM_COLUMNS`), best total first.

    The town is picked before anything else is done to the rows: a province year has 200,000.
    """
    scored = scored[[c for c in FIRM_COLUMNS if c in scored]]
    mine = queries.participating(scored[scored["town"].astype(str) == town])
    return mine.sort_values("total", ascending=False, na_position="last").reset_index(drop=True)


def tier_counts(scored: pd.DataFrame, town: str) -> dict[str, int]:
    """Tier letter → ranked firms of the town in it (every tier present, zero when none)."""
    mine = town_firms(scored, town)
    mine = mine[mine["status"] == labels.STATUS_EVALUATED]
    counts = mine["tier"].astype(str).value_counts()
    return {tier: int(counts.get(tier, 0)) for tier in labels.TIERS}

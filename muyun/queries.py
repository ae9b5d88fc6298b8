"""Read-only queries and aggregates the pages show. Pages call these; they never write SQL.

Two kinds live here: parameterised SQL reads of the store (years, towns, leases, the import
log), and pure pandas aggregates over a scored year (`muyun.scoring.score_year` output), so the
numbers a page shows are computed in one tested place and never inside a page.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from muyun import labels, scoring
from muyun.profile import Profile
from muyun.scoring import INDICATOR_FORMULAS

PARTICIPATING = (labels.STATUS_EVALUATED, labels.STATUS_EXEMPT)
SMALL_POOL = 10
# The A-tier reference ("A类入围参考值") of an indicator: the lower quartile over the pool's A
# firms, shown only when the pool has at least this many A firms, so that no single peer's
# figures can be read off the page or the report.
A_ENTRY_QUANTILE = 0.25
A_ENTRY_MIN_FIRMS = 3
_INDUSTRY_ORDER = {name: i for i, name in enumerate(labels.INDUSTRIES)}
# Half-width (degrees) of the deterministic scatter of firms around their town centre on the map.
MAP_JITTER_DEG = 0.018
# Above this many firms the map merges each town's firms per tier into one bubble (issue 15): a
# browser drawing 49,000 points took 9 s of CPU, and nobody reads them one by one.
MAP_POINTS_MAX = 3000
# Where each tier's bubble sits around its town centre (lat, lon offsets in jitter units).
_BUBBLE_OFFSETS = {"A": (0.5, -0.5), "B": (0.5, 0.5), "C": (-0.5, -0.5), "D": (-0.5, 0.5)}


# ── reads of the store ──────────────────────────────────────────────────────────────────────


def available_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years that have enterprise data, ascending."""
    rows = con.execute("SELECT DISTINCT year FROM enterprises ORDER BY year").fetchall()
    return [int(r[0]) for r in rows]


def largest_year(con: duckdb.DuckDBPyConnection) -> int:
    """The most enterprises any year has (0 for an empty store)."""
    rows = con.execute("SELECT count(*) AS n FROM enterprises GROUP BY year ORDER BY n DESC")
    found = rows.fetchall()
    return int(found[0][0]) if found else 0


def town_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The city's 镇街 in their reference order."""
    return [r[0] for r in con.execute("SELECT name FROM towns ORDER BY rowid").fetchall()]


def towns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """镇街 with their centres (name, lat, lon), in reference order."""
    return con.execute("SELECT name, lat, lon FROM towns ORDER BY rowid").df()


def dataset_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The `dataset_info` key/value pairs (e.g. demo = 'true', seed, built_at)."""
    return dict(con.execute("SELECT key, value FROM dataset_info").fetchall())


def is_demo(info: Mapping[str, str]) -> bool:
    """Whether the store holds the synthetic demo city (pages then show the demo notice)."""
    return str(info.get("demo", "")).strip().lower() == "true"


def firm_leases(con: duckdb.DuckDBPyConnection, year: int, credit_code: str) -> pd.DataFrame:
    """The firm's leases of a year, both directions, with the other party's name.

    Columns: direction (租出/租入), counterpart_code, counterpart_name, land_mu, floor_area_m2,
    registered, record_no. Unregistered rows are kept: officials chase their registration.
    """
    return con.execute(
        """
        SELECT CASE WHEN l.lessor_code = $code THEN $out ELSE $in END AS direction,
               p.code AS counterpart_code,
               e.name AS counterpart_name,
               l.land_mu, l.floor_area_m2, l.registered, l.record_no
        FROM leases AS l
        CROSS JOIN LATERAL (
            SELECT CASE WHEN l.lessor_code = $code THEN l.lessee_code ELSE l.lessor_code END
        ) AS p(code)
        LEFT JOIN enterprises AS e ON e.year = l.year AND e.credit_code = p.code
        WHERE l.year = $year AND (l.lessor_code = $code OR l.lessee_code = $code)
        ORDER BY direction, l.land_mu DESC
        """,
        {"code": credit_code, "year": year, "out": labels.LEASE_OUT, "in": labels.LEASE_IN},
    ).df()


def import_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The most recent imports, newest first."""
    return con.execute(
        """
        SELECT imported_at, file_name, table_name, years, rows_added, rows_replaced, warnings,
               sha256
        FROM import_log ORDER BY imported_at DESC, id DESC LIMIT ?
        """,
        [limit],
    ).df()


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per data-dictionary table (the data page's summary of what the store holds)."""
    # Table names come from the fixed allow-list in labels, never from input.
    union = " UNION ALL ".join(
        f"SELECT '{table}', count(*) FROM {table}" for table in labels.TABLE_NAMES
    )
    return {table: int(rows) for table, rows in con.execute(union).fetchall()}


# ── aggregates over a scored year ───────────────────────────────────────────────────────────


# What places a firm in the sidebar's filters: the columns a page reads of an earlier year
# besides its tiers (`firm_attributes`).
ATTRIBUTE_COLUMNS = ("credit_code", "scale", "industry", "town")


def firm_attributes(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Every firm's scale, industry and town of a year, as imported (a scored year carries the
    same values): with the slim tiers, all that last year's columns and tier changes need."""
    cursor = con.cursor()
    try:
        table = cursor.sql(
            f"SELECT {', '.join(ATTRIBUTE_COLUMNS)} FROM enterprises WHERE year = $year",
            params={"year": int(year)},
        ).to_arrow_table()
    finally:
        cursor.close()
    return table.to_pandas(types_mapper=scoring.pandas_type)


def among(values: pd.Series, pool: pd.Series | Iterable[str]) -> pd.Series:
    """`values.isin(pool)` for text such as credit codes, through Arrow's hash set: pandas 3.1's
    own `isin` on a text column takes about a second for 30,000 codes among 200,000."""
    column = pa.array(values, from_pandas=True, type=pa.large_string())
    chosen = pool if isinstance(pool, pd.Series) else pd.Series(list(pool), dtype="str")
    value_set = pa.array(chosen, from_pandas=True, type=pa.large_string())
    hit = pc.fill_null(pc.is_in(column, value_set=value_set, skip_nulls=True), False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def position_in(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """Each value's first position in `pool`, −1 where absent (`ExtensionArray.take` with
    `allow_fill` turns −1 into a missing value): how one year's firms are found in another.

    Why Arrow's hash lookup, as in `among`: matching 200,000 credit codes through a pandas
    index of strings (or two `Series.map`) took ~0.3 s each time, and the watch list, the
    programme evaluation and the ranking table's 上年 columns match years against each other.
    """
    column = pa.array(values, from_pandas=True, type=pa.large_string())
    value_set = pa.array(pool, from_pandas=True, type=pa.large_string())
    found = pc.index_in(column, value_set=value_set, skip_nulls=True).fill_null(-1)
    return found.to_numpy(zero_copy_only=False).astype(np.intp)


def first_position(values: pd.Series, value: str) -> int | None:
    """The first row of `values` equal to `value` (None when there is none): one pass of
    Arrow's comparison, ~1 ms over a province year's codes, where indexing them costs ~0.1 s."""
    found = pc.index(pa.array(values, from_pandas=True, type=pa.large_string()), value).as_py()
    return None if found < 0 else int(found)


def text_is(values: pd.Series, *texts: str) -> np.ndarray:
    """Where a text column equals one of `texts` (False where missing), as a plain array: the
    Arrow hash set of `among`, since turning a province's Arrow-backed column into Python
    strings first cost ~25 ms a column."""
    return among(values, texts).to_numpy(dtype=bool)


def take_rows(frame: pd.DataFrame, columns: Iterable[str], rows: np.ndarray) -> pd.DataFrame:
    """Columns of `frame` at positions `rows`, indexed 0…n−1, each keeping its dtype (text
    stays in Arrow: no Python string per cell, no copy of the other columns)."""
    return pd.DataFrame({c: frame[c].array.take(rows) for c in columns})


def participating(scored: pd.DataFrame) -> pd.DataFrame:
    """Firms taking part in the evaluation (status 评价 or 不定级)."""
    return scored[scored["status"].isin(PARTICIPATING)]


def ranked(scored: pd.DataFrame) -> pd.DataFrame:
    """Firms ranked and tiered (status 评价)."""
    return scored[scored["status"] == labels.STATUS_EVALUATED]


def filter_scored(
    scored: pd.DataFrame,
    *,
    scale: str | None = None,
    industries: Iterable[str] = (),
    towns: Iterable[str] = (),
    tiers: Iterable[str] = (),
    search: str = "",
) -> pd.DataFrame:
    """Rows matching the sidebar filters (empty selections mean all) and a name/code search."""
    mask = pd.Series(True, index=scored.index)
    if scale:
        mask &= scored["scale"] == scale
    for column, chosen in (("industry", industries), ("town", towns), ("tier", tiers)):
        chosen = tuple(chosen)
        if chosen:
            mask &= scored[column].isin(chosen).fillna(False).astype(bool)
    needle = search.strip()
    if needle:
        name_hit = scored["name"].str.contains(needle, case=False, regex=False)
        code_hit = scored["credit_code"].str.contains(needle.upper(), regex=False)
        mask &= (name_hit | code_hit).fillna(False).astype(bool)
    if bool(mask.all()):
        return scored.copy(deep=False)  # nothing filtered: no 145 MB copy at province scale
    return scored[mask]


def ratio_of_sums(frame: pd.DataFrame, numerator: str, denominator: str) -> float:
    """Σnumerator / Σdenominator over rows where both are present and the denominator > 0.

    This is how official averages are published (total tax ÷ total land), not a mean of ratios.
    """
    num = pd.to_numeric(frame[numerator], errors="coerce").astype("float64")
    den = pd.to_numeric(frame[denominator], errors="coerce").astype("float64")
    ok = num.notna() & den.notna() & (den > 0)
    total = float(den[ok].sum())
    return float(num[ok].sum()) / total if total > 0 else math.nan


def indicator_average(frame: pd.DataFrame, key: str) -> float:
    """The ratio-of-sums average of one indicator over `frame`."""
    numerator, denominator = INDICATOR_FORMULAS[key]
    return ratio_of_sums(frame, numerator, denominator)


def tier_counts(scored: pd.DataFrame) -> dict[str, int]:
    """Number of firms per tier A–D (status 评价 only)."""
    counts = ranked(scored)["tier"].value_counts()
    return {tier: int(counts.get(tier, 0)) for tier in labels.TIERS}


@dataclass(frozen=True)
class Kpis:
    """The overview's headline figures for one year, one scale and the filtered firms."""

    firms_by_scale: dict[str, int]
    ranked_firms: int
    land_mu: float
    tax_per_mu: float
    va_per_mu: float
    tiers: dict[str, int]

    @property
    def land_hectare(self) -> float:
        return labels.mu_to_hectare(self.land_mu)


# What a year's figures are summed from: one row per combination of these, so the overview's
# KPIs, tier mix and five-year trend are read off a few thousand rows instead of every firm.
SUMMARY_KEYS = ["scale", "industry", "town", "tier", "status"]
_SUMMARY_RATIOS = {"tax": ("tax", "land_mu"), "va": ("value_added", "land_mu")}


def year_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """A scored year summed by scale × industry × town × tier × status (issue 15).

    Columns: the keys, `firms`, `land_mu`, for 亩均税收 and 亩均增加值 the numerator and
    denominator sums over the rows where both are present and the denominator is > 0 (what
    `ratio_of_sums` divides), and `total_sum`/`total_n` over the firms with a total. Every
    filter of the sidebar is a filter on the keys, so the figures of any selection come from
    this table as from the firms.
    """
    frame = pd.DataFrame({key: scored[key] for key in SUMMARY_KEYS})
    frame["firms"] = 1
    frame["land_mu"] = pd.to_numeric(scored["land_mu"], errors="coerce").astype("float64")
    for name, (numerator, denominator) in _SUMMARY_RATIOS.items():
        num = pd.to_numeric(scored[numerator], errors="coerce").astype("float64")
        den = pd.to_numeric(scored[denominator], errors="coerce").astype("float64")
        ok = num.notna() & den.notna() & (den > 0)
        frame[f"{name}_num"] = num.where(ok, 0.0)
        frame[f"{name}_den"] = den.where(ok, 0.0)
    total = pd.to_numeric(scored["total"], errors="coerce").astype("float64")
    frame["total_sum"] = total.fillna(0.0)
    frame["total_n"] = total.notna().astype("int64")
    grouped = frame.groupby(SUMMARY_KEYS, dropna=False, sort=False, observed=True)
    return grouped.sum(min_count=0).reset_index()


def _summary_ratio(summary: pd.DataFrame, name: str) -> float:
    total = float(summary[f"{name}_den"].sum())
    return float(summary[f"{name}_num"].sum()) / total if total > 0 else math.nan


def summary_kpis(summary: pd.DataFrame, scale: str) -> Kpis:
    """Headline figures from a `year_summary`: participating firms per scale, and for `scale`
    land and 亩均 averages.

    Land is the effective land of participating firms; 亩均税收 and 亩均增加值 are ratios of sums
    over the same firms (value added only where reported).
    """
    taking_part = summary[summary["status"].isin(PARTICIPATING)]
    by_scale = taking_part.groupby("scale", observed=True)["firms"].sum()
    of_scale = taking_part[taking_part["scale"] == scale]
    ranked_rows = of_scale[of_scale["status"] == labels.STATUS_EVALUATED]
    tiers = ranked_rows.groupby("tier", observed=True)["firms"].sum()
    return Kpis(
        firms_by_scale={s: int(by_scale.get(s, 0)) for s in labels.SCALES},
        ranked_firms=int(ranked_rows["firms"].sum()),
        land_mu=float(of_scale["land_mu"].sum()),
        tax_per_mu=_summary_ratio(of_scale, "tax"),
        va_per_mu=_summary_ratio(of_scale, "va"),
        tiers={tier: int(tiers.get(tier, 0)) for tier in labels.TIERS},
    )


def summary_tier_mix(summary: pd.DataFrame) -> pd.DataFrame:
    """Firms per industry × tier with each tier's share of its industry (status 评价), from a
    `year_summary` already cut to the selection.

    Columns: industry, tier, tier_class, firms, share (0–1); industries in the official order.
    """
    rows = summary[summary["status"] == labels.STATUS_EVALUATED]
    counts = rows.groupby(["industry", "tier"], observed=True)["firms"].sum()
    present = [i for i in labels.INDUSTRIES if i in set(rows["industry"])]
    index = pd.MultiIndex.from_product([present, labels.TIERS], names=["industry", "tier"])
    mix = counts.reindex(index, fill_value=0).astype("int64").rename("firms").reset_index()
    totals = mix.groupby("industry")["firms"].transform("sum")
    mix["share"] = np.where(totals > 0, mix["firms"] / totals.where(totals > 0, 1), 0.0)
    mix["tier_class"] = mix["tier"].map(labels.TIER_CLASS)
    return mix


def summary_trend(summaries: Mapping[int, pd.DataFrame], scale: str) -> pd.DataFrame:
    """One row per year: participating firms, land (亩), 亩均税收, 亩均增加值 and tier counts —
    five years drawn from five small summaries, not five scored years."""
    rows = []
    for year in sorted(summaries):
        k = summary_kpis(summaries[year], scale)
        rows.append(
            {
                "year": year,
                "firms": k.firms_by_scale[scale],
                "land_mu": k.land_mu,
                "tax_per_mu": k.tax_per_mu,
                "va_per_mu": k.va_per_mu,
                **k.tiers,
            }
        )
    return pd.DataFrame(rows)


def industry_order(industry: pd.Series) -> pd.Series:
    """Each industry's position in the official order (for sorting; unknown ones are NaN)."""
    return industry.map(_INDUSTRY_ORDER)


def pool_sizes(scored: pd.DataFrame) -> pd.DataFrame:
    """Ranking pools (scale × industry) with their size and whether they are under 10 firms."""
    rows = ranked(scored)
    sizes = (
        rows.groupby(["pool", "scale", "industry"], observed=True)
        .size()
        .rename("pool_size")
        .reset_index()
    )
    sizes["small"] = sizes["pool_size"] < SMALL_POOL
    sizes["_order"] = industry_order(sizes["industry"])
    return sizes.sort_values(["scale", "_order"]).drop(columns="_order").reset_index(drop=True)


def ranking_columns(profile: Profile, scale: str) -> list[str]:
    """Columns of the ranking table for a scale, in reading order."""
    keys = [spec.key for spec in profile.indicators(scale)]
    return [
        "rank",
        "tier",
        "tier_class",
        "name",
        "credit_code",
        "industry",
        "town",
        "pool_size",
        "total",
        *[f"score_{k}" for k in keys],
        "bonus",
        "deduction",
        *keys,
        "land_mu",
        "status",
    ]


def ranking_table(scored: pd.DataFrame, profile: Profile, scale: str) -> pd.DataFrame:
    """The ranking table: industry order, then rank; tier class names beside the letters.

    The order is found on the five sort keys alone and the table's columns taken in that order
    once: sorting all 83 columns of a province's scored year cost a quarter of a second."""
    keys = pd.DataFrame(
        {
            "_industry": industry_order(scored["industry"]).to_numpy(),
            **{c: scored[c].to_numpy() for c in ("rank", "total", "tax_per_mu", "credit_code")},
        }
    )
    order = keys.sort_values(
        ["_industry", "rank", "total", "tax_per_mu", "credit_code"],
        ascending=[True, True, False, False, True],
        na_position="last",
    ).index.to_numpy()
    # `override` exists in a published evaluation run's result only (muyun.evaluation).
    columns = [*ranking_columns(profile, scale), "override"]
    present = [c for c in columns if c in scored.columns or c == "tier_class"]
    frame = scored[[c for c in present if c != "tier_class"]].take(order)
    frame.insert(present.index("tier_class"), "tier_class", frame["tier"].map(labels.TIER_CLASS))
    return frame.reset_index(drop=True)


def map_points(scored: pd.DataFrame, town_centres: pd.DataFrame) -> pd.DataFrame:
    """Ranked firms placed around their town centre, for the offline map.

    The store has no factory coordinates, only the 镇街; each firm gets a small, deterministic
    offset derived from its credit code so the same firm stays in the same spot between runs.
    Names stay as the firms wrote them: the chart passes them as data, and its tooltip escapes.
    """
    rows = ranked(scored)[["credit_code", "name", "industry", "town", "tier", "total"]]
    rows = rows.merge(town_centres, left_on="town", right_on="name", suffixes=("", "_town"))
    offsets = np.array([_offsets(code) for code in rows["credit_code"]]).reshape(-1, 2)
    out = rows.drop(columns="name_town").copy()
    out["lat"] = out["lat"] + offsets[:, 0] * MAP_JITTER_DEG
    out["lon"] = out["lon"] + offsets[:, 1] * MAP_JITTER_DEG
    out["tier_class"] = out["tier"].map(labels.TIER_CLASS)
    return out.reset_index(drop=True)


def map_bubbles(summary: pd.DataFrame, town_centres: pd.DataFrame) -> pd.DataFrame:
    """Ranked firms merged per town × tier, for the map of a large selection (read off a
    `year_summary` cut to the selection, so no scored year is needed).

    Columns: town, tier, tier_class, firms, mean_total, lat, lon — each tier's bubble at a
    fixed corner around its town centre, so a town reads as four bubbles A–D.
    """
    rows = summary[summary["status"] == labels.STATUS_EVALUATED]
    grouped = rows.groupby(["town", "tier"], observed=True)[["firms", "total_sum", "total_n"]]
    out = grouped.sum().reset_index()
    out["mean_total"] = out["total_sum"] / out["total_n"].where(out["total_n"] > 0)
    out = out.merge(town_centres, left_on="town", right_on="name")
    corners = out["tier"].map(_BUBBLE_OFFSETS)
    out["lat"] = out["lat"] + corners.str[0].astype(float) * MAP_JITTER_DEG
    out["lon"] = out["lon"] + corners.str[1].astype(float) * MAP_JITTER_DEG
    out["tier_class"] = out["tier"].map(labels.TIER_CLASS)
    columns = ["town", "tier", "tier_class", "firms", "mean_total", "lat", "lon"]
    return out[columns].sort_values(["tier", "town"]).reset_index(drop=True)


def _offsets(code: str) -> tuple[float, float]:
    digest = hashlib.blake2b(code.encode("utf-8"), digest_size=4).digest()
    return (digest[0] / 127.5 - 1.0) * (digest[1] / 255.0), (digest[2] / 127.5 - 1.0) * (
        digest[3] / 255.0
    )


# ── one enterprise ──────────────────────────────────────────────────────────────────────────


def firm_row(scored: pd.DataFrame, credit_code: str) -> pd.Series | None:
    """The firm's scored row, or None when it has no data that year."""
    hit = scored[scored["credit_code"] == credit_code]
    return None if hit.empty else hit.iloc[0]


def firm_choices(scored: pd.DataFrame) -> pd.DataFrame:
    """Firms for the picker: ranked ones first by industry and rank, then the others by name."""
    frame = scored[["credit_code", "name", "industry", "scale", "status", "tier", "rank"]].copy()
    frame["_industry"] = industry_order(frame["industry"])
    frame["_status"] = frame["status"].map({s: i for i, s in enumerate(labels.STATUSES)})
    frame = frame.sort_values(["_status", "scale", "_industry", "rank", "name"], na_position="last")
    return frame.drop(columns=["_industry", "_status"]).reset_index(drop=True)


def _number_or_nan(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _flag(value: object) -> bool:
    return False if value is None or pd.isna(value) else bool(value)


def computation_table(row: pd.Series, profile: Profile) -> pd.DataFrame:
    """Everything needed to recompute the firm's total by hand, one line per item.

    Columns: kind (indicator/bonus/deduction/subtotal/total), item, value, unit, benchmark,
    weight, cap, score, imputed. Item score = weight × clamp(value ÷ benchmark, 0, cap); total =
    Σ item scores + bonus (capped) − deductions.
    """
    lines: list[dict[str, object]] = []
    item_sum = 0.0
    for spec in profile.indicators(str(row["scale"])):
        meta = labels.INDICATORS[spec.key]
        factor = 100.0 if meta.percent else 1.0  # ratios shown in %, value and benchmark alike
        score = _number_or_nan(row.get(f"score_{spec.key}"))
        item_sum += 0.0 if math.isnan(score) else score
        lines.append(
            {
                "kind": "indicator",
                "item": meta.name,
                "value": _number_or_nan(row.get(spec.key)) * factor,
                "unit": meta.unit,
                "benchmark": _number_or_nan(row.get(f"bench_{spec.key}")) * factor,
                "weight": float(spec.weight),
                "cap": math.nan if spec.cap is None else float(spec.cap),
                "score": score,
                "imputed": _flag(row.get(f"imputed_{spec.key}")),
            }
        )
    lines.append(_summary_line("subtotal", labels.COMPUTATION_ITEM_SUM, item_sum))
    for key, name in labels.BONUS_ITEMS.items():
        line = labels.COMPUTATION_BONUS_LINE.format(name=name)
        lines.append(_summary_line("bonus", line, row.get(f"bonus_{key}")))
    cap = profile.bonus.cap if profile.bonus is not None else None
    bonus_label = (
        labels.COMPUTATION_BONUS_CAPPED.format(cap=cap)
        if cap is not None
        else labels.COMPUTATION_BONUS
    )
    lines.append(_summary_line("subtotal", bonus_label, row.get("bonus")))
    for key, name in labels.DEDUCTION_ITEMS.items():
        column = {"safety_incident": "deduction_safety", "env_penalty": "deduction_env"}[key]
        line = labels.COMPUTATION_DEDUCTION_LINE.format(name=name)
        lines.append(_summary_line("deduction", line, row.get(column)))
    lines.append(_summary_line("subtotal", labels.COMPUTATION_DEDUCTION, row.get("deduction")))
    lines.append(_summary_line("total", labels.SCORE_HEADERS["total"], row.get("total")))
    return pd.DataFrame(lines)


def _summary_line(kind: str, item: str, score: object) -> dict[str, object]:
    return {
        "kind": kind,
        "item": item,
        "value": math.nan,
        "unit": labels.UNIT_POINTS,
        "benchmark": math.nan,
        "weight": math.nan,
        "cap": math.nan,
        "score": _number_or_nan(score),
        "imputed": None,
    }


def pool_rows(scored: pd.DataFrame, pool: str) -> pd.DataFrame:
    """The ranked (评价) firms of one pool, e.g. "规上·车业" (one cut of the year's rows: first
    every ranked firm and then the pool copied 150,000 rows of 83 columns at province scale)."""
    chosen = text_is(scored["status"], labels.STATUS_EVALUATED) & text_is(scored["pool"], pool)
    return scored.iloc[np.flatnonzero(chosen)]


def a_entry_value(pool: pd.DataFrame, column: str) -> float:
    """The pool's A-tier reference ("A类入围参考值") of a column: the lower quartile over its A
    firms where the column is present; NaN when fewer than `A_ENTRY_MIN_FIRMS` A firms have it.

    `pool` is the ranked firms of one pool (`pool_rows`). One definition for the enterprise page
    and the report: a quartile, never one firm's values, so no peer's figures are disclosed.
    """
    values = pd.to_numeric(pool.loc[pool["tier"] == "A", column], errors="coerce").dropna()
    if len(values) < A_ENTRY_MIN_FIRMS:
        return math.nan
    return float(values.quantile(A_ENTRY_QUANTILE))


def firm_comparison(scored: pd.DataFrame, row: pd.Series, profile: Profile) -> pd.DataFrame:
    """Each indicator of the firm beside its pool's ratio-of-sums average and A-tier reference.

    Columns: key, indicator, unit, value, industry_average, a_entry (ratios in %, as the unit
    says), plus the item-score rates (score ÷ weight, 0–cap) of the firm, the pool's mean and the
    A-tier reference (the lower quartile of the A firms' rates) for the radar.
    """
    members = pool_rows(scored, str(row["pool"]))
    lines = []
    for spec in profile.indicators(str(row["scale"])):
        meta = labels.INDICATORS[spec.key]
        factor = 100.0 if meta.percent else 1.0
        score_col = f"score_{spec.key}"
        weight = float(spec.weight)

        def rate(score: object, weight: float = weight) -> float:
            value = _number_or_nan(score)
            return value / weight if weight > 0 else math.nan

        lines.append(
            {
                "key": spec.key,
                "indicator": meta.name,
                "unit": meta.unit,
                "value": _number_or_nan(row.get(spec.key)) * factor,
                "industry_average": indicator_average(members, spec.key) * factor,
                "a_entry": a_entry_value(members, spec.key) * factor,
                "rate": rate(row.get(score_col)),
                "industry_rate": rate(members[score_col].mean()) if len(members) else math.nan,
                "a_entry_rate": rate(a_entry_value(members, score_col)),
            }
        )
    return pd.DataFrame(lines)


def previous_total(history: pd.DataFrame, year: int) -> float | None:
    """The firm's total of the year before `year` from `firm_history`, None without one."""
    if history.empty:
        return None
    before = history.loc[history["year"] == year - 1, "total"]
    return None if before.empty else _number_or_nan(before.iloc[0])


def unregistered_leases(leases: pd.DataFrame) -> tuple[int, float]:
    """Number and land (亩) of the unregistered leases among `firm_leases` rows."""
    if leases.empty:
        return 0, 0.0
    unregistered = leases[~leases["registered"].astype(bool)]
    return len(unregistered), float(unregistered["land_mu"].sum())


def firm_history(frames: Mapping[int, pd.DataFrame], credit_code: str) -> pd.DataFrame:
    """The firm's status, total, rank, pool size and tier in every year it has data."""
    rows = []
    for year in sorted(frames):
        row = firm_row(frames[year], credit_code)
        if row is None:
            continue
        tier = row["tier"]
        rows.append(
            {
                "year": year,
                "status": row["status"],
                "total": _number_or_nan(row["total"]),
                "rank": row["rank"],
                "pool_size": row["pool_size"],
                "tier": tier,
                "tier_class": labels.TIER_CLASS.get(tier) if isinstance(tier, str) else None,
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["rank"] = frame["rank"].astype("Int64")
        frame["pool_size"] = frame["pool_size"].astype("Int64")
    return frame

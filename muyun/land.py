"""Land rectification service: rectified area against targets, parks, funds, plot-ratio upgrades
and the managed list of low-efficiency firms (动态排摸、分类建档、清单管理).

Why here and not in the page: every figure the land page shows must come from DuckDB through
one tested place (the bureau reports these numbers monthly and the published 2022 figures must
come out exactly), and the list's edit history must be written in one transaction whatever the
caller. No streamlit import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from muyun import formatting, labels, queries

if TYPE_CHECKING:
    from muyun.db import Database
    from muyun.profile import Profile

NOTES_MAX_CHARS = 500
EDITABLE_FIELDS: tuple[str, ...] = tuple(labels.LOW_EFFICIENCY_FIELDS)
MEMBER_SOURCE_COLUMNS: tuple[str, ...] = (
    "year",
    "credit_code",
    "name",
    "industry",
    "scale",
    "town",
    "tier",
    "tax_per_mu",
    "land_mu",
    "unregistered_lease_mu",
)
# What the list reads of last year's scored frame (its members, to mark 上年在列 and 出列).
PREVIOUS_YEAR_COLUMNS: tuple[str, ...] = (*MEMBER_SOURCE_COLUMNS, "status")
LIST_COLUMNS: tuple[str, ...] = (
    *MEMBER_SOURCE_COLUMNS,
    "reasons",
    "on_previous_list",
    *EDITABLE_FIELDS,
    "updated_at",
)
NUMERIC_LIST_COLUMNS: tuple[str, ...] = ("year", "tax_per_mu", "land_mu", "unregistered_lease_mu")
LEAVING_COLUMNS: tuple[str, ...] = (
    "credit_code",
    "name",
    "industry",
    "town",
    "previous_tier",
    "previous_tax_per_mu",
    "previous_reasons",
    "tier",
    "tax_per_mu",
)


# ── number formats: officials compare these strings with the bureau's printed reports ──────────


def fmt_number(value: float, decimals: int = 1) -> str:
    """`formatting.number` without trailing zeros, as the bureau prints (11,628 · 0.94 · 776)."""
    text = formatting.number(value, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_mu(mu: float) -> str:
    """An area in 亩, e.g. "11,628 亩"."""
    return f"{fmt_number(mu)} {labels.UNIT_MU}"


def fmt_hectare(mu: float) -> str:
    """An area given in 亩 shown in 公顷, e.g. 11,628 亩 → "775.2 公顷"."""
    return f"{fmt_number(labels.mu_to_hectare(mu))} {labels.UNIT_HECTARE}"


def fmt_wan_m2(m2: float) -> str:
    """A floor or land area in 万平方米, e.g. 3,250,000 m² → "325 万平方米", 47,500 → "4.75"."""
    return f"{fmt_number(m2 / 10000, 2)} {labels.UNIT_WAN_M2}"


def fmt_wan_yuan(wan: float) -> str:
    """Money in 万元, e.g. "12,000 万元"."""
    return f"{fmt_number(wan)} {labels.UNIT_WAN_YUAN}"


def fmt_yi_yuan(wan: float) -> str:
    """Money given in 万元 shown in 亿元, e.g. 9,400 万元 → "0.94 亿元"."""
    return f"{fmt_number(wan / 10000, 2)} {labels.UNIT_YI_YUAN}"


def fmt_category_area(category: str, mu: float) -> str:
    """A category's area as the bureau prints it: 亩, plus 万平方米 where it reports in m²."""
    text = fmt_mu(mu)
    if category in labels.M2_REPORTED_CATEGORIES:
        text = labels.AREA_WITH_M2.format(area=text, m2=fmt_wan_m2(mu * labels.M2_PER_MU))
    return text


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


# ── rectified land against targets ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class YearView:
    """One year of rectification: per category (five rows in report order), per town, facts."""

    year: int
    # category, area_mu, done_mu, projects, target_mu, progress (fraction), progress_pct,
    # area_hectare
    categories: pd.DataFrame
    by_town: pd.DataFrame  # town, one column per category, total_mu
    facts: pd.DataFrame  # fact_key, label, value, unit, text, source, highlight (first)
    total_mu: float
    done_mu: float
    total_target_mu: float | None

    @property
    def total_progress(self) -> float | None:
        """Rectified ÷ target for the whole year (None without targets)."""
        if not self.total_target_mu:
            return None
        return self.total_mu / self.total_target_mu


def land_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with rectification projects, targets or published facts, ascending."""
    rows = con.execute(
        "SELECT year FROM rectification_projects UNION SELECT year FROM rectification_targets "
        "UNION SELECT year FROM published_facts ORDER BY year"
    ).fetchall()
    return [int(r[0]) for r in rows]


def category_order(present: Sequence[str]) -> list[str]:
    """The five report categories in report order, then any other present category by name."""
    known = list(labels.RECTIFICATION_CATEGORIES)
    return known + sorted({c for c in present if c not in known})


def year_view(con: duckdb.DuckDBPyConnection, year: int) -> YearView:
    """Rectified area of a year by category and town, against its targets, with its facts."""
    done = labels.RECTIFICATION_DONE_STATUS
    areas = _frame(
        con,
        "SELECT category, sum(area_mu) AS area_mu, "
        "coalesce(sum(area_mu) FILTER (WHERE status = ?), 0) AS done_mu, "
        "count(*) AS projects FROM rectification_projects WHERE year = ? GROUP BY category",
        [done, year],
    )
    targets = _frame(
        con,
        "SELECT category, sum(target_mu) AS target_mu FROM rectification_targets "
        "WHERE year = ? GROUP BY category",
        [year],
    )
    order = category_order([*areas["category"], *targets["category"]])
    categories = (
        pd.DataFrame({"category": order})
        .merge(areas, on="category", how="left")
        .merge(targets, on="category", how="left")
    )
    categories[["area_mu", "done_mu"]] = categories[["area_mu", "done_mu"]].fillna(0.0)
    categories["projects"] = categories["projects"].fillna(0).astype("int64")
    categories["progress"] = categories["area_mu"] / categories["target_mu"].where(
        categories["target_mu"] > 0
    )
    categories["progress_pct"] = categories["progress"] * 100
    categories["area_hectare"] = categories["area_mu"].map(labels.mu_to_hectare)

    town_long = _frame(
        con,
        "SELECT town, category, sum(area_mu) AS area_mu FROM rectification_projects "
        "WHERE year = ? GROUP BY town, category",
        [year],
    )
    by_town = town_long.pivot_table(
        index="town", columns="category", values="area_mu", aggfunc="sum", fill_value=0.0
    )
    by_town = by_town.reindex(columns=[c for c in order if c in by_town.columns])
    by_town["total_mu"] = by_town.sum(axis=1)
    by_town = by_town.sort_values("total_mu", ascending=False).reset_index()
    by_town.columns.name = None

    facts = _frame(
        con,
        "SELECT fact_key, label, value, unit, text, source FROM published_facts "
        "WHERE year = ? ORDER BY fact_key",
        [year],
    )
    facts["highlight"] = facts["unit"].isin(labels.FACT_HIGHLIGHT_UNITS)
    facts = facts.sort_values("highlight", ascending=False, kind="stable").reset_index(drop=True)
    total_target = None if targets.empty else float(targets["target_mu"].sum())
    return YearView(
        year=year,
        categories=categories,
        by_town=by_town,
        facts=facts,
        total_mu=float(categories["area_mu"].sum()),
        done_mu=float(categories["done_mu"].sum()),
        total_target_mu=total_target,
    )


def trend(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rectified 亩 per year and category (long form) with each year's total target beside it."""
    return _frame(
        con,
        "WITH a AS (SELECT year, category, sum(area_mu) AS area_mu FROM rectification_projects "
        "GROUP BY year, category), "
        "t AS (SELECT year, sum(target_mu) AS year_target_mu FROM rectification_targets "
        "GROUP BY year) "
        "SELECT a.year, a.category, a.area_mu, t.year_target_mu FROM a LEFT JOIN t USING (year) "
        "ORDER BY a.year, a.category",
    )


def trend_targets(trend_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per year of `trend` that has a target: year, year_target_mu."""
    targets = trend_frame[["year", "year_target_mu"]].drop_duplicates("year")
    return targets.dropna(subset=["year_target_mu"]).reset_index(drop=True)


# ── micro-enterprise parks (小微企业园) ────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ParksView:
    """All parks, their status totals and the provincial/star recognitions over the years."""

    parks: pd.DataFrame
    by_status: pd.DataFrame  # status, parks, floor_m2
    recognition: pd.DataFrame  # year, provincial_new, star_new, provincial_total, star_total

    @property
    def total_parks(self) -> int:
        return int(self.by_status["parks"].sum())

    @property
    def total_floor_m2(self) -> float:
        return float(self.by_status["floor_m2"].sum())

    @property
    def total_firms(self) -> int:
        return firms_in(self.parks)

    @property
    def cleared_parks(self) -> int:
        """Parks built on land freed by rectification."""
        return int(self.parks["on_cleared_land"].fillna(False).astype(bool).sum())

    @property
    def shown_statuses(self) -> pd.DataFrame:
        """The status rows that have parks (the page shows one metric each)."""
        return self.by_status[self.by_status["parks"] > 0].reset_index(drop=True)

    def recognition_as_of(self, year: int) -> dict[str, int]:
        """Cumulative and new provincial / star recognitions up to and in `year`."""
        parks = self.parks
        return {
            "provincial_total": int((parks["provincial_year"] <= year).sum()),
            "provincial_new": int((parks["provincial_year"] == year).sum()),
            "star_total": int((parks["star_year"] <= year).sum()),
            "star_new": int((parks["star_year"] == year).sum()),
        }


def parks_view(con: duckdb.DuckDBPyConnection) -> ParksView:
    """Every park, with counts and planned floor area by status and recognitions per year."""
    parks = _frame(
        con,
        "SELECT park_id, name, town, land_mu, planned_floor_area_m2, status, on_cleared_land, "
        "provincial_year, star_rating, star_year, firms FROM parks ORDER BY park_id",
    )
    statuses = list(labels.PARK_STATUSES) + sorted(
        s for s in parks["status"].unique() if s not in labels.PARK_STATUSES
    )
    by_status = (
        parks.groupby("status")
        .agg(parks=("park_id", "count"), floor_m2=("planned_floor_area_m2", "sum"))
        .reindex(statuses, fill_value=0)
        .rename_axis("status")
        .reset_index()
    )
    by_status["parks"] = by_status["parks"].astype("int64")
    by_status["floor_m2"] = by_status["floor_m2"].astype("float64")

    years = pd.concat([parks["provincial_year"], parks["star_year"]]).dropna()
    if years.empty:
        recognition = pd.DataFrame(
            columns=["year", "provincial_new", "star_new", "provincial_total", "star_total"]
        )
    else:
        span = np.arange(int(years.min()), int(years.max()) + 1)
        provincial = parks["provincial_year"].value_counts().reindex(span, fill_value=0)
        star = parks["star_year"].value_counts().reindex(span, fill_value=0)
        recognition = pd.DataFrame(
            {
                "year": span,
                "provincial_new": provincial.to_numpy(dtype="int64"),
                "star_new": star.to_numpy(dtype="int64"),
            }
        )
        recognition["provincial_total"] = recognition["provincial_new"].cumsum()
        recognition["star_total"] = recognition["star_new"].cumsum()
    return ParksView(parks=parks, by_status=by_status, recognition=recognition)


def filter_parks(
    parks: pd.DataFrame, towns: Sequence[str] = (), statuses: Sequence[str] = ()
) -> pd.DataFrame:
    """Parks in the chosen towns and statuses (empty selection = all)."""
    keep = pd.Series(True, index=parks.index)
    if towns:
        keep &= parks["town"].isin(list(towns))
    if statuses:
        keep &= parks["status"].isin(list(statuses))
    return parks[keep]


def firms_in(parks: pd.DataFrame) -> int:
    """Firms housed in these parks (a park without a count adds none)."""
    return int(parks["firms"].fillna(0).sum())


# ── funds (腾笼换鸟专项经费) and plot-ratio upgrades (零增地技改) ─────────────────────────────────


@dataclass(frozen=True)
class FundsView:
    """Drawn and spent 万元 by use, all years together."""

    by_use: pd.DataFrame  # use, extracted_10k, spent_10k, spend_rate (fraction), spend_rate_pct

    @property
    def extracted_10k(self) -> float:
        return float(self.by_use["extracted_10k"].sum())

    @property
    def spent_10k(self) -> float:
        return float(self.by_use["spent_10k"].sum())

    @property
    def spend_rate(self) -> float | None:
        """Spent ÷ drawn over every use (None when nothing was drawn)."""
        return self.spent_10k / self.extracted_10k if self.extracted_10k else None


def funds_view(con: duckdb.DuckDBPyConnection) -> FundsView:
    """The special fund, cumulative by use in the bureau's use order."""
    by_use = _frame(
        con,
        "SELECT use, sum(extracted_10k) AS extracted_10k, sum(spent_10k) AS spent_10k "
        "FROM funds GROUP BY use",
    )
    order = {use: i for i, use in enumerate(labels.FUND_USES)}
    by_use = by_use.sort_values(
        "use", key=lambda s: s.map(lambda u: (order.get(u, len(order)), u))
    ).reset_index(drop=True)
    by_use["spend_rate"] = by_use["spent_10k"] / by_use["extracted_10k"].where(
        by_use["extracted_10k"] > 0
    )
    by_use["spend_rate_pct"] = by_use["spend_rate"] * 100
    return FundsView(by_use=by_use)


@dataclass(frozen=True)
class UpgradesView:
    """The zero-new-land upgrades (`plot_ratio_upgrades`) and their totals."""

    cases: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def added_m2(self) -> float:
        return float(self.cases["added_m2"].sum())

    @property
    def reward_10k(self) -> float:
        return float(self.cases["reward_10k"].sum())

    @property
    def published(self) -> pd.DataFrame:
        """The cases with a real published source (highlighted with it)."""
        return self.cases[self.cases["published"].to_numpy(dtype=bool)]


def upgrades_view(con: duckdb.DuckDBPyConnection) -> UpgradesView:
    """All upgrades with their totals."""
    return UpgradesView(cases=plot_ratio_upgrades(con))


def plot_ratio_upgrades(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Zero-new-land upgrades with added floor area and the plot-ratio multiple (same land).

    `published` marks a case with a real source (not the demo's invented rows): the page
    highlights it with that source.
    """
    frame = _frame(
        con,
        "SELECT upgrade_id, year, name, town, credit_code, floor_before_m2, floor_after_m2, "
        "reward_10k, source FROM plot_ratio_upgrades ORDER BY year, upgrade_id",
    )
    frame["added_m2"] = frame["floor_after_m2"] - frame["floor_before_m2"]
    frame["plot_ratio_multiple"] = frame["floor_after_m2"] / frame["floor_before_m2"].where(
        frame["floor_before_m2"] > 0
    )
    source = frame["source"].fillna("").str.strip()
    frame["published"] = (source != "") & (source != labels.SOURCE_DEMO)
    return frame


# ── the low-efficiency list (低效企业清单) ────────────────────────────────────────────────────


def _membership(scored: pd.DataFrame, line: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-firm flags of the three list rules: D; C under the line; unregistered lease.

    Plain numpy on the columns (text compared in Arrow): a scored frame carries `attrs` that
    pandas deep-copies on every Series operation, which made the pandas version several times
    slower.
    """
    evaluated = queries.text_is(scored["status"], labels.STATUS_EVALUATED)
    tax = scored["tax_per_mu"].to_numpy(dtype="float64", na_value=np.nan)
    lease = scored["unregistered_lease_mu"].to_numpy(dtype="float64", na_value=0.0)
    is_d = evaluated & queries.text_is(scored["tier"], "D")
    with np.errstate(invalid="ignore"):
        c_low = evaluated & queries.text_is(scored["tier"], "C") & (tax < line)
        has_lease = lease > 0
    return is_d, c_low, has_lease


def reason_labels(profile: Profile) -> tuple[str, str, str]:
    """The three list reasons as the list writes them: D; C under the profile's line; lease."""
    return (
        labels.LOW_EFFICIENCY_REASON_D,
        labels.LOW_EFFICIENCY_REASON_C.format(line=float(profile.low_efficiency_tax_per_mu)),
        labels.LOW_EFFICIENCY_REASON_LEASE,
    )


def low_efficiency_members(scored: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Firms the rules put on the list, with their reasons.

    D firms; C firms whose 亩均税收 is under `profile.low_efficiency_tax_per_mu`; any firm with
    unregistered leases (whatever its status: officials chase the registration).
    """
    line = float(profile.low_efficiency_tax_per_mu)
    is_d, c_low, lease = _membership(scored, line)
    rows = np.flatnonzero(is_d | c_low | lease)
    frame = queries.take_rows(scored, MEMBER_SOURCE_COLUMNS, rows)
    # Each firm's reasons are one of 2³ texts: the bits of (D, C low, lease) pick it.
    rules = tuple(zip((4, 2, 1), reason_labels(profile), strict=True))
    sep = labels.LOW_EFFICIENCY_REASON_SEP
    texts = np.array(
        [sep.join(text for bit, text in rules if k & bit) for k in range(8)], dtype=object
    )
    picked = is_d[rows] * 4 + c_low[rows] * 2 + lease[rows] * 1
    frame["reasons"] = pd.array(texts[picked], dtype="str")
    frame["year"] = frame["year"].astype("int64")
    frame["tier"] = frame["tier"].astype(object).where(frame["tier"].notna(), "")
    return frame.sort_values(["town", "credit_code"]).reset_index(drop=True)


def stored_list(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """The administrators' stored entries of a year (path, status, town, notes, updated_at)."""
    return _frame(
        con,
        "SELECT credit_code, path, status, responsible_town, notes, updated_at "
        "FROM low_efficiency_list WHERE year = ?",
        [year],
    )


def low_efficiency_list(
    con: duckdb.DuckDBPyConnection,
    scored: pd.DataFrame,
    profile: Profile,
    previous_scored: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The managed list of a year: generated membership merged with the stored entries.

    Membership always comes from the scoring result (so it follows the data and profile); the
    stored rows only carry what administrators decided — path, status, responsible town, notes.
    A firm without a stored row gets the defaults (提升发展, 排摸, its own town).
    """
    members = low_efficiency_members(scored, profile)
    year = int(scored["year"].iloc[0]) if len(scored) else 0
    stored = stored_list(con, year)
    merged = members.merge(stored, on="credit_code", how="left")
    merged["path"] = merged["path"].fillna(labels.REMEDIATION_PATHS[0])
    merged["status"] = merged["status"].fillna(labels.LOW_EFFICIENCY_STATUSES[0])
    merged["responsible_town"] = merged["responsible_town"].where(
        merged["responsible_town"].fillna("") != "", merged["town"]
    )
    merged["notes"] = merged["notes"].fillna("")
    merged["updated_at"] = pd.to_datetime(merged["updated_at"])
    if previous_scored is None or previous_scored.empty:
        merged["on_previous_list"] = False
    else:
        previous = low_efficiency_members(previous_scored, profile)
        merged["on_previous_list"] = queries.among(merged["credit_code"], previous["credit_code"])
    return merged[list(LIST_COLUMNS)]


def leaving_list(
    previous_scored: pd.DataFrame, scored: pd.DataFrame, profile: Profile
) -> pd.DataFrame:
    """Firms that leave the list (出列): on last year's list, now A/B/C above the line, no
    unregistered lease. Firms no longer evaluated this year are not counted as improved."""
    line = float(profile.low_efficiency_tax_per_mu)
    previous = low_efficiency_members(previous_scored, profile)
    is_d, c_low, lease = _membership(scored, line)
    improved = (
        queries.text_is(scored["status"], labels.STATUS_EVALUATED)
        & queries.text_is(scored["tier"], "A", "B", "C")
        & ~(is_d | c_low | lease)
    )
    now = queries.take_rows(
        scored,
        ("credit_code", "name", "industry", "town", "tier", "tax_per_mu"),
        np.flatnonzero(improved),
    )
    before = previous[["credit_code", "tier", "tax_per_mu", "reasons"]].rename(
        columns={
            "tier": "previous_tier",
            "tax_per_mu": "previous_tax_per_mu",
            "reasons": "previous_reasons",
        }
    )
    frame = before.merge(now, on="credit_code", how="inner")
    frame["tier"] = frame["tier"].astype(object)
    return frame[list(LEAVING_COLUMNS)].sort_values("credit_code").reset_index(drop=True)


@dataclass(frozen=True)
class ListView:
    """The list within the sidebar's filters, with the counts the page shows above it."""

    shown: pd.DataFrame  # the members in the filters (LIST_COLUMNS)
    leaving: pd.DataFrame  # firms leaving the list, in the filters (LEAVING_COLUMNS)
    city_total: int  # members city-wide
    new: int  # shown firms that were not on last year's list
    by_reason: dict[str, int]  # reason → shown firms with it, in `reason_labels` order


def list_view(
    members: pd.DataFrame,
    leaving: pd.DataFrame,
    scored: pd.DataFrame,
    profile: Profile,
    *,
    scale: str | None = None,
    industries: Sequence[str] = (),
    towns: Sequence[str] = (),
    tiers: Sequence[str] = (),
) -> ListView:
    """Narrow a year's list (`low_efficiency_list`) and its leavers to the sidebar's filters.

    Leavers are matched by the firm's current scale, industry and town in `scored`, the year's
    scoring result: they left the list, so they are not in `members`, and their tier filter
    would select by the new (better) tier, so it is not applied.
    """
    shown = queries.filter_scored(
        members, scale=scale, industries=industries, towns=towns, tiers=tiers
    )
    places = scored[["credit_code", "scale", "industry", "town"]]  # not all 83 columns
    in_filters = queries.filter_scored(places, scale=scale, industries=industries, towns=towns)
    reasons = shown["reasons"].str.split(labels.LOW_EFFICIENCY_REASON_SEP).explode()
    counts = reasons.value_counts()
    return ListView(
        shown=shown,
        leaving=leaving[queries.among(leaving["credit_code"], in_filters["credit_code"])],
        city_total=len(members),
        new=int((~shown["on_previous_list"].astype(bool)).sum()),
        by_reason={reason: int(counts.get(reason, 0)) for reason in reason_labels(profile)},
    )


# ── editing the list (administrators) ─────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ListEdit:
    """One changed field of one firm's list entry."""

    credit_code: str
    field: str
    old_value: str
    new_value: str


class ListEditError(ValueError):
    """An edit with a value the list does not accept (message in Chinese)."""


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def diff_list(before: pd.DataFrame, after: pd.DataFrame) -> list[ListEdit]:
    """The field changes between the shown list and the edited one, matched by credit code."""
    old = before.set_index("credit_code")
    new = after.set_index("credit_code")
    edits = []
    for code in new.index.intersection(old.index):
        for field in EDITABLE_FIELDS:
            old_value, new_value = _text(old.at[code, field]), _text(new.at[code, field])
            if old_value != new_value:
                edits.append(ListEdit(str(code), field, old_value, new_value))
    return edits


def _validate(edits: Sequence[ListEdit], towns: set[str]) -> None:
    allowed = {
        "path": set(labels.REMEDIATION_PATHS),
        "status": set(labels.LOW_EFFICIENCY_STATUSES),
        "responsible_town": towns,
    }
    errors = labels.LOW_EFFICIENCY_ERRORS
    problems = []
    for edit in edits:
        name = labels.LOW_EFFICIENCY_FIELDS[edit.field]
        if edit.field in allowed and edit.new_value not in allowed[edit.field]:
            problems.append(
                errors["not_allowed"].format(
                    code=edit.credit_code, field=name, value=edit.new_value
                )
            )
        if edit.field == "notes" and len(edit.new_value) > NOTES_MAX_CHARS:
            problems.append(
                errors["too_long"].format(code=edit.credit_code, field=name, max=NOTES_MAX_CHARS)
            )
    if problems:
        raise ListEditError(errors["sep"].join(problems))


def save_list_edits(
    db: Database,
    year: int,
    before: pd.DataFrame,
    after: pd.DataFrame,
    editor: str,
    at: datetime | None = None,
) -> list[ListEdit]:
    """Store an administrator's edits of a year's list, with one history row per changed field.

    All in one transaction: either every entry and its history row is written or nothing is.
    The previous value in the history is what was stored (or, for a firm never edited, the
    default the page showed); `ListEditError` when a value is not allowed.
    """
    edits = diff_list(before, after)
    if not edits:
        return []
    editor = editor.strip()
    when = at or datetime.now().replace(microsecond=0)
    shown = before.set_index("credit_code")
    with db.write() as cur:
        towns = {r[0] for r in cur.execute("SELECT name FROM towns").fetchall()}
        _validate(edits, towns)
        for code in dict.fromkeys(e.credit_code for e in edits):
            rows = cur.execute(
                "SELECT path, status, responsible_town, notes FROM low_efficiency_list "
                "WHERE year = ? AND credit_code = ?",
                [year, code],
            ).fetchall()
            current = (
                dict(zip(EDITABLE_FIELDS, rows[0], strict=True))
                if rows
                else {f: _text(shown.at[code, f]) for f in EDITABLE_FIELDS}
            )
            updated = dict(current)
            history = []
            for edit in (e for e in edits if e.credit_code == code):
                history.append([year, code, edit.field, current[edit.field], edit.new_value])
                updated[edit.field] = edit.new_value
            cur.execute(
                "INSERT INTO low_efficiency_list (year, credit_code, path, status, "
                "responsible_town, notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (year, credit_code) DO UPDATE SET path = excluded.path, "
                "status = excluded.status, responsible_town = excluded.responsible_town, "
                "notes = excluded.notes, updated_at = excluded.updated_at",
                [year, code, *(updated[f] for f in EDITABLE_FIELDS), when],
            )
            cur.executemany(
                "INSERT INTO low_efficiency_history (year, credit_code, field, old_value, "
                "new_value, edited_by, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[*h, editor, when] for h in history],
            )
    return edits


def list_history(con: duckdb.DuckDBPyConnection, year: int, limit: int = 500) -> pd.DataFrame:
    """The newest edits of a year's list, with the firm's name where the year has it."""
    return _frame(
        con,
        "SELECT h.edited_at, h.edited_by, h.credit_code, e.name, h.field, h.old_value, "
        "h.new_value FROM low_efficiency_history h "
        "LEFT JOIN enterprises e ON e.year = h.year AND e.credit_code = h.credit_code "
        "WHERE h.year = ? ORDER BY h.edited_at DESC, h.id DESC LIMIT ?",
        [year, limit],
    )


# ── export ─────────────────────────────────────────────────────────────────────────────────────


def list_header(column: str) -> str:
    """Chinese header of a list column (for Excel and the page)."""
    return labels.LOW_EFFICIENCY_HEADERS.get(column, column)


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The list as officials get it in Excel: text for yes/no and time, no missing markers."""
    text = {flag: word for word, flag in labels.YES_NO.items()}
    out = frame.copy()
    out["on_previous_list"] = np.where(out["on_previous_list"], text[True], text[False])
    stamps = pd.to_datetime(out["updated_at"])
    out["updated_at"] = stamps.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    for column in out.columns:
        if column not in NUMERIC_LIST_COLUMNS:
            out[column] = out[column].astype(object).where(out[column].notna(), "").astype(str)
    return out

"""Year summaries kept in the store, so five-year views survive a restart without re-scoring.

Why: a province-size year (200,000 firms) costs about a second to read and score, and the
overview's trend needs five of them — yet it only ever reads a few thousand summed rows
(`queries.year_summary`). A live summary depends on three things only: the profile's text,
the year's and the year before's enterprise rows, and their leases. Each stored summary
carries the SHA-256 of the profile text and a fingerprint of those inputs; a row whose
fingerprint no longer matches is ignored and replaced, so an import (in the app or from the
command line) can never show stale figures. Published runs are not stored here: their result
is frozen in the run itself.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from muyun import queries, scoring
from muyun.db import rollback_quietly
from muyun.profile import profile_from_toml

TABLE = "score_summaries"
VALUE_COLUMNS = [
    "firms",
    "land_mu",
    "tax_num",
    "tax_den",
    "va_num",
    "va_den",
    "total_sum",
    "total_n",
]
COLUMNS = [*queries.SUMMARY_KEYS, *VALUE_COLUMNS]
TIERS_TABLE = "score_tiers"
# What a firm's history, the watch on earlier tiers and the policy money's repeat escalation
# read of an earlier year (the rest of a scored year is only needed for the year on screen).
TIER_COLUMNS = ["credit_code", "status", "total", "rank", "pool_size", "tier"]

# Order-independent fingerprints (xor of row hashes, with the row count) of everything a live
# score of a year reads: its enterprises and leases, and those of the year before.
_FINGERPRINT_SQL = """
SELECT 'e' AS part, year, count(*) AS n, bit_xor(hash(e)) AS h FROM enterprises e GROUP BY year
UNION ALL
SELECT 'l' AS part, year, count(*) AS n, bit_xor(hash(l)) AS h FROM leases l GROUP BY year
"""


def profile_sha(profile_text: str) -> str:
    """The SHA-256 of a profile's TOML text (a saved version or a shipped file)."""
    return hashlib.sha256(profile_text.encode("utf-8")).hexdigest()


def input_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """year → fingerprint of what scoring that year reads (the year and the year before).

    One pass over both tables for every year (~0.5 s at 200,000 firms a year), so callers cache
    it until the next write.
    """
    parts: dict[tuple[str, int], str] = {
        (str(part), int(year)): f"{part}{year}:{n}:{h}"
        for part, year, n, h in con.execute(_FINGERPRINT_SQL).fetchall()
    }
    years = sorted({year for part, year in parts if part == "e"})
    return {
        year: "|".join(
            parts.get((part, y), f"{part}{y}:0") for y in (year - 1, year) for part in ("e", "l")
        )
        for year in years
    }


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has the summary tables (a store read-only at an older schema has not)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?)",
        [TABLE, TIERS_TABLE],
    ).fetchall()
    return found[0][0] == 2


def year_tiers(scored: pd.DataFrame) -> pd.DataFrame:
    """The slim part of a scored year that earlier years are read for (`TIER_COLUMNS`)."""
    return scored[TIER_COLUMNS].reset_index(drop=True)


def load_tiers(
    con: duckdb.DuckDBPyConnection, year: int, profile: str, inputs: str
) -> pd.DataFrame | None:
    """The stored `year_tiers` of (year, profile SHA, inputs fingerprint), or None."""
    frame = _stored(con, TIERS_TABLE, TIER_COLUMNS, year, profile, inputs, sort=False)
    return None if frame is None else frame.astype({"rank": "Int64", "pool_size": "int64"})


def load(
    con: duckdb.DuckDBPyConnection, year: int, profile: str, inputs: str
) -> pd.DataFrame | None:
    """The stored summary of (year, profile SHA, inputs fingerprint), or None."""
    frame = _stored(con, TABLE, COLUMNS, year, profile, inputs)
    return None if frame is None else frame.astype({"firms": "int64", "total_n": "int64"})


def _stored(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    year: int,
    profile: str,
    inputs: str,
    *,
    sort: bool = True,
) -> pd.DataFrame | None:
    """The rows of one of the two tables kept under (year, profile SHA, inputs), in the
    first column's order, through Arrow (text stays pandas' `str`); None when there are none.

    `sort=False` reads them in the order `save` wrote them, which is that order too: DuckDB
    keeps insertion order without ORDER BY (`preserve_insertion_order`, on by default), and
    sorting a province year's 200,000 credit codes again cost ~0.2 s of every first visit
    that reads an earlier year's tiers (a firm's report reads four).
    """
    if not available(con):
        return None
    order = f" ORDER BY {columns[0]}" if sort else ""
    rows = con.sql(
        f"SELECT {', '.join(columns)} FROM {table} "
        f"WHERE year = $year AND profile_sha = $profile AND inputs = $inputs{order}",
        params={"year": int(year), "profile": profile, "inputs": inputs},
    ).to_arrow_table()
    if rows.num_rows == 0:
        return None
    return rows.to_pandas(types_mapper=scoring.pandas_type)


def save(
    con: duckdb.DuckDBPyConnection,
    year: int,
    profile: str,
    inputs: str,
    summary: pd.DataFrame,
    tiers: pd.DataFrame,
) -> None:
    """Replace the stored summary and tiers of (year, profile SHA): older fingerprints go.

    `con` must be inside a write transaction (`Database.write`).
    """
    for table, rows in ((TABLE, summary[COLUMNS]), (TIERS_TABLE, tiers[TIER_COLUMNS])):
        con.execute(f"DELETE FROM {table} WHERE year = ? AND profile_sha = ?", [int(year), profile])
        keyed = rows.copy()
        keyed.insert(0, "inputs", inputs)
        keyed.insert(0, "profile_sha", profile)
        keyed.insert(0, "year", int(year))
        con.register("_muyun_summary_rows", keyed)
        try:
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT * FROM _muyun_summary_rows"
                f" ORDER BY {rows.columns[0]}"
            )
        finally:
            con.unregister("_muyun_summary_rows")


def store_years(con: duckdb.DuckDBPyConnection, profile_text: str, name: str) -> list[int]:
    """Score and store every scorable year's summary and tiers that the store lacks under this
    profile text; returns the years it scored.

    Why: the overview's trend, a firm's history and the programme evaluation read every year,
    and a server that finds them stored reads a few thousand rows per year instead of scoring
    200,000 firms five times on its first visit. One year is scored at a time (a province year
    needs ~0.6 GB while it is scored). `con` is writable and outside a transaction.
    """
    if not available(con):
        return []
    prof = profile_from_toml(profile_text, name)
    sha = profile_sha(profile_text)
    fingerprints = input_fingerprints(con)
    scored_years = []
    for year in scoring.scorable_years(sorted(fingerprints), prof):
        if is_stored(con, year, sha, fingerprints[year]):
            continue
        scored = scoring.score_year(con, year, prof)
        summary, tiers = queries.year_summary(scored), year_tiers(scored)
        del scored  # a province year: let it go before the next is scored
        con.execute("BEGIN TRANSACTION")
        try:
            save(con, year, sha, fingerprints[year], summary, tiers)
        except BaseException:
            rollback_quietly(con)
            raise
        con.execute("COMMIT")
        scored_years.append(year)
    return scored_years


def is_stored(con: duckdb.DuckDBPyConnection, year: int, profile: str, inputs: str) -> bool:
    """Whether both the summary and the tiers of (year, profile SHA, inputs) are stored."""
    if not available(con):
        return False
    return all(
        con.execute(
            f"SELECT count(*) > 0 FROM {table} WHERE year = ? AND profile_sha = ? AND inputs = ?",
            [int(year), profile, inputs],
        ).fetchall()[0][0]
        for table in (TABLE, TIERS_TABLE)
    )


def firm_tiers(
    con: duckdb.DuckDBPyConnection, credit_code: str, profile: str, inputs: dict[int, str]
) -> dict[int, pd.DataFrame] | None:
    """One firm's stored `year_tiers` row in each year of `inputs` (year → fingerprint; empty
    where the firm has no row that year), or None when any of those years is not stored.

    Why: a firm's history needs one row a year, and loading every year's tiers to find it read
    200,000 rows a year on 企业画像's first visit at province scale.
    """
    if not available(con) or not all(is_stored(con, y, profile, i) for y, i in inputs.items()):
        return None
    rows = con.sql(
        f"SELECT year, inputs, {', '.join(TIER_COLUMNS)} FROM {TIERS_TABLE} "
        "WHERE profile_sha = $profile AND credit_code = $code",
        params={"profile": profile, "code": credit_code},
    ).to_arrow_table()
    found = rows.to_pandas(types_mapper=scoring.pandas_type)
    frames = {}
    for year, fingerprint in inputs.items():
        mine = (found["year"] == year) & (found["inputs"] == fingerprint)
        frames[year] = (
            found.loc[mine, TIER_COLUMNS]
            .reset_index(drop=True)
            .astype({"rank": "Int64", "pool_size": "int64"})
        )
    return frames

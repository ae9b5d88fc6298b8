"""`python -m muyun score`: score a year from the database, or bureau files without any database.

Why two ways in: the dashboard scores what was imported; an official who only has this year's
spreadsheets (or wants to check a county's published method on them) scores the files directly,
in an in-memory store, leaving every database file untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from muyun import db, export, importer, labels, policy, profile, queries, scoring
from muyun import results as results_table
from muyun.labels import SCORE_CLI_TEXT

# CSV/Excel columns: who, status, result, then the computation an official can redo by hand.


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `score` sub-command."""
    text = SCORE_CLI_TEXT
    p = sub.add_parser("score", help=text["help"], description=text["description"])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help=text["arg_db"])
    source.add_argument("--input", help=text["arg_input"])
    p.add_argument("--leases", help=text["arg_leases"])
    p.add_argument("--year", type=int, help=text["arg_year"])
    p.add_argument("--profile", help=text["arg_profile"])
    p.add_argument("--out", required=True, help=text["arg_out"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score and write; 0 on success, 1 on bad input (message on stderr)."""
    started = time.perf_counter()
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        return _fail(SCORE_CLI_TEXT["bad_out"].format(suffix=out.suffix))
    if args.db is not None and args.year is None:
        return _fail(SCORE_CLI_TEXT["db_needs_year"])
    if args.input is not None and args.profile is None:
        return _fail(SCORE_CLI_TEXT["input_needs_profile"])
    if args.db is not None and args.leases is not None:
        return _fail(SCORE_CLI_TEXT["leases_needs_input"])
    if args.db is not None and not Path(args.db).exists():
        return _fail(SCORE_CLI_TEXT["db_missing"].format(path=args.db))
    try:
        prof, prof_path = _profile(args.profile)
    except profile.ProfileError as exc:
        return _fail(str(exc))
    print(SCORE_CLI_TEXT["profile"].format(name=prof.name, path=prof_path))

    try:
        con = _open(args)
    except duckdb.Error as exc:
        return _fail(SCORE_CLI_TEXT["db_unavailable"].format(path=args.db, detail=exc))
    except importer.ImportFailed as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return _fail(labels.IMPORT_TEXT["failed"].format(count=exc.count))
    try:
        years = _years(con, args.year)
        if not years:
            key = "no_rows" if args.year is None else "no_year"
            return _fail(SCORE_CLI_TEXT[key].format(year=args.year))
        score_started = time.perf_counter()
        try:
            results = [scoring.score_year(con, year, prof) for year in years]
        except scoring.PriorYearMissing as exc:
            return _fail(str(exc))
        score_seconds = time.perf_counter() - score_started
        prior = _prior_tiers(con, prof, dict(zip(years, results, strict=True)))
    finally:
        con.close()

    results = [policy.with_money(result, prof, prior) for result in results]
    for result in results:
        _print_summary(result)
    table = pd.concat([results_table.result_columns(r, prof) for r in results], ignore_index=True)
    export.write_table(
        results_table.flags_as_words(table) if out.suffix.lower() == ".xlsx" else table, out
    )
    print(
        SCORE_CLI_TEXT["written"].format(
            path=out,
            rows=len(table),
            seconds=time.perf_counter() - started,
            score_seconds=score_seconds,
        )
    )
    return 0


def _profile(name: str | None) -> tuple[profile.Profile, Path]:
    """A profile file path, or the stem of a shipped profile; the default when None."""
    if name is None:
        path = profile.profile_path(profile.DEFAULT_PROFILE)
    elif Path(name).exists() or name not in profile.shipped_profiles():
        path = Path(name)
    else:
        path = profile.profile_path(name)
    return profile.load_profile(path), path


def _open(args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    """The database read-only, or a fresh in-memory store filled from the input files."""
    if args.db is not None:
        return db.connect(args.db, read_only=True)
    con = db.connect(":memory:")
    try:
        _without_key_index(con, "enterprises")
        importer.import_file(con, args.input, "enterprises")
        if args.leases:
            importer.import_file(con, args.leases, "leases")
    except BaseException:
        con.close()
        raise
    return con


def _without_key_index(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Replace the empty `table` of a throwaway store by one of the same columns and types
    without its primary key. The key's index guards a store against a later file repeating a
    key, but this store only ever gets one file, whose repeated keys the import refuses by its
    own rule (same message) before writing; building the index cost a province's file 0.1 s."""
    con.execute(
        f"CREATE TABLE _muyun_keyless AS SELECT * FROM {table} LIMIT 0;"
        f" DROP TABLE {table}; ALTER TABLE _muyun_keyless RENAME TO {table}"
    )


def _years(con: duckdb.DuckDBPyConnection, year: int | None) -> list[int]:
    """The asked year if it has enterprises, or every year with enterprises (--input)."""
    years = queries.available_years(con)
    if year is None:
        return years
    return [year] if year in years else []


def _prior_tiers(
    con: duckdb.DuckDBPyConnection, prof: profile.Profile, scored: dict[int, pd.DataFrame]
) -> dict[int, pd.Series]:
    """The tiers of the years the repeat escalation looks back on, under the same profile.

    Years already scored (an --input file's earlier years) are reused; the others are scored
    from the same store when it holds them (a year it lacks breaks every run, and so does one
    the profile cannot score because its own year − 1 is missing).
    """
    available = set(queries.available_years(con))
    wanted = {y for year in scored for y in policy.prior_years(prof, year)} & available
    frames: dict[int, pd.DataFrame] = {}
    for y in sorted(wanted):
        try:
            frames[y] = scored[y] if y in scored else scoring.score_year(con, y, prof)
        except scoring.PriorYearMissing:
            continue
    return policy.tier_history(frames)


def _print_summary(result: pd.DataFrame) -> None:
    status = result["status"].value_counts()
    tiers = result["tier"].value_counts()
    print(
        SCORE_CLI_TEXT["summary"].format(
            year=int(result["year"].iloc[0]),
            firms=len(result),
            evaluated=int(status.get(labels.STATUS_EVALUATED, 0)),
            exempt=int(status.get(labels.STATUS_EXEMPT, 0)),
            skipped=int(status.get(labels.STATUS_NOT_EVALUATED, 0)),
            **{tier: int(tiers.get(tier, 0)) for tier in labels.TIERS},
        )
    )
    for warning in result.attrs.get("warnings", []):
        print(SCORE_CLI_TEXT["warning"].format(text=warning))


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1

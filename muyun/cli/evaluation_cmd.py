"""`python -m muyun evaluation …`: the annual evaluation cycle, scriptable.

Why a CLI: a bureau runs the cycle once a year but tests and rehearses it many times, and a
scripted run is its own documentation. Every refused step exits 1 with the service's Chinese
message. The command line acts as a 管理员 named `cli:<login name>` in the audit log: whoever can
run it holds the database file anyway.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from muyun import datasheet, db, evaluation, labels, profile
from muyun.accounts import ROLE_ADMIN, Account
from muyun.labels import EVAL_CLI_TEXT

T = EVAL_CLI_TEXT


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluation` command with its steps."""
    p = sub.add_parser("evaluation", help=T["help"], description=T["description"])
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")

    def step(name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        q = steps.add_parser(name, help=T[f"help_{name}"], description=T[f"help_{name}"])
        q.add_argument("--db", required=True, help=T["arg_db"])
        q.set_defaults(func=func)
        return q

    q = step("create", _create)
    q.add_argument("--year", type=int, required=True, help=T["arg_year"])
    q.add_argument("--profile", required=True, help=T["arg_profile"])
    q = step("notice", _notice)
    q.add_argument("--run", type=int, required=True, help=T["arg_run"])
    q.add_argument("--start", required=True, help=T["arg_start"])
    q.add_argument("--days", type=int, required=True, help=T["arg_days"])
    q.add_argument("--out", required=True, help=T["arg_notice_out"])
    q = step("correct", _correct)
    q.add_argument("--run", type=int, required=True, help=T["arg_run"])
    q.add_argument("--code", required=True, help=T["arg_code"])
    q.add_argument(
        "--set", action="append", required=True, metavar="COLUMN=VALUE", help=T["arg_set"]
    )
    q.add_argument("--reason", required=True, help=T["arg_reason"])
    q = step("override", _override)
    q.add_argument("--run", type=int, required=True, help=T["arg_run"])
    q.add_argument("--code", required=True, help=T["arg_code"])
    q.add_argument("--tier", required=True, help=T["arg_tier"])
    q.add_argument("--reason", required=True, help=T["arg_reason"])
    q.add_argument("--basis", help=T["arg_basis"])
    q = step("publish", _publish)
    q.add_argument("--run", type=int, required=True, help=T["arg_run"])
    q = step("export", _export)
    q.add_argument("--run", type=int, required=True, help=T["arg_run"])
    q.add_argument("--out", required=True, help=T["arg_export_out"])
    q = step("status", _status)
    q.add_argument("--run", type=int, help=T["arg_run"])


def _actor() -> Account:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Account(username=f"cli:{user}", display_name=user, role=ROLE_ADMIN)


def _open(path: str) -> db.Database:
    if not Path(path).exists():
        raise evaluation.EvaluationError(T["db_missing"].format(path=path))
    return db.Database(path)


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a step; a refused step prints its Chinese message and exits 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ValueError as exc:  # EvaluationError, ProfileError, EvidenceError
            print(str(exc), file=sys.stderr)
            return 1

    return run


@_guarded
def _create(args: argparse.Namespace) -> int:
    path = Path(args.profile)
    if not path.exists() and args.profile in profile.shipped_profiles():
        path = profile.profile_path(args.profile)
    if not path.exists():
        raise evaluation.EvaluationError(T["profile_missing"].format(path=args.profile))
    database = _open(args.db)
    try:
        run_id = evaluation.create_run(
            database,
            args.year,
            path.read_text(encoding="utf-8"),
            profile_id=path.stem,
            actor=_actor(),
        )
        run = evaluation.require_run(database.reader(), run_id)
        result = evaluation.run_result(database.reader(), run_id)
    finally:
        database.close()
    tiers = result["tier"].value_counts()
    print(
        T["created"].format(
            run=run_id,
            year=run.year,
            profile=run.profile_name,
            firms=len(result),
            **{t: int(tiers.get(t, 0)) for t in labels.TIERS},
        )
    )
    print(run_id)
    return 0


@_guarded
def _notice(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".pdf"):
        raise evaluation.EvaluationError(T["bad_notice_out"].format(suffix=out.suffix))
    try:
        start = date.fromisoformat(args.start)
    except ValueError as exc:
        raise evaluation.EvaluationError(T["bad_date"].format(value=args.start)) from exc
    database = _open(args.db)
    try:
        run = evaluation.start_notice(
            database, args.run, start=start, days=args.days, actor=_actor()
        )
        data = datasheet.notice_file(database.reader(), args.run, out.suffix.lower())
    finally:
        database.close()
    out.write_bytes(data)
    print(T["noticed"].format(run=run.id, start=run.notice_start, end=run.notice_end, path=out))
    return 0


@_guarded
def _correct(args: argparse.Namespace) -> int:
    raw: dict[str, str] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise evaluation.EvaluationError(T["bad_set"].format(item=item))
        raw[key.strip()] = value
    changes = evaluation.parse_changes(raw)
    database = _open(args.db)
    try:
        moved = evaluation.apply_correction(
            database, args.run, args.code, changes, reason=args.reason, actor=_actor()
        )
    finally:
        database.close()
    changed = moved.loc[moved["tier_changed"]]
    print(T["corrected"].format(code=args.code, moved=len(moved), changed=len(changed)))
    for row in changed.itertuples():
        print(f"{row.credit_code} {row.tier_before} → {row.tier_after}")
    return 0


@_guarded
def _override(args: argparse.Namespace) -> int:
    database = _open(args.db)
    try:
        evaluation.set_override(
            database,
            args.run,
            args.code,
            tier=args.tier,
            reason=args.reason,
            basis=args.basis or args.reason,
            actor=_actor(),
        )
    finally:
        database.close()
    print(T["overridden"].format(code=args.code, tier=args.tier))
    return 0


@_guarded
def _publish(args: argparse.Namespace) -> int:
    database = _open(args.db)
    try:
        evaluation.publish(database, args.run, actor=_actor())
        run = evaluation.require_run(database.reader(), args.run)
    finally:
        database.close()
    print(T["published"].format(run=run.id, year=run.year, at=run.published_at))
    return 0


@_guarded
def _export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in evaluation.EXPORT_SUFFIXES:
        raise evaluation.EvaluationError(T["bad_export_out"].format(suffix=out.suffix))
    database = _open(args.db)
    try:
        con = database.reader()
        table = evaluation.export_table(con, args.run)
    finally:
        database.close()
    out.write_bytes(evaluation.export_bytes(table, suffix))
    print(T["exported"].format(path=out, rows=len(table)))
    return 0


@_guarded
def _status(args: argparse.Namespace) -> int:
    database = _open(args.db)
    try:
        con = database.reader()
        runs = (
            [evaluation.require_run(con, args.run)]
            if args.run is not None
            else evaluation.list_runs(con)
        )
        for run in runs:
            print(
                T["status_line"].format(
                    run=run.id,
                    year=run.year,
                    profile=run.profile_name,
                    stage=run.stage,
                    created=run.created_at.strftime("%Y-%m-%d %H:%M"),
                    by=run.created_by,
                    notice=(f"{run.notice_start} – {run.notice_end}" if run.notice_start else "—"),
                    published=run.published_at.strftime("%Y-%m-%d %H:%M")
                    if run.published_at
                    else "—",
                )
            )
            if args.run is not None:
                summary = evaluation.run_summary(con, run.id)
                print(T["status_detail"].format(**summary))
        if not runs:
            print(T["no_runs"])
    finally:
        database.close()
    return 0

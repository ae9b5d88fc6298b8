"""`python -m muyun …`: one sub-command per module in this package.

Why one module per command: each command's arguments and output live next to nothing else, and
`main()` only wires them together. A command module exposes `register(subparsers)`, which adds its
parser and sets `func(args) -> int` (the exit code).
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from muyun import db
from muyun.cli import (
    account_cmd,
    audit_cmd,
    demo_cmd,
    evaluation_cmd,
    import_cmd,
    report_cmd,
    score_cmd,
)
from muyun.labels import CLI_DESCRIPTION

COMMANDS = (
    demo_cmd,
    import_cmd,
    score_cmd,
    report_cmd,
    account_cmd,
    evaluation_cmd,
    audit_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="python -m muyun", description=CLI_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen command; returns its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (db.StoreError, duckdb.Error, OSError) as exc:
        # Store and file failures (missing, corrupt, locked, read-only, disk full) become one
        # Chinese line with the real cause; a traceback helps nobody at the command line.
        print(
            db.describe_error(exc, getattr(args, "db", None) and db.db_path(args.db)),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())

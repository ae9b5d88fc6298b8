"""`python -m muyun …`: one sub-command per module in this package.

Why one module per command: each command's arguments and output live next to nothing else, and
`main()` only wires them together. A command module exposes `register(subparsers)`, which adds its
parser and sets `func(args) -> int` (the exit code).

Why the modules load lazily: importing every command costs a fresh interpreter most of a second
(PDF fonts for reports, accounts and the audit chain) that `muyun score --input` on a province's
file would pay every run. `main()` builds only the chosen command's parser in full and lists the
others by name and help, which is all the top-level `--help` and its errors show.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection

import duckdb

from muyun import db
from muyun.labels import (
    ACCOUNT_CLI_TEXT,
    AUDIT_TEXT,
    CLI_DESCRIPTION,
    DEMO_CLI_TEXT,
    EVAL_CLI_TEXT,
    IMPORT_CLI_TEXT,
    REPORT_CLI_TEXT,
    SCORE_CLI_TEXT,
)

# Sub-command → (its module in this package, its line in the top-level help), in help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo-data": ("demo_cmd", DEMO_CLI_TEXT["help"]),
    "import": ("import_cmd", IMPORT_CLI_TEXT["help"]),
    "score": ("score_cmd", SCORE_CLI_TEXT["help"]),
    "report": ("report_cmd", REPORT_CLI_TEXT["help"]),
    "account": ("account_cmd", ACCOUNT_CLI_TEXT["help"]),
    "evaluation": ("evaluation_cmd", EVAL_CLI_TEXT["help"]),
    "audit": ("audit_cmd", AUDIT_TEXT["help"]),
}


def build_parser(full: Collection[str] = COMMANDS.keys()) -> argparse.ArgumentParser:
    """The top-level parser: the sub-commands in `full` registered by their modules (all by
    default), the others by name and help only."""
    parser = argparse.ArgumentParser(prog="python -m muyun", description=CLI_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if name in full:
            importlib.import_module(f"muyun.cli.{module}").register(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen command; returns its exit code."""
    words = sys.argv[1:] if argv is None else argv
    # The top-level parser has no option but --help, so the first other word names the command.
    chosen = next((word for word in words if not word.startswith("-")), "")
    args = build_parser({chosen} & COMMANDS.keys()).parse_args(argv)
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

"""`python -m muyun …`: one sub-command per module in this package.

Why one module per command: each command's arguments and output live next to nothing else, and
`main()` only wires them together. A command module exposes `register(subparsers)`, which adds its
parser and sets `func(args) -> int` (the exit code).
"""

from __future__ import annotations

import argparse
import sys

from muyun.cli import demo_cmd, import_cmd, report_cmd, score_cmd
from muyun.labels import CLI_DESCRIPTION

COMMANDS = (demo_cmd, import_cmd, score_cmd, report_cmd)


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
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

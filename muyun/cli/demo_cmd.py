"""`python -m muyun demo-data`: build the synthetic demo database (city or province size).

Why a command: the app builds the demo city by itself on first start, but benchmarks, tests and
an official who wants a fresh copy (or a bigger one) need to build it on demand.
"""

from __future__ import annotations

import argparse

from muyun import db, demo, labels
from muyun.profile import DEFAULT_BELOW_MIN_LAND_MU

TEXT = labels.DEMO_CLI_TEXT
MIN_FIRMS = 50  # the smallest city (firms per year) the command builds


def _positive(text: str) -> int:
    value = int(text)
    if value < MIN_FIRMS:
        raise argparse.ArgumentTypeError(TEXT["too_few"].format(minimum=MIN_FIRMS))
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo-data` sub-command."""
    p = sub.add_parser(
        "demo-data",
        help=TEXT["help"],
        description=TEXT["description"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", metavar="PATH", help=TEXT["db"])
    p.add_argument(
        "--enterprises",
        metavar="N",
        type=_positive,
        help=TEXT["enterprises"].format(firms=demo.DEFAULT_FIRMS_PER_YEAR),
    )
    p.add_argument(
        "--seed",
        metavar="S",
        type=int,
        default=demo.DEFAULT_SEED,
        help=TEXT["seed"].format(seed=demo.DEFAULT_SEED),
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the database and print what it holds and how long it took."""
    path = db.db_path(args.db)
    summary = demo.build_demo_database(path, enterprises=args.enterprises, seed=args.seed)
    up, down = labels.SCALES
    evaluated = TEXT["evaluated_down"].format(scale=down, min_land=DEFAULT_BELOW_MIN_LAND_MU)
    print(TEXT["built"].format(path=summary.path))
    print(TEXT["seed_line"].format(seed=summary.seed))
    print(TEXT["table_header"].format(up=up, down=down, evaluated=evaluated))
    for year, counts in summary.firms.items():
        print(
            TEXT["table_row"].format(
                year=year, up=counts[up], down=counts[down], evaluated=counts["evaluated_down"]
            )
        )
    print(TEXT["enterprise_rows"].format(n=summary.enterprise_rows))
    print(TEXT["leases"].format(n=summary.leases))
    print(TEXT["projects"].format(n=summary.rectification_projects))
    print(TEXT["parks"].format(n=summary.parks))
    print(TEXT["seconds"].format(seconds=summary.seconds))
    print(labels.DEMO_NOTICE)
    return 0

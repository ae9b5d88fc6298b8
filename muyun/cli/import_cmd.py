"""`python -m muyun import FILE --table T [--db PATH]`: one bureau file in, whole or not at all.

Why errors go to stderr one per line: officials (or a script) fix the file from that list; the
exit code tells a script whether anything was written (0) or nothing was (1).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import duckdb

from muyun import db, importer
from muyun.labels import IMPORT_CLI_TEXT, IMPORT_TEXT, TABLE_NAMES

TEXT = IMPORT_CLI_TEXT


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `import` sub-command."""
    tables = TEXT["table_sep"].join(
        TEXT["table_item"].format(key=key, name=name) for key, name in TABLE_NAMES.items()
    )
    p = sub.add_parser("import", help=TEXT["help"], description=TEXT["description"])
    p.add_argument("file", metavar="FILE", help=TEXT["file"])
    p.add_argument(
        "--table",
        required=True,
        choices=list(TABLE_NAMES),
        help=TEXT["table"].format(tables=tables),
    )
    p.add_argument("--db", default=None, help=TEXT["db"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the file; 0 with a summary on stdout, or 1 with every error on stderr.

    The store opens on a second thread while the file is read and measured: opening (or
    creating and migrating) a store waits on the disk for a tenth of a second or more, and
    reading a province's file costs as much again on the CPU. A store that cannot be opened
    is still the one error reported.
    """
    with ThreadPoolExecutor(1) as pool:
        opening = pool.submit(db.connect, args.db)
        try:
            raw: importer.RawFile | importer.ImportFailed = importer.read_file(args.file)
        except importer.ImportFailed as exc:
            raw = exc
        except BaseException:
            with suppress(Exception):
                opening.result().close()
            raise
    try:
        con = opening.result()
    except (duckdb.Error, OSError) as exc:
        print(db.describe_error(exc, db.db_path(args.db)), file=sys.stderr)
        return 1
    try:
        if isinstance(raw, importer.ImportFailed):
            raise raw
        result = importer.import_raw(con, raw, args.table)
    except importer.ImportFailed as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        for warning in exc.warnings:
            print(IMPORT_TEXT["warning_prefix"] + warning, file=sys.stderr)
        print(IMPORT_TEXT["failed"].format(count=exc.count), file=sys.stderr)
        return 1
    finally:
        con.close()
    print(result.summary())
    for warning in result.warnings:
        print(IMPORT_TEXT["warning_prefix"] + warning)
    return 0

"""`python -m muyun audit verify`: recompute the audit log's hash chain.

Why a command: anybody holding a copy of the database can check, without the dashboard, that
no recorded step of the evaluation cycle was edited afterwards; the exit code says it to scripts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from muyun import audit, db
from muyun.labels import AUDIT_CHECK_TEXT, AUDIT_TEXT


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `audit` command with its `verify` step."""
    p = sub.add_parser("audit", help=AUDIT_TEXT["help"], description=AUDIT_TEXT["description"])
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    q = steps.add_parser("verify", help=AUDIT_TEXT["help"], description=AUDIT_TEXT["description"])
    q.add_argument("--db", required=True, help=AUDIT_TEXT["arg_db"])
    q.set_defaults(func=verify)


def verify(args: argparse.Namespace) -> int:
    """0 when the chain is intact and records every state of the cycle, printing its last hash;
    1 naming the first broken row or each unrecorded state (or a missing file)."""
    if not Path(args.db).exists():
        print(AUDIT_TEXT["db_missing"].format(path=args.db), file=sys.stderr)
        return 1
    con = db.connect(args.db, read_only=True)
    try:
        problems = audit.verify(con)
        rows, last = audit.head(con)
    finally:
        con.close()
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(AUDIT_TEXT["ok"].format(rows=rows))
    print(AUDIT_CHECK_TEXT["head"].format(hash=last))
    return 0

"""`python -m muyun account add|list`: named logins for the pages that write.

Why the password is not an argument: command lines end up in shell history and `ps`; it comes
from `MUYUN_NEW_PASSWORD` (for scripts) or a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from muyun import accounts, db, demo
from muyun.labels import ACCOUNT_CLI_TEXT as TEXT

PASSWORD_ENV = "MUYUN_NEW_PASSWORD"
LEGACY_HASH_ENV = "MUYUN_ADMIN_PASSWORD_HASH"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `account` sub-command with `add` and `list`."""
    p = sub.add_parser("account", help=TEXT["help"], description=TEXT["help"])
    actions = p.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help=TEXT["add_help"], description=TEXT["add_help"])
    add.add_argument("--db", default=None)
    add.add_argument("--username", required=True, help=TEXT["username"])
    add.add_argument("--role", required=True, choices=list(accounts.ROLES), help=TEXT["role"])
    add.add_argument("--name", required=True, help=TEXT["name"])
    add.add_argument("--legacy-hash", action="store_true", help=TEXT["legacy_hash"])
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help=TEXT["list_help"], description=TEXT["list_help"])
    listing.add_argument("--db", default=None)
    listing.set_defaults(func=run_list)


def _password() -> str | None:
    """The new password from the environment, else asked twice; None when they differ."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    first = getpass.getpass(TEXT["prompt"])
    if getpass.getpass(TEXT["prompt_again"]) != first:
        return None
    return first


def _login_name() -> str:
    """Who ran the command (the audit log's "who" for a new account)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def run_add(args: argparse.Namespace) -> int:
    """Create the account; 0 on success, 1 with a Chinese reason on stderr."""
    legacy = None
    password = ""
    if args.legacy_hash:
        legacy = os.environ.get(LEGACY_HASH_ENV, "").strip()
        if not legacy:
            print(TEXT["no_legacy_hash"], file=sys.stderr)
            return 1
    else:
        entered = _password()
        if entered is None:
            print(TEXT["mismatch"], file=sys.stderr)
            return 1
        password = entered
    # The default file is the demo city the app builds on its first start: build it here too,
    # or an account created first would leave an empty store that the app then serves.
    if not db.explicitly_configured(args.db) and demo.ensure_demo_database(db.db_path()):
        print(TEXT["demo_built"].format(path=db.db_path()))
    store = db.Database(args.db, read_only=False)
    try:
        account = accounts.create_account(
            store,
            args.username,
            password,
            args.role,
            args.name,
            password_hash=legacy,
            created_by=f"cli:{_login_name()}",
        )
    except accounts.AccountError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        store.close()
    print(
        TEXT["created"].format(
            username=account.username, name=account.display_name, role=account.role
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every active account, one per line."""
    db.require_existing(db.db_path(args.db))
    con = db.connect(args.db, read_only=True)
    try:
        found = accounts.list_accounts(con)
    finally:
        con.close()
    if not found:
        print(TEXT["none"])
    for account in found:
        print(
            TEXT["row"].format(
                username=account.username, name=account.display_name, role=account.role
            )
        )
    return 0

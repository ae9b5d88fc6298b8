"""Named accounts with roles, and a login throttle that lives in the store, not the browser.

Why accounts: an evaluation cycle records *who* did each step (audit "who" = `username`), and
not everyone who may register an objection may publish a result, so one shared administrator
password is not enough. Why the throttle is in the database: a counter in the browser session
resets on reload or in a new tab (the issue counted 131 guesses in 62 s from four tabs). Every
attempt is a row of `login_attempts`; a failure streak per account *and* per client address
earns a delay that doubles with each further failure, and during that delay the password is
not even checked. The check, the verification and the record happen inside one write
transaction, so parallel tabs are served one after another and each sees the others' failures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from muyun import audit, auth, labels
from muyun.db import Database

ROLE_ADMIN = "管理员"
ROLE_CLERK = "经办"
ROLES = (ROLE_ADMIN, ROLE_CLERK)

# Who may do what. "run_cycle" covers creating a run, staging changes, the notice, recording
# confirmations, overrides, publishing and managing firm links.
PERMISSIONS: dict[str, frozenset[str]] = {
    "import": frozenset({ROLE_ADMIN}),
    "edit_list": frozenset({ROLE_ADMIN}),
    "save_scenario": frozenset({ROLE_ADMIN}),
    "run_cycle": frozenset({ROLE_ADMIN}),
    "edit_profile": frozenset({ROLE_ADMIN}),  # method lab: save a profile version (issue 17)
    "review_objection": frozenset({ROLE_ADMIN, ROLE_CLERK}),
}

# Throttle policy. Failures count within FAILURE_WINDOW; an account's streak ends at its last
# successful login. The first few failures are free (typos); each one after that doubles the
# wait, up to MAX_DELAY. A client address gets more free failures than an account because
# several officials may share one office address.
FAILURE_WINDOW = timedelta(hours=1)
FREE_FAILURES_PER_ACCOUNT = 3
FREE_FAILURES_PER_CLIENT = 10
BASE_DELAY_S = 2.0
MAX_DELAY_S = 15 * 60.0

TRUSTED_PROXIES_ENV = "MUYUN_TRUSTED_PROXIES"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
DISPLAY_NAME_MAX = 50
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 4096  # argon2 has no limit; this only bounds the work one request causes


@dataclass(frozen=True)
class Account:
    """A person who may log in: `username` is what the audit log records."""

    username: str
    display_name: str
    role: str


class AccountError(ValueError):
    """An account could not be created or changed; `message` is Chinese, for the official."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LoginRefused(Exception):
    """A login failed or was throttled; `message` (Chinese) and the wait before the next try."""

    def __init__(self, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


def can(account: Account | None, action: str) -> bool:
    """Whether `account` may do `action`; nobody may do an action that is not listed."""
    if account is None:
        return False
    return account.role in PERMISSIONS.get(action, frozenset())


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _normal_username(username: str) -> str:
    return (username or "").strip().lower()


def create_account(
    db: Database,
    username: str,
    password: str,
    role: str,
    display_name: str,
    *,
    password_hash: str | None = None,
    created_by: str = "system",
) -> Account:
    """Add an account (argon2id hash of `password`, or an existing `password_hash` carried over).

    Raises `AccountError` for a taken or malformed user name, an unknown role, a short password
    or an unrecognised hash. Who may act in the cycle is part of its history, so the new account
    (never its password) is appended to the audit chain in the same transaction.
    """
    text = labels.ACCOUNT_TEXT
    name = _normal_username(username)
    if not USERNAME_RE.match(name):
        raise AccountError(text["bad_username"])
    if role not in ROLES:
        raise AccountError(text["bad_role"].format(role=role, roles="、".join(ROLES)))
    display = (display_name or "").strip()
    if not display or len(display) > DISPLAY_NAME_MAX or not display.isprintable():
        raise AccountError(text["bad_display_name"].format(max=DISPLAY_NAME_MAX))
    if password_hash is not None:
        if not auth.is_known_hash(password_hash):
            raise AccountError(text["bad_hash"])
        hashed = password_hash
    else:
        if len(password or "") < PASSWORD_MIN:
            raise AccountError(text["short_password"].format(min=PASSWORD_MIN))
        if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
            raise AccountError(text["long_password"].format(max=PASSWORD_MAX_BYTES))
        hashed = auth.hash_password(password)
    with db.write() as cur:
        taken = cur.execute("SELECT count(*) FROM accounts WHERE username = ?", [name]).fetchall()
        if taken[0][0]:
            raise AccountError(text["taken"].format(username=name))
        cur.execute(
            "INSERT INTO accounts (username, display_name, role, password_hash, active, "
            "created_at) VALUES (?, ?, ?, ?, TRUE, ?)",
            [name, display, role, hashed, _now()],
        )
        audit.append(
            cur,
            actor=created_by,
            action=labels.AUDIT_CHECK_TEXT["act_account_created"],
            run_id=None,
            subject=name,
            before=None,
            after={"role": role, "display_name": display},
        )
    return Account(name, display, role)


def get_account(con: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    """The active account called `username`, or None."""
    rows = con.execute(
        "SELECT username, display_name, role FROM accounts WHERE username = ? AND active",
        [_normal_username(username)],
    ).fetchall()
    return Account(*rows[0]) if rows else None


def list_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    """Every active account, by user name."""
    rows = con.execute(
        "SELECT username, display_name, role FROM accounts WHERE active ORDER BY username"
    ).fetchall()
    return [Account(*row) for row in rows]


def has_accounts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether anyone can log in at all (the login form says how to create the first account)."""
    return bool(con.execute("SELECT count(*) FROM accounts WHERE active").fetchall()[0][0])


def delay_for(failures: int, free: int) -> float:
    """Seconds to wait after `failures` failures in a row when the first `free` cost nothing."""
    if failures < free:
        return 0.0
    return min(BASE_DELAY_S * 2.0 ** (failures - free), MAX_DELAY_S)


def _streak(
    cur: duckdb.DuckDBPyConnection, column: str, value: str, since: datetime
) -> tuple[int, datetime | None]:
    """Failures by `column` = `value` since `since` (and since the last success, for accounts)."""
    if column == "username":
        last_ok = cur.execute(
            "SELECT max(attempted_at) FROM login_attempts WHERE username = ? AND success",
            [value],
        ).fetchall()[0][0]
        if last_ok is not None and last_ok > since:
            since = last_ok
    # `column` is one of two fixed names, never user input; the values are parameters.
    sql = (
        f"SELECT count(*), max(attempted_at) FROM login_attempts "
        f"WHERE {column} = ? AND NOT success AND attempted_at > ?"
    )
    count, last = cur.execute(sql, [value, since]).fetchall()[0]
    return int(count), last


def retry_after(
    cur: duckdb.DuckDBPyConnection, username: str, client: str, now: datetime | None = None
) -> float:
    """Seconds before `username` may try again from `client` (0 when it may try now)."""
    now = now or _now()
    since = now - FAILURE_WINDOW
    wait = 0.0
    for column, value, free in (
        ("username", _normal_username(username), FREE_FAILURES_PER_ACCOUNT),
        ("client", client, FREE_FAILURES_PER_CLIENT),
    ):
        count, last = _streak(cur, column, value, since)
        if last is None:
            continue
        until = last + timedelta(seconds=delay_for(count, free))
        wait = max(wait, (until - now).total_seconds())
    return max(wait, 0.0)


def authenticate(
    db: Database, username: str, password: str, client: str, *, now: datetime | None = None
) -> Account:
    """The account for `username` when `password` is right and no throttle applies.

    Raises `LoginRefused` for a wrong user name or password (one message for both, so names
    cannot be probed), for a throttled attempt (with `retry_after_s`), and when the store is
    read-only (attempts could not be counted). Every checked attempt is recorded.
    """
    text = labels.ACCOUNT_TEXT
    if db.read_only:
        raise LoginRefused(text["read_only"])
    name = _normal_username(username)
    client = (client or "unknown")[:100]
    now = now or _now()
    if not name or not password or len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise LoginRefused(text["wrong"])
    if len(name) > 64:
        name = name[:64]
    with db.write() as cur:
        wait = retry_after(cur, name, client, now)
        if wait > 0:
            raise LoginRefused(text["throttled"].format(seconds=int(wait + 0.999)), wait)
        rows = cur.execute(
            "SELECT username, display_name, role, password_hash FROM accounts "
            "WHERE username = ? AND active",
            [name],
        ).fetchall()
        if rows:
            ok = auth.verify_password(password, rows[0][3])
        else:
            auth.burn_time(password)
            ok = False
        cur.execute(
            "INSERT INTO login_attempts (attempted_at, username, client, success) "
            "VALUES (?, ?, ?, ?)",
            [now, name, client, ok],
        )
        if ok and auth.needs_rehash(rows[0][3]):
            cur.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?",
                [auth.hash_password(password), name],
            )
    if not ok:
        # The failure is committed first; the next try's wait is what the caller shows.
        wait = retry_after(db.reader(), name, client, now)
        raise LoginRefused(text["wrong"], wait)
    return Account(rows[0][0], rows[0][1], rows[0][2])


def trusted_proxies(environ: Mapping[str, str]) -> frozenset[str]:
    """The reverse proxies whose X-Forwarded-For is believed (env, comma-separated addresses)."""
    raw = environ.get(TRUSTED_PROXIES_ENV, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def client_address(peer: str, forwarded_for: str | None, trusted: frozenset[str]) -> str:
    """The address that throttles count: the peer, or — behind a configured proxy — the address
    that proxy saw (the right-most X-Forwarded-For entry not itself a trusted proxy).

    Why: behind a reverse proxy every visitor arrives from the proxy's address, so one stranger's
    failures would lock everybody out; a header from an untrusted peer is ignored, because anybody
    can send one to dodge the throttle.
    """
    if peer not in trusted or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer

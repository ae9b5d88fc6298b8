"""Each firm's private link (issue 11): signed, expiring tokens, their issue and revocation, what
each firm did through its link, and the bureau's read status.

Why links and not firm accounts: a county bureau will not manage thousands of firm logins. A link
is sent once per firm and run (the towns pass them on); the firm confirms or disputes its data
sheet, objects during the notice and receives its report through it.

The token is `<key>.<expiry>.<signature>`:
- `key` — 128 random bits (base64url), this link's own nonce and the primary key of its
  `firm_links` row, which holds the run id, the credit code and the link's version;
- `expiry` — UTC `YYYYMMDDHHMMSS`;
- `signature` — HMAC-SHA256 with the server secret over the run id, credit code, key, version and
  expiry (base64url).

The token names neither the run nor the firm; its row does, and the signature binds the token to
that row, so a token signed for another run or firm does not verify. Forging a link needs both the
secret (never in the database or the repository) and a live row's key. Revoking a link marks its
row, and every page run checks the row, so a revoked link stops at once; a reissue is a new row
with a new key and the next version. Every refusal looks the same to the visitor (`LinkRefused`),
whatever the reason, and failures are counted per client address in the store (`firm_link_checks`)
so guessing is throttled across tabs, reloads and server threads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import numbers
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pandas as pd
import xlsxwriter

from muyun import audit, evaluation, export, labels
from muyun.accounts import Account, can
from muyun.db import Database
from muyun.evidence import EvidenceRef

TOKEN_PARAM = "t"  # the URL parameter that carries a firm's token (`/?t=…`)
SECRET_ENV = "MUYUN_LINK_SECRET"
SECRET_KEY = "link_secret"  # in .streamlit/secrets.toml
MIN_SECRET_CHARS = 32
DEFAULT_VALID_DAYS = 60
OBJECTION_CHANNEL = labels.EVAL_CHANNELS[2]  # 企业链接

# Throttle: a client address that failed this many checks within the window is refused without a
# check until the window has passed. Office networks put several firms behind one address, and
# only failures count, so honest use never reaches it.
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = timedelta(minutes=15)
CHECK_RETENTION = timedelta(days=2)

EVENT_OPENED = "opened"
EVENT_CONFIRMED = "confirmed"
EVENT_DISPUTED = "disputed"
EVENT_OBJECTED = "objected"
EVENT_REPORT = "report"
EVENTS = (EVENT_OPENED, EVENT_CONFIRMED, EVENT_DISPUTED, EVENT_OBJECTED, EVENT_REPORT)
ANSWER_CONFIRMED, ANSWER_DISPUTED = evaluation.ANSWERS

_DOMAIN = b"muyun-firmlink-v1"
_KEY_BYTES = 16
_EXPIRY_FORMAT = "%Y%m%d%H%M%S"
_TOKEN_MAX = 128
_TOKEN_RE = re.compile(r"([A-Za-z0-9_-]{22})\.(\d{14})\.([A-Za-z0-9_-]{43})")
_CLIENT_MAX = 64
T = labels.FIRMLINK_TEXT


class LinkError(ValueError):
    """An official's link step was refused (no secret, unknown firm, bad date); Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LinkRefused(Exception):
    """A token was refused. Deliberately says nothing about why, except that the client is
    throttled (which it is whatever token it sends)."""

    def __init__(self, *, throttled: bool = False) -> None:
        super().__init__("throttled" if throttled else "refused")
        self.throttled = throttled


@dataclass(frozen=True)
class FirmAccess:
    """What a valid token grants: one firm in one run, through one version of its link."""

    run_id: int
    credit_code: str
    link_key: str
    version: int
    expires_at: datetime

    @property
    def actor(self) -> str:
        return firm_actor(self.credit_code)


def firm_actor(credit_code: str) -> str:
    """The audit log's "who" for a firm acting through its link."""
    return evaluation.FIRM_ACTOR_PREFIX + credit_code


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ── the secret and the token ─────────────────────────────────────────────────────────────────


def configured_secret(secrets_: Mapping[str, object] | None = None) -> bytes | None:
    """The server secret from env `MUYUN_LINK_SECRET`, else `link_secret` in the app's secrets.

    None (the feature is off) when neither is set or the value is shorter than 32 characters: a
    short secret could be guessed offline from one leaked link.
    """
    value = os.environ.get(SECRET_ENV) or (secrets_ or {}).get(SECRET_KEY)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value.encode("utf-8") if len(value) >= MIN_SECRET_CHARS else None


def _signature(
    secret: bytes, run_id: int, credit_code: str, key: str, version: int, expiry: str
) -> str:
    message = b"\x1f".join(
        part.encode("utf-8") if isinstance(part, str) else part
        for part in (_DOMAIN, str(int(run_id)), credit_code, key, str(int(version)), expiry)
    )
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _expiry_text(expires_at: datetime) -> str:
    return expires_at.strftime(_EXPIRY_FORMAT)


def make_token(
    secret: bytes, *, run_id: int, credit_code: str, key: str, version: int, expires_at: datetime
) -> str:
    """The token of one link row (deterministic: the same row always gives the same token)."""
    expiry = _expiry_text(expires_at)
    return f"{key}.{expiry}.{_signature(secret, run_id, credit_code, key, version, expiry)}"


def link_url(base_url: str, token: str) -> str:
    """The address a firm opens: the app's public address with the token parameter."""
    return f"{base_url.rstrip('/')}/?{TOKEN_PARAM}={token}"


def normalise_base_url(base_url: str) -> str:
    """The app's public address as typed by an official, checked (http/https, no query)."""
    value = (base_url or "").strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~/\-]*)?", value):
        raise LinkError(T["bad_base_url"].format(value=base_url))
    return value


# ── checking a token ─────────────────────────────────────────────────────────────────────────


def _client(client: str | None) -> str:
    return (client or "unknown")[:_CLIENT_MAX]


def recent_failures(con: duckdb.DuckDBPyConnection, client: str, now: datetime) -> int:
    """Failed checks from `client` within the throttle window."""
    return int(
        con.execute(
            "SELECT count(*) FROM firm_link_checks WHERE client = ? AND checked_at > ?",
            [_client(client), now - FAILURE_WINDOW],
        ).fetchall()[0][0]
    )


def _record_failure(db: Database, client: str, now: datetime) -> None:
    if db.read_only:  # a store opened read-only cannot count (a 128-bit key is not guessable)
        return
    with db.write() as cur:
        cur.execute(
            "INSERT INTO firm_link_checks (checked_at, client) VALUES (?, ?)",
            [now, _client(client)],
        )
        cur.execute("DELETE FROM firm_link_checks WHERE checked_at < ?", [now - CHECK_RETENTION])


def _verify(
    con: duckdb.DuckDBPyConnection, token: str, secret: bytes, now: datetime
) -> FirmAccess | None:
    """The access a token grants, or None; does the same work whether or not the key exists."""
    if not isinstance(token, str) or len(token) > _TOKEN_MAX:
        return None
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        return None
    key, expiry, signature = match.groups()
    rows = con.execute(
        "SELECT run_id, credit_code, version, expires_at, revoked_at FROM firm_links "
        "WHERE link_key = ?",
        [key],
    ).fetchall()
    run_id, code, version, expires_at, revoked_at = rows[0] if rows else (0, "", 0, None, None)
    expected = _signature(secret, run_id, code, key, version, expiry)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")) or not rows:
        return None
    if revoked_at is not None or expiry != _expiry_text(expires_at) or now >= expires_at:
        return None
    if evaluation.get_run(con, int(run_id)) is None:
        return None
    return FirmAccess(int(run_id), str(code), key, int(version), expires_at)


def check(
    db: Database,
    token: str | None,
    *,
    secret: bytes,
    client: str | None,
    now: datetime | None = None,
) -> FirmAccess:
    """The firm and run a token opens, or `LinkRefused` (the same for every kind of bad token).

    Called on every page run, so a revoked or expired link stops at the next click. A throttled
    client is refused before its token is looked at.
    """
    now = now or _now()
    con = db.reader()
    if recent_failures(con, _client(client), now) >= MAX_FAILURES_PER_CLIENT:
        raise LinkRefused(throttled=True)
    access = _verify(con, token or "", secret, now)
    if access is None:
        _record_failure(db, _client(client), now)
        raise LinkRefused()
    return access


# ── issuing and revoking (officials) ─────────────────────────────────────────────────────────


def default_expiry(today: date | None = None) -> date:
    """The last day a new link works by default."""
    return (today or date.today()) + timedelta(days=DEFAULT_VALID_DAYS)


def expiry_at_end_of(day: date) -> datetime:
    """A link chosen to last "until `day`" works to the end of that day, local server time (UTC
    in the store)."""
    local_end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    return local_end.astimezone(UTC).replace(tzinfo=None)


def run_firms(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """credit_code, name, town, industry of every firm frozen in the run (raises `LinkError` for
    an unknown run)."""
    if evaluation.get_run(con, run_id) is None:
        raise LinkError(T["no_run"].format(run=run_id))
    return con.execute(
        "SELECT credit_code, name, town, industry FROM eval_enterprises WHERE run_id = ? "
        "ORDER BY credit_code",
        [int(run_id)],
    ).df()


def _official(actor: Account) -> str:
    """The audit name of the official managing links; the service itself refuses anybody
    without the 管理员 right ("run_cycle"), whatever a page shows."""
    if not isinstance(actor, Account) or not can(actor, "run_cycle"):
        user = getattr(actor, "username", str(actor))
        role = getattr(actor, "role", "—")
        raise LinkError(
            labels.EVAL_TEXT["not_allowed"].format(user=user, role=role, action="run_cycle")
        )
    return actor.username


def _check_expiry(expires_at: datetime, now: datetime) -> None:
    if expires_at <= now:
        raise LinkError(T["expiry_past"])


def _insert_links(
    cur: duckdb.DuckDBPyConnection,
    run_id: int,
    codes: list[str],
    *,
    expires_at: datetime,
    actor: str,
    now: datetime,
) -> None:
    """New link rows (next version per firm) for `codes`; the caller revoked older ones."""
    versions = dict(
        cur.execute(
            "SELECT credit_code, max(version) FROM firm_links WHERE run_id = ? GROUP BY 1",
            [int(run_id)],
        ).fetchall()
    )
    expires_at = expires_at.replace(microsecond=0)  # the token carries whole seconds
    frame = pd.DataFrame(
        {
            "link_key": [secrets.token_urlsafe(_KEY_BYTES) for _ in codes],
            "run_id": int(run_id),
            "credit_code": codes,
            "version": [int(versions.get(code) or 0) + 1 for code in codes],
            "issued_at": now,
            "issued_by": actor,
            "expires_at": expires_at,
        }
    )
    cur.register("new_firm_links", frame)
    try:
        cur.execute(
            "INSERT INTO firm_links (link_key, run_id, credit_code, version, issued_at, "
            "issued_by, expires_at) SELECT link_key, run_id, credit_code, version, issued_at, "
            "issued_by, expires_at FROM new_firm_links"
        )
    finally:
        cur.unregister("new_firm_links")


def _active_codes(cur: duckdb.DuckDBPyConnection, run_id: int, now: datetime) -> set[str]:
    rows = cur.execute(
        "SELECT DISTINCT credit_code FROM firm_links "
        "WHERE run_id = ? AND revoked_at IS NULL AND expires_at > ?",
        [int(run_id), now],
    ).fetchall()
    return {str(row[0]) for row in rows}


def issue_missing(
    db: Database,
    run_id: int,
    *,
    expires_at: datetime,
    actor: Account,
    now: datetime | None = None,
) -> int:
    """A link for every firm of the run that holds no live link; returns how many were made.

    Firms that already hold a live link keep it, so generating again after new firms were added
    (or links expired) never invalidates a link a town has already sent.
    """
    who = _official(actor)
    now = now or _now()
    _check_expiry(expires_at, now)
    firms = run_firms(db.reader(), run_id)
    with db.write() as cur:
        active = _active_codes(cur, run_id, now)
        codes = [code for code in firms["credit_code"] if code not in active]
        if codes:
            _insert_links(cur, run_id, codes, expires_at=expires_at, actor=who, now=now)
            audit.append(
                cur,
                actor=who,
                action="firm_links_issued",
                run_id=int(run_id),
                subject=T["audit_batch"].format(n=len(codes)),
                before=None,
                after={"firms": len(codes), "expires_at": expires_at.isoformat()},
            )
    return len(codes)


def _revoke_in(
    cur: duckdb.DuckDBPyConnection, run_id: int, credit_code: str, actor: str, now: datetime
) -> int:
    versions = [
        int(row[0])
        for row in cur.execute(
            "SELECT version FROM firm_links WHERE run_id = ? AND credit_code = ? "
            "AND revoked_at IS NULL ORDER BY version",
            [int(run_id), credit_code],
        ).fetchall()
    ]
    if versions:
        cur.execute(
            "UPDATE firm_links SET revoked_at = ?, revoked_by = ? "
            "WHERE run_id = ? AND credit_code = ? AND revoked_at IS NULL",
            [now, actor, int(run_id), credit_code],
        )
    return len(versions)


def _require_firm(con: duckdb.DuckDBPyConnection, run_id: int, credit_code: str) -> None:
    if credit_code not in set(run_firms(con, run_id)["credit_code"]):
        raise LinkError(T["no_firm"].format(code=credit_code, run=run_id))


def revoke(
    db: Database, run_id: int, credit_code: str, *, actor: Account, now: datetime | None = None
) -> int:
    """Stop every link of one firm in a run at once; returns how many links were revoked."""
    who = _official(actor)
    now = now or _now()
    _require_firm(db.reader(), run_id, credit_code)
    with db.write() as cur:
        count = _revoke_in(cur, run_id, credit_code, who, now)
        if count:
            audit.append(
                cur,
                actor=who,
                action="firm_link_revoked",
                run_id=int(run_id),
                subject=credit_code,
                before={"live_links": count},
                after={"live_links": 0},
            )
    return count


def reissue(
    db: Database,
    run_id: int,
    credit_code: str,
    *,
    expires_at: datetime,
    actor: Account,
    now: datetime | None = None,
) -> int:
    """Revoke the firm's links and give it a new one (e.g. the old one reached the wrong
    person); returns the new link's version."""
    who = _official(actor)
    now = now or _now()
    _check_expiry(expires_at, now)
    _require_firm(db.reader(), run_id, credit_code)
    with db.write() as cur:
        revoked = _revoke_in(cur, run_id, credit_code, who, now)
        _insert_links(cur, run_id, [credit_code], expires_at=expires_at, actor=who, now=now)
        version = int(
            cur.execute(
                "SELECT max(version) FROM firm_links WHERE run_id = ? AND credit_code = ?",
                [int(run_id), credit_code],
            ).fetchall()[0][0]
        )
        audit.append(
            cur,
            actor=who,
            action="firm_link_reissued",
            run_id=int(run_id),
            subject=credit_code,
            before={"live_links": revoked},
            after={"version": version, "expires_at": expires_at.isoformat()},
        )
    return version


def live_links(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    secret: bytes,
    base_url: str,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Every live link of a run with its firm, town and expiry, for the towns to send.

    Columns: credit_code, name, town, industry, version, link, expires_at (local time text).
    """
    now = now or _now()
    base = normalise_base_url(base_url)
    firms = run_firms(con, run_id)
    rows = con.execute(
        "SELECT credit_code, link_key, version, expires_at FROM firm_links "
        "WHERE run_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY credit_code",
        [int(run_id), now],
    ).df()
    links = firms.merge(rows, on="credit_code", how="inner")
    links["link"] = [
        link_url(
            base,
            make_token(
                secret,
                run_id=int(run_id),
                credit_code=code,
                key=key,
                version=int(version),
                expires_at=expires.to_pydatetime(),
            ),
        )
        for code, key, version, expires in zip(
            links["credit_code"],
            links["link_key"],
            links["version"],
            links["expires_at"],
            strict=True,
        )
    ]
    links["expires_at"] = [local_text(value) for value in links["expires_at"]]
    order = ["town", "industry", "credit_code"]
    columns = ["credit_code", "name", "town", "industry", "version", "link", "expires_at"]
    return links.sort_values(order, kind="stable").reset_index(drop=True)[columns]


def local_text(value: object) -> str:
    """A stored UTC timestamp as the server's local time, to the minute ('' when missing)."""
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value).to_pydatetime().replace(tzinfo=UTC).astimezone()
    return stamp.strftime("%Y-%m-%d %H:%M")


# ── what firms do through their links ────────────────────────────────────────────────────────


def record_event(
    db: Database, access: FirmAccess, event: str, *, now: datetime | None = None
) -> None:
    """Log one access event (link opened, report opened, …) and append it to the audit chain."""
    if event not in EVENTS:
        raise ValueError(event)
    if db.read_only:  # reading the page still works; the event cannot be kept
        return
    now = now or _now()
    with db.write() as cur:
        _insert_event(cur, access, event, now)
        audit.append(
            cur,
            actor=access.actor,
            action=f"firm_link_{event}",
            run_id=access.run_id,
            subject=access.credit_code,
            before=None,
            after={"link_version": access.version},
        )


def _insert_event(
    cur: duckdb.DuckDBPyConnection, access: FirmAccess, event: str, now: datetime
) -> None:
    cur.execute(
        "INSERT INTO firm_link_events (run_id, credit_code, link_version, event, event_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [access.run_id, access.credit_code, access.version, event, now],
    )


def firm_name(con: duckdb.DuckDBPyConnection, access: FirmAccess) -> str:
    """The firm's own name as frozen in the run."""
    rows = con.execute(
        "SELECT name FROM eval_enterprises WHERE run_id = ? AND credit_code = ?",
        [access.run_id, access.credit_code],
    ).fetchall()
    return str(rows[0][0]) if rows else access.credit_code


@dataclass(frozen=True)
class FirmAnswer:
    """The firm's recorded answer to its data sheet: answer, disputed field keys, comment, time."""

    answer: str
    fields: tuple[str, ...]
    comment: str
    recorded_at: datetime


def firm_answer(con: duckdb.DuckDBPyConnection, access: FirmAccess) -> FirmAnswer | None:
    """The firm's recorded answer to its data sheet, or None before it answered."""
    rows = con.execute(
        "SELECT answer, disputed_fields, comment, recorded_at FROM eval_confirmations "
        "WHERE run_id = ? AND credit_code = ?",
        [access.run_id, access.credit_code],
    ).fetchall()
    if not rows:
        return None
    answer, fields, comment, recorded_at = rows[0]
    return FirmAnswer(
        answer=str(answer),
        fields=tuple(str(f) for f in json.loads(fields or "[]")),
        comment=str(comment or ""),
        recorded_at=recorded_at,
    )


def firm_objection_count(con: duckdb.DuckDBPyConnection, access: FirmAccess) -> int:
    """How many objections the firm has filed in this run (through any channel)."""
    return int(
        con.execute(
            "SELECT count(*) FROM eval_objections WHERE run_id = ? AND credit_code = ?",
            [access.run_id, access.credit_code],
        ).fetchall()[0][0]
    )


def _still_live(con: duckdb.DuckDBPyConnection, access: FirmAccess, now: datetime) -> None:
    """Refuse an action whose link was revoked (or expired) between the page run and the click;
    checked inside the action's own write transaction, so a revocation cannot slip between."""
    rows = con.execute(
        "SELECT count(*) FROM firm_links WHERE link_key = ? AND revoked_at IS NULL "
        "AND expires_at > ?",
        [access.link_key, now],
    ).fetchall()
    if not rows[0][0]:
        raise LinkRefused()


def confirm_sheet(
    db: Database,
    access: FirmAccess,
    *,
    disputed_fields: list[str],
    comment: str,
    evidence: EvidenceRef | None,
    now: datetime | None = None,
) -> str:
    """The firm's answer to its data sheet (已确认, or 有异议 naming fields); returns the answer.

    The answer itself is recorded (and audited) by the evaluation cycle, which refuses it outside
    the data-confirmation stage with a Chinese `EvaluationError`; the link's liveness check and
    its event row run in the same write transaction, so they commit together or not at all.
    """
    moment = now or _now()
    answer = ANSWER_DISPUTED if disputed_fields else ANSWER_CONFIRMED
    event = EVENT_DISPUTED if disputed_fields else EVENT_CONFIRMED

    def with_event(cur: duckdb.DuckDBPyConnection) -> None:
        _still_live(cur, access, moment)
        _insert_event(cur, access, event, moment)

    evaluation.record_confirmation(
        db,
        access.run_id,
        access.credit_code,
        answer=answer,
        disputed_fields=list(disputed_fields),
        comment=comment,
        evidence=evidence,
        actor=access.actor,
        within=with_event,
    )
    return answer


def file_objection(
    db: Database,
    access: FirmAccess,
    *,
    grounds: str,
    evidence: EvidenceRef | None,
    now: datetime | None = None,
) -> int:
    """An objection during the notice, into the officials' review queue; returns its id."""
    moment = now or _now()

    def with_event(cur: duckdb.DuckDBPyConnection) -> None:
        _still_live(cur, access, moment)
        _insert_event(cur, access, EVENT_OBJECTED, moment)

    return evaluation.register_objection(
        db,
        access.run_id,
        access.credit_code,
        received=moment.replace(tzinfo=UTC).astimezone().date(),
        channel=OBJECTION_CHANNEL,
        grounds=grounds,
        evidence=evidence,
        actor=access.actor,
        within=with_event,
    )


# ── the bureau's read status ─────────────────────────────────────────────────────────────────

STATUS_COLUMNS = (
    "credit_code",
    "name",
    "town",
    "industry",
    "link_state",
    "opened_first",
    "opened_count",
    "confirmed_at",
    "disputed_at",
    "objected_count",
    "report_first",
    "report_last",
    "report_count",
)
SUMMARY_COLUMNS = ("firms", "linked", "opened", "confirmed", "disputed", "objected", "report")


def read_status(
    con: duckdb.DuckDBPyConnection, run_id: int, *, now: datetime | None = None
) -> pd.DataFrame:
    """Per firm of the run: its link state and what it did (first/last time and count).

    A firm counts once however often it opened its report: `report_first` is when it first did,
    `report_count` how many times (each page session counts once).
    """
    now = now or _now()
    firms = run_firms(con, run_id)
    events = con.execute(
        """
        SELECT credit_code,
               min(event_at) FILTER (WHERE event = 'opened') AS opened_first,
               count(*) FILTER (WHERE event = 'opened') AS opened_count,
               max(event_at) FILTER (WHERE event = 'confirmed') AS confirmed_at,
               max(event_at) FILTER (WHERE event = 'disputed') AS disputed_at,
               count(*) FILTER (WHERE event = 'objected') AS objected_count,
               min(event_at) FILTER (WHERE event = 'report') AS report_first,
               max(event_at) FILTER (WHERE event = 'report') AS report_last,
               count(*) FILTER (WHERE event = 'report') AS report_count
        FROM firm_link_events WHERE run_id = ? GROUP BY credit_code
        """,
        [int(run_id)],
    ).df()
    links = con.execute(
        """
        SELECT credit_code,
               bool_or(revoked_at IS NULL AND expires_at > ?) AS live,
               bool_or(revoked_at IS NULL) AS unrevoked
        FROM firm_links WHERE run_id = ? GROUP BY credit_code
        """,
        [now, int(run_id)],
    ).df()
    status = firms.merge(events, on="credit_code", how="left").merge(
        links, on="credit_code", how="left"
    )
    for column in ("opened_count", "objected_count", "report_count"):
        status[column] = status[column].fillna(0).astype(int)
    state = labels.FIRMLINK_STATES
    status["link_state"] = [
        state["none"]
        if pd.isna(live)
        else state["live"]
        if bool(live)
        else state["expired"]
        if bool(unrevoked)
        else state["revoked"]
        for live, unrevoked in zip(status["live"], status["unrevoked"], strict=True)
    ]
    return (
        status[list(STATUS_COLUMNS)]
        .sort_values(["town", "industry", "credit_code"])
        .reset_index(drop=True)
    )


def summary(status: pd.DataFrame, by: str) -> pd.DataFrame:
    """Firms per `by` ("town" or "industry") that hold a live link, opened it, confirmed,
    disputed, objected and read their report — each firm counted once."""
    if by not in ("town", "industry"):
        raise ValueError(by)
    flags = pd.DataFrame(
        {
            by: status[by],
            "firms": 1,
            "linked": status["link_state"] == labels.FIRMLINK_STATES["live"],
            "opened": status["opened_count"] > 0,
            "confirmed": status["confirmed_at"].notna(),
            "disputed": status["disputed_at"].notna(),
            "objected": status["objected_count"] > 0,
            "report": status["report_count"] > 0,
        }
    )
    table = flags.groupby(by, sort=True).sum().astype(int).reset_index()
    return table[[by, *SUMMARY_COLUMNS]]


def unread(status: pd.DataFrame) -> pd.DataFrame:
    """Firms that have not opened their report yet (to chase through their town)."""
    return status.loc[status["report_count"] == 0].reset_index(drop=True)


# ── downloads ────────────────────────────────────────────────────────────────────────────────


def _cell_text(value: object) -> str:
    """A cell's text, neutralised by `muyun.export` so no spreadsheet runs it as a formula."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return str(export.neutralise(text))


def to_xlsx(frame: pd.DataFrame, headers: Mapping[str, str], sheet: str) -> bytes:
    """An .xlsx of `frame` with Chinese headers; every cell is written as text or a number.

    xlsxwriter's guesses are off (a text starting with "=" would become a formula, one looking
    like a URL a hyperlink), and text cells starting with a formula character get an apostrophe,
    so firm names from the import can never run in the official's spreadsheet.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, **export.XLSX_OPTIONS}
    )
    sheet_ = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True})
    columns = list(frame.columns)
    for col, column in enumerate(columns):
        sheet_.write_string(0, col, _cell_text(headers.get(column, column)), bold)
        width = 60 if column == "link" else 24 if column == "name" else 16
        sheet_.set_column(col, col, width)
    for row, values in enumerate(frame.itertuples(index=False), start=1):
        for col, value in enumerate(values):
            if isinstance(value, bool) or value is None:
                sheet_.write_string(row, col, _cell_text(value))
            elif isinstance(value, numbers.Real) and not pd.isna(value):
                sheet_.write_number(row, col, float(value))
            elif isinstance(value, datetime | pd.Timestamp):
                sheet_.write_string(row, col, local_text(value))
            else:
                sheet_.write_string(row, col, _cell_text(value))
    sheet_.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def links_xlsx(links: pd.DataFrame) -> bytes:
    """The batch for the towns: firm, credit code, town, industry, link, expiry."""
    columns = ["name", "credit_code", "town", "industry", "link", "expires_at"]
    return to_xlsx(links[columns], labels.FIRMLINK_HEADERS, T["links_sheet"])


def status_xlsx(status: pd.DataFrame) -> bytes:
    """A read-status table (all firms, or the unread list) with local times."""
    return to_xlsx(status, labels.FIRMLINK_HEADERS, T["status_sheet"])


def live_link_count(
    con: duckdb.DuckDBPyConnection, run_id: int, now: datetime | None = None
) -> int:
    """How many firms of the run hold a live link."""
    return len(_active_codes(con, run_id, now or _now()))

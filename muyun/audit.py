"""The append-only, hash-chained audit log of the evaluation cycle (issue 16).

Why a chain: the year's result decides money, so its history must be tamper-evident. Each row's
hash is SHA-256 over the previous row's hash and a canonical JSON of the row itself (sorted keys,
no whitespace, timestamps as ISO text), so editing, deleting or re-ordering any row breaks every
hash after it and `verify` names the first row that no longer fits.

A chain alone cannot see its own tail cut off (deleting the last rows leaves a valid, shorter
chain), so `verify` also checks the evaluation tables against it: every run, publication,
answer, objection, decision, correction and override must have its audit row. `head` gives the
last row's hash, which the bureau can note outside the database (e.g. in the publication file)
to pin the whole history.

Rows are appended inside the caller's write transaction (`with db.write() as cur:`), so a state
change and its record commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from muyun.labels import AUDIT_CHECK_TEXT, AUDIT_TEXT, EVAL_STAGES, EVAL_TEXT

GENESIS = "0" * 64
COLUMNS = (
    "id",
    "logged_at",
    "actor",
    "action",
    "run_id",
    "subject",
    "before_json",
    "after_json",
    "prev_hash",
    "hash",
)


def _json(value: Any) -> str | None:
    """Canonical JSON (sorted keys, compact, non-ASCII kept) of a before/after record."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="microseconds")


def row_hash(
    prev_hash: str,
    *,
    id: int,
    logged_at: datetime,
    actor: str,
    action: str,
    run_id: int | None,
    subject: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
    """The chain hash of one row: SHA-256 of the previous hash + the row's canonical JSON."""
    body = {
        "id": int(id),
        "logged_at": _timestamp(logged_at),
        "actor": actor,
        "action": action,
        "run_id": None if run_id is None else int(run_id),
        "subject": subject,
        "before": before_json,
        "after": after_json,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(
    cur: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    run_id: int | None,
    subject: str,
    before: dict | None,
    after: dict | None,
) -> None:
    """Append one state change to the chain; call it inside the write transaction it records."""
    last = cur.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchall()
    new_id = int(last[0][0]) + 1 if last else 1
    prev = str(last[0][1]) if last else GENESIS
    logged_at = datetime.now(UTC).replace(tzinfo=None)
    before_json, after_json = _json(before), _json(after)
    digest = row_hash(
        prev,
        id=new_id,
        logged_at=logged_at,
        actor=actor,
        action=action,
        run_id=run_id,
        subject=subject,
        before_json=before_json,
        after_json=after_json,
    )
    cur.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [new_id, logged_at, actor, action, run_id, subject, before_json, after_json, prev, digest],
    )


def verify(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Problems found in the chain, first broken row first (empty when the chain is intact).

    Only the first break is reported: every hash after an edited row is off by construction.
    """
    cursor = con.cursor()
    try:
        rows = cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY id").fetchall()
    finally:
        cursor.close()
    prev = GENESIS
    expected_id = 1
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        if record["id"] != expected_id:
            return [AUDIT_TEXT["gap"].format(id=record["id"], expected=expected_id)]
        if record["prev_hash"] != prev:
            return [AUDIT_TEXT["broken_link"].format(id=record["id"])]
        digest = row_hash(
            prev,
            id=record["id"],
            logged_at=record["logged_at"],
            actor=record["actor"],
            action=record["action"],
            run_id=record["run_id"],
            subject=record["subject"],
            before_json=record["before_json"],
            after_json=record["after_json"],
        )
        if digest != record["hash"]:
            return [AUDIT_TEXT["broken_row"].format(id=record["id"])]
        prev = record["hash"]
        expected_id += 1
    return unrecorded(con)


def head(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """(rows, hash of the last row): the chain's fingerprint, GENESIS when it is empty."""
    cursor = con.cursor()
    try:
        rows = cursor.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchall()
    finally:
        cursor.close()
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)


# State rows of the evaluation cycle and the audit action that must record each: a row with the
# same run whose subject is the firm (or the run's own create/publish step).
_RECORDED_BY_FIRM = (
    ("eval_confirmations", "act_confirm", "confirmation"),
    ("eval_overrides", "act_override", "override"),
    ("eval_corrections", "act_correct", "correction"),
)


def unrecorded(con: duckdb.DuckDBPyConnection) -> list[str]:
    """State of the evaluation cycle that has no audit row (history cut off or bypassed)."""
    cursor = con.cursor()
    try:
        return _unrecorded(cursor)
    finally:
        cursor.close()


def _unrecorded(cur: duckdb.DuckDBPyConnection) -> list[str]:
    problems: list[str] = []
    text = AUDIT_CHECK_TEXT

    def logged(action: str) -> set[tuple[int | None, str]]:
        rows = cur.execute(
            "SELECT run_id, subject FROM audit_log WHERE action = ?", [EVAL_TEXT[action]]
        ).fetchall()
        return {(None if r is None else int(r), str(s)) for r, s in rows}

    created = {run for run, _ in logged("act_create")}
    published = {
        int(row[0])
        for row in cur.execute(
            "SELECT run_id FROM audit_log WHERE action = ? AND after_json LIKE ?",
            [EVAL_TEXT["act_stage"], f'%"stage":"{EVAL_STAGES[3]}"%'],
        ).fetchall()
    }
    for run_id, stage in cur.execute("SELECT id, stage FROM eval_runs ORDER BY id").fetchall():
        if int(run_id) not in created:
            problems.append(text["run"].format(run=run_id))
        if stage == EVAL_STAGES[3] and int(run_id) not in published:
            problems.append(text["publish"].format(run=run_id))
    for table, action, kind in _RECORDED_BY_FIRM:
        seen = logged(action)
        # `table` is one of three fixed names above, never input.
        rows = cur.execute(
            f"SELECT DISTINCT run_id, credit_code FROM {table} ORDER BY 1, 2"
        ).fetchall()
        for run_id, code in rows:
            if (int(run_id), str(code)) not in seen:
                problems.append(text[kind].format(run=run_id, code=code))
    registered, decided = logged("act_objection"), logged("act_decide")
    objections = cur.execute(
        "SELECT id, run_id, credit_code, decision FROM eval_objections ORDER BY id"
    ).fetchall()
    for objection_id, run_id, code, decision in objections:
        key = (int(run_id), EVAL_TEXT["subject_objection"].format(id=objection_id, code=code))
        if key not in registered:
            problems.append(text["objection"].format(id=objection_id, run=run_id))
        if decision is not None and key not in decided:
            problems.append(text["decision"].format(id=objection_id, run=run_id))
    return problems


def log_frame(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> pd.DataFrame:
    """The log (one run's rows, or all), oldest first, for the page and its export."""
    where = "" if run_id is None else "WHERE run_id = ?"
    params = [] if run_id is None else [int(run_id)]
    cursor = con.cursor()
    try:
        return cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM audit_log {where} ORDER BY id", params
        ).df()
    finally:
        cursor.close()

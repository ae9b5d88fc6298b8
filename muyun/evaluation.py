"""The annual evaluation as an official act: frozen runs, confirmation, notice, objections,
corrections, overrides (调档), publication — every step recorded in the audit chain.

Why a snapshot: the published list decides money, so it must never move when data is imported
later, and anybody must be able to recompute it. Creating a run copies that year's enterprise and
lease rows and the profile's full TOML text into the run's own tables, and stores the results.
`rescore_snapshot` feeds the frozen rows through the very same code as a live year (the rows are
loaded into a private in-memory DuckDB shaped like the live store, and `scoring.load_year` reads
them there: same effective-land SQL, same preparation, same engine), so re-scoring a run gives
its stored results bit for bit.

Why the whole pool in a correction preview: benchmarks are pool averages and tiers are rank
shares, so correcting one firm's figures can move other firms; the preview re-scores the frozen
pool with the correction and lists every firm whose rank or tier would change.

Who may do what is checked here, not only on the page: officials' steps take the acting
`accounts.Account` ("run_cycle" for the 管理员 steps, "review_objection" for objections); a firm's
own answers (through its private link) take the actor text "企业:<credit_code>".
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from muyun import audit, export, importer, labels, policy, report, results, scoring
from muyun.accounts import Account, can
from muyun.db import Database
from muyun.evidence import EvidenceRef
from muyun.profile import Profile, profile_from_toml

E = labels.EVAL_TEXT
STAGE_DRAFT, STAGE_CONFIRM, STAGE_NOTICE, STAGE_PUBLISHED = labels.EVAL_STAGES
ANSWERS = labels.EVAL_ANSWERS  # 已确认 / 有异议
DECISIONS = labels.EVAL_DECISIONS  # 采纳 / 驳回
NO_TIER = labels.STATUS_EXEMPT  # the override "不定级"
OVERRIDE_TIERS: tuple[str, ...] = (*labels.TIERS, NO_TIER)
FIRM_ACTOR_PREFIX = "企业:"
NOTICE_MIN_DAYS, NOTICE_MAX_DAYS = 5, 30
# Input columns a correction may set: the figures and flags the score uses (not the firm's key).
CORRECTABLE: tuple[str, ...] = tuple(
    c.key for c in importer.SPECS["enterprises"].columns if c.key not in ("year", "credit_code")
)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_PER_KEY = ("bench", "score", "imputed", "unit")
_TAIL = (
    *scoring.BONUS_COLUMNS,
    "talent_share",
    "water_multiple",
    "bonus",
    "deduction_safety",
    "deduction_env",
    "deduction",
    "total",
    "pool",
    "pool_size",
    "rank",
    "tier",
    "tier_before_veto",
)
_LAND = ("leased_in_mu", "leased_out_mu", "unregistered_lease_mu", "land_mu")


class EvaluationError(ValueError):
    """A refused step of the cycle; the message is Chinese, for the official."""


@dataclass(frozen=True)
class Run:
    """One evaluation run of a year under a profile, and where it is in the cycle."""

    id: int
    year: int
    profile_id: str
    profile_name: str
    stage: str
    created_at: datetime
    notice_start: date | None
    notice_end: date | None
    published_at: datetime | None
    created_by: str = ""
    published_by: str | None = None
    muyun_version: str = ""


@dataclass(frozen=True)
class Preview:
    """A correction's full consequence: the re-scored pool and every firm it moves."""

    changes: dict[str, object]
    before: dict[str, object]
    moved: pd.DataFrame  # credit_code, name, rank/tier/total before and after
    result: pd.DataFrame


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


def muyun_version() -> str:
    """The installed muyun version (recorded with every snapshot)."""
    try:
        return metadata.version("muyun")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _who(actor: Account | str, action: str) -> str:
    """The audit name of the acting person; refuses an account without the right."""
    if isinstance(actor, Account):
        if not can(actor, action):
            raise EvaluationError(
                E["not_allowed"].format(user=actor.username, role=actor.role, action=action)
            )
        return actor.username
    raise EvaluationError(E["needs_account"])


def _firm_or_official(actor: Account | str, action: str, credit_code: str) -> str:
    """A firm may answer for itself ("企业:<code>"); anybody else needs the right."""
    if isinstance(actor, str):
        if actor != FIRM_ACTOR_PREFIX + credit_code:
            raise EvaluationError(E["bad_firm_actor"].format(actor=actor))
        return actor
    return _who(actor, action)


_RUN_COLUMNS = (
    "id, year, profile_id, profile_name, stage, created_at, notice_start, notice_end, "
    "published_at, created_by, published_by, muyun_version"
)


def _run_from_row(row: tuple) -> Run:
    return Run(*row)


def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Run | None:
    """The run with this id, or None."""
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM eval_runs WHERE id = ?", [int(run_id)]
    ).fetchall()
    return _run_from_row(rows[0]) if rows else None


def list_runs(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[Run]:
    """Runs, newest first (of one year when given)."""
    where, params = ("WHERE year = ?", [int(year)]) if year is not None else ("", [])
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM eval_runs {where} ORDER BY id DESC", params
    ).fetchall()
    return [_run_from_row(r) for r in rows]


def published_run(con: duckdb.DuckDBPyConnection, year: int) -> Run | None:
    """The year's published run (at most one exists)."""
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM eval_runs WHERE year = ? AND stage = ?",
        [int(year), STAGE_PUBLISHED],
    ).fetchall()
    return _run_from_row(rows[0]) if rows else None


def require_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Run:
    """The run with this id; `EvaluationError` (Chinese) when there is none."""
    run = get_run(con, run_id)
    if run is None:
        raise EvaluationError(E["no_run"].format(run=run_id))
    return run


def _require_open(run: Run) -> None:
    """Published runs are locked: nothing about their result changes any more."""
    if run.stage == STAGE_PUBLISHED:
        raise EvaluationError(E["locked"].format(run=run.id))


def _require_firm(con: duckdb.DuckDBPyConnection, run_id: int, credit_code: str) -> str:
    rows = con.execute(
        "SELECT name FROM eval_enterprises WHERE run_id = ? AND credit_code = ?",
        [int(run_id), credit_code],
    ).fetchall()
    if not rows:
        raise EvaluationError(E["no_firm"].format(run=run_id, code=credit_code))
    return str(rows[0][0])


@functools.lru_cache(maxsize=16)
def _profile_of_text(text: str, profile_id: str) -> Profile:
    return profile_from_toml(text, profile_id)


def run_profile(con: duckdb.DuckDBPyConnection, run_id: int) -> Profile:
    """The run's profile, parsed from the TOML text frozen with it."""
    rows = con.execute(
        "SELECT profile_toml, profile_id FROM eval_runs WHERE id = ?", [int(run_id)]
    ).fetchall()
    if not rows:
        raise EvaluationError(E["no_run"].format(run=run_id))
    return _profile_of_text(str(rows[0][0]), str(rows[0][1]))


# ── snapshot and scoring ────────────────────────────────────────────────────────────────────


def snapshot_year(con: duckdb.DuckDBPyConnection, run_id: int) -> scoring.YearData:
    """The run's frozen inputs prepared exactly as `scoring.load_year` prepares a live year.

    The rows go into a private in-memory DuckDB as tables named like the live ones, and
    `load_year` reads them there: one code path for effective land and preparation.
    """
    run = require_run(con, run_id)
    firms = con.sql(
        "SELECT * EXCLUDE (run_id) FROM eval_enterprises WHERE run_id = ?", params=[int(run_id)]
    ).to_arrow_table()
    leases = con.sql(
        "SELECT * EXCLUDE (run_id) FROM eval_leases WHERE run_id = ?", params=[int(run_id)]
    ).to_arrow_table()
    return _prepare_rows(firms, leases, run.year)


def _prepare_rows(firms: pa.Table, leases: pa.Table, year: int) -> scoring.YearData:
    mem = duckdb.connect(":memory:")
    try:
        mem.register("firm_rows", firms)
        mem.register("lease_rows", leases)
        mem.execute("CREATE TABLE enterprises AS SELECT * FROM firm_rows")
        mem.execute("CREATE TABLE leases AS SELECT * FROM lease_rows")
        return scoring.load_year(mem, year)
    finally:
        mem.close()


def rescore_snapshot(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Score the run's frozen inputs under its frozen profile (as computed, no overrides)."""
    return scoring.score_prepared(snapshot_year(con, run_id), run_profile(con, run_id))


def _store_results(cur: duckdb.DuckDBPyConnection, run_id: int, result: pd.DataFrame) -> None:
    """Replace the run's stored results with `result` (display order kept as `position`)."""
    stored = [r[0] for r in cur.execute("DESCRIBE eval_results").fetchall()]
    columns = [c for c in stored if c in result.columns]
    table = pa.Table.from_pandas(result[columns], preserve_index=False)
    table = table.append_column("position", pa.array(np.arange(len(result), dtype=np.int32)))
    table = table.append_column("run_id", pa.array(np.full(len(result), run_id, dtype=np.int64)))
    cur.execute("DELETE FROM eval_results WHERE run_id = ?", [int(run_id)])
    cur.register("new_results", table)
    try:
        cur.execute("INSERT INTO eval_results BY NAME SELECT * FROM new_results")
    finally:
        cur.unregister("new_results")
    cur.execute(
        "UPDATE eval_runs SET warnings_json = ?, benchmarks_json = ? WHERE id = ?",
        [
            json.dumps(result.attrs.get("warnings", []), ensure_ascii=False),
            json.dumps(result.attrs.get("benchmarks", {}), ensure_ascii=False),
            int(run_id),
        ],
    )


def create_run(
    db: Database,
    year: int,
    profile_toml: str,
    *,
    profile_id: str,
    actor: Account,
) -> int:
    """Freeze the year's inputs and the profile, score them, store the results; the new id.

    `profile_id` is the profile's file stem for shipped profiles (pages match runs by it).
    """
    who = _who(actor, "run_cycle")
    try:
        prof = profile_from_toml(profile_toml, profile_id)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from exc
    with db.write() as cur:
        count = cur.execute("SELECT count(*) FROM enterprises WHERE year = ?", [int(year)])
        if not count.fetchall()[0][0]:
            raise EvaluationError(E["no_year"].format(year=year))
        if prof.needs_prior_year():  # freeze year − 1's averages as numbers (methodology §3)
            try:
                prof = scoring.resolve_prior_benchmarks(scoring.load_year(cur, year), prof)
            except scoring.PriorYearMissing as exc:
                raise EvaluationError(str(exc)) from exc
            profile_toml = prof.to_toml()
        run_id = int(
            cur.execute(
                "INSERT INTO eval_runs (year, profile_id, profile_name, profile_toml, "
                "muyun_version, stage, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                [
                    int(year),
                    profile_id,
                    prof.name,
                    profile_toml,
                    muyun_version(),
                    STAGE_DRAFT,
                    _now(),
                    who,
                ],
            ).fetchall()[0][0]
        )
        cur.execute(
            "INSERT INTO eval_enterprises SELECT ?, * FROM enterprises WHERE year = ? "
            "ORDER BY credit_code",
            [run_id, int(year)],
        )
        cur.execute(
            "INSERT INTO eval_leases SELECT ?, * FROM leases WHERE year = ?", [run_id, int(year)]
        )
        leases = cur.execute(
            "SELECT count(*) FROM eval_leases WHERE run_id = ?", [run_id]
        ).fetchall()[0][0]
        result = scoring.score_prepared(snapshot_year(cur, run_id), prof)
        _store_results(cur, run_id, result)
        audit.append(
            cur,
            actor=who,
            action=E["act_create"],
            run_id=run_id,
            subject=E["subject_run"].format(run=run_id, year=year),
            before=None,
            after={
                "year": int(year),
                "profile": prof.name,
                "profile_id": profile_id,
                "firms": len(result),
                "leases": int(leases),
                "tiers": _tier_counts(result["tier"]),
                "muyun_version": muyun_version(),
            },
        )
    return run_id


def _tier_counts(tiers: pd.Series) -> dict[str, int]:
    counts = tiers.value_counts()
    return {t: int(counts.get(t, 0)) for t in labels.TIERS}


def _stored_frame(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    table = con.sql(
        """
        SELECT e.* EXCLUDE (run_id),
               r.* EXCLUDE (run_id, credit_code, position),
               o.tier AS override_tier, o.reason AS override_reason,
               o.basis AS override_basis
        FROM eval_results r
        JOIN eval_enterprises e ON e.run_id = r.run_id AND e.credit_code = r.credit_code
        LEFT JOIN eval_overrides o ON o.run_id = r.run_id AND o.credit_code = r.credit_code
        WHERE r.run_id = ?
        ORDER BY r.position
        """,
        params=[int(run_id)],
    ).to_arrow_table()
    return table.to_pandas(types_mapper=scoring.pandas_type)


def run_result(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The run's stored result: `score_prepared`'s columns with `tier` after any override,
    plus `computed_tier`, `override_tier` ("A"–"D" or "不定级"), `override_reason`,
    `override_basis`; `attrs` carry warnings, benchmarks, run id and stage."""
    run = require_run(con, run_id)
    prof = run_profile(con, run_id)
    frame = _stored_frame(con, run_id)
    keys = prof.indicator_keys()
    per_key = [f"{p}_{k}" for k in keys for p in _PER_KEY]
    base = [c for c in frame.columns if c not in _RESULT_COLUMNS and c not in _EXTRA]
    order = [*base, *_LAND, "status", "reason", *scoring.INDICATOR_FORMULAS, *per_key, *_TAIL]
    result = frame[[*order, *_EXTRA]].copy()
    result["pool_size"] = result["pool_size"].to_numpy(dtype=np.int64)
    for key in keys:
        result[f"imputed_{key}"] = result[f"imputed_{key}"].to_numpy(dtype=bool)
    result["computed_tier"] = result["tier"]
    overridden = result["override_tier"].notna()
    final = result["override_tier"].where(result["override_tier"] != NO_TIER)
    result["tier"] = result["tier"].where(~overridden, final).astype(_STR)
    result["override"] = _override_text(result)
    rows = con.execute(
        "SELECT warnings_json, benchmarks_json FROM eval_runs WHERE id = ?", [int(run_id)]
    ).fetchall()
    result.attrs["warnings"] = json.loads(rows[0][0])
    result.attrs["benchmarks"] = json.loads(rows[0][1])
    result.attrs["run_id"] = run.id
    result.attrs["stage"] = run.stage
    return result


_EXTRA = ("override_tier", "override_reason", "override_basis")


def _override_text(result: pd.DataFrame) -> pd.Series:
    """One readable cell per firm: "调为 C：<reason>", empty when the tier is as computed."""
    text = [
        "" if pd.isna(r) else E["override_cell"].format(tier=t, reason=r)
        for t, r in zip(
            result["override_tier"].astype(object),
            result["override_reason"].astype(object),
            strict=True,
        )
    ]
    return pd.Series(text, index=result.index, dtype=object)


_RESULT_COLUMNS = frozenset(
    {
        *_LAND,
        "status",
        "reason",
        *scoring.INDICATOR_FORMULAS,
        *(f"{p}_{k}" for k in scoring.INDICATOR_FORMULAS for p in _PER_KEY),
        *_TAIL,
    }
)


def scored_columns(result: pd.DataFrame) -> pd.DataFrame:
    """A run result back in `score_prepared`'s shape (computed tier, no override columns)."""
    out = result.drop(columns=[*_EXTRA, "computed_tier", "override"])
    out = out.assign(tier=result["computed_tier"])
    out.attrs = dict(result.attrs)
    return out


# ── stages ──────────────────────────────────────────────────────────────────────────────────


def _set_stage(
    cur: duckdb.DuckDBPyConnection, run: Run, stage: str, who: str, extra: Mapping | None = None
) -> None:
    cur.execute("UPDATE eval_runs SET stage = ? WHERE id = ?", [stage, run.id])
    audit.append(
        cur,
        actor=who,
        action=E["act_stage"],
        run_id=run.id,
        subject=E["subject_run"].format(run=run.id, year=run.year),
        before={"stage": run.stage},
        after={"stage": stage, **(extra or {})},
    )


def start_confirmation(db: Database, run_id: int, *, actor: Account) -> None:
    """草稿 → 数据确认: the firms are asked to confirm their data sheets."""
    who = _who(actor, "run_cycle")
    with db.write() as cur:
        run = require_run(cur, run_id)
        if run.stage != STAGE_DRAFT:
            raise EvaluationError(
                E["bad_stage"].format(run=run.id, stage=run.stage, needed=STAGE_DRAFT)
            )
        _set_stage(cur, run, STAGE_CONFIRM, who)


def start_notice(db: Database, run_id: int, *, start: date, days: int, actor: Account) -> Run:
    """草稿/数据确认 → 公示中 with the notice period (also moves the period while 公示中)."""
    who = _who(actor, "run_cycle")
    if not NOTICE_MIN_DAYS <= int(days) <= NOTICE_MAX_DAYS:
        raise EvaluationError(
            E["bad_days"].format(days=days, lo=NOTICE_MIN_DAYS, hi=NOTICE_MAX_DAYS)
        )
    end = start + timedelta(days=int(days) - 1)
    with db.write() as cur:
        run = require_run(cur, run_id)
        _require_open(run)
        cur.execute(
            "UPDATE eval_runs SET notice_start = ?, notice_end = ? WHERE id = ?",
            [start, end, run.id],
        )
        period = {"notice_start": start.isoformat(), "notice_end": end.isoformat()}
        if run.stage == STAGE_NOTICE:
            audit.append(
                cur,
                actor=who,
                action=E["act_notice_period"],
                run_id=run.id,
                subject=E["subject_run"].format(run=run.id, year=run.year),
                before={
                    "notice_start": str(run.notice_start),
                    "notice_end": str(run.notice_end),
                },
                after=period,
            )
        else:
            _set_stage(cur, run, STAGE_NOTICE, who, period)
    return require_run(db.reader(), run_id)


def publish(db: Database, run_id: int, *, actor: Account, today: date | None = None) -> None:
    """公示中 → 已发布: locks the run; one published run per year; no objection left open.

    Not before the notice period is over: firms may object until its last day, so a list
    published earlier would not be the noticed one. `today` is for tests and scripted replays.
    """
    who = _who(actor, "run_cycle")
    today = today or date.today()
    with db.write() as cur:
        run = require_run(cur, run_id)
        _require_open(run)
        if run.stage != STAGE_NOTICE:
            raise EvaluationError(
                E["bad_stage"].format(run=run.id, stage=run.stage, needed=STAGE_NOTICE)
            )
        if run.notice_end is not None and today <= run.notice_end:
            raise EvaluationError(
                E["notice_not_over"].format(
                    end=run.notice_end, first=run.notice_end + timedelta(days=1)
                )
            )
        other = published_run(cur, run.year)
        if other is not None:
            raise EvaluationError(E["already_published"].format(year=run.year, run=other.id))
        pending = cur.execute(
            "SELECT count(*) FROM eval_objections WHERE run_id = ? AND decision IS NULL",
            [run.id],
        ).fetchall()[0][0]
        if pending:
            raise EvaluationError(E["pending_objections"].format(count=pending))
        now = _now()
        cur.execute(
            "UPDATE eval_runs SET published_at = ?, published_by = ? WHERE id = ?",
            [now, who, run.id],
        )
        _set_stage(cur, run, STAGE_PUBLISHED, who, {"published_at": now.isoformat()})


# ── confirmation (一企一单) ──────────────────────────────────────────────────────────────────


def record_confirmation(
    db: Database,
    run_id: int,
    credit_code: str,
    *,
    answer: str,
    disputed_fields: list[str],
    comment: str,
    evidence: EvidenceRef | None,
    actor: Account | str,
    within: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Record a firm's answer to its data sheet (the latest answer counts; all are audited).

    `within(cur)` runs inside the same write transaction after the answer is written (the firm
    link's liveness check and its event row), so the answer and what goes with it commit
    together or not at all.
    """
    who = _firm_or_official(actor, "run_cycle", credit_code)
    if answer not in ANSWERS:
        raise EvaluationError(E["bad_answer"].format(answer=answer, answers="/".join(ANSWERS)))
    unknown = [f for f in disputed_fields if f not in CORRECTABLE]
    if unknown:
        raise EvaluationError(E["bad_fields"].format(fields="、".join(unknown)))
    if answer == ANSWERS[1] and not disputed_fields:
        raise EvaluationError(E["dispute_needs_fields"])
    with db.write() as cur:
        run = require_run(cur, run_id)
        if run.stage != STAGE_CONFIRM:
            raise EvaluationError(
                E["bad_stage"].format(run=run.id, stage=run.stage, needed=STAGE_CONFIRM)
            )
        _require_firm(cur, run.id, credit_code)
        old = cur.execute(
            "SELECT answer, disputed_fields, comment FROM eval_confirmations "
            "WHERE run_id = ? AND credit_code = ?",
            [run.id, credit_code],
        ).fetchall()
        fields_json = json.dumps(list(disputed_fields), ensure_ascii=False)
        cur.execute(
            "INSERT OR REPLACE INTO eval_confirmations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.id,
                credit_code,
                answer,
                fields_json,
                comment,
                evidence.sha256 if evidence else None,
                evidence.filename if evidence else None,
                _now(),
                who,
            ],
        )
        audit.append(
            cur,
            actor=who,
            action=E["act_confirm"],
            run_id=run.id,
            subject=credit_code,
            before=(
                {
                    "answer": old[0][0],
                    "disputed_fields": json.loads(old[0][1]),
                    "comment": old[0][2],
                }
                if old
                else None
            ),
            after={
                "answer": answer,
                "disputed_fields": list(disputed_fields),
                "comment": comment,
                "evidence": evidence.sha256 if evidence else None,
            },
        )
        if within is not None:
            within(cur)


def confirmations(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Every firm of the run with its answer (empty when it has not replied), the disputed
    fields (JSON), comment, who recorded it and the evidence file's hash and name."""
    return con.execute(
        """
        SELECT e.credit_code, e.name, e.industry, e.town, e.scale,
               coalesce(c.answer, '') AS answer, coalesce(c.disputed_fields, '[]') AS fields,
               coalesce(c.comment, '') AS comment, c.recorded_at, coalesce(c.recorded_by, '')
                   AS recorded_by, c.evidence_sha256, c.evidence_name
        FROM eval_enterprises e
        LEFT JOIN eval_confirmations c ON c.run_id = e.run_id AND c.credit_code = e.credit_code
        WHERE e.run_id = ?
        ORDER BY e.town, e.industry, e.credit_code
        """,
        [int(run_id)],
    ).df()


def confirmation_progress(con: duckdb.DuckDBPyConnection, run_id: int, by: str) -> pd.DataFrame:
    """Replies by town or industry: firms, 已确认, 有异议, 未回复, reply share (%)."""
    if by not in ("town", "industry"):
        raise ValueError(by)
    return con.execute(
        f"""
        SELECT e.{by} AS grp, count(*) AS firms,
               count(*) FILTER (WHERE c.answer = ?) AS confirmed,
               count(*) FILTER (WHERE c.answer = ?) AS disputed,
               count(*) FILTER (WHERE c.answer IS NULL) AS waiting,
               round(100.0 * count(c.answer) / count(*), 1) AS replied_pct
        FROM eval_enterprises e
        LEFT JOIN eval_confirmations c ON c.run_id = e.run_id AND c.credit_code = e.credit_code
        WHERE e.run_id = ?
        GROUP BY e.{by} ORDER BY e.{by}
        """,
        [ANSWERS[0], ANSWERS[1], int(run_id)],
    ).df()


def not_replied(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Firms that have not answered their data sheet yet (for the town offices to chase)."""
    frame = confirmations(con, run_id)
    return frame.loc[frame["answer"] == "", ["credit_code", "name", "industry", "town", "scale"]]


# ── notice list ─────────────────────────────────────────────────────────────────────────────


def notice_list(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The public list: name, credit code, industry, town, tier — no confidential figures."""
    result = run_result(con, run_id)
    tiered = result.loc[result["status"] != labels.STATUS_NOT_EVALUATED]
    tier = tiered["tier"].astype(object).where(tiered["tier"].notna(), NO_TIER)
    frame = pd.DataFrame(
        {
            "name": tiered["name"].astype(object),
            "credit_code": tiered["credit_code"].astype(object),
            "industry": tiered["industry"].astype(object),
            "town": tiered["town"].astype(object),
            "tier": tier,
        }
    )
    order = {t: i for i, t in enumerate(OVERRIDE_TIERS)}
    frame = frame.assign(_o=frame["tier"].map(order)).sort_values(
        ["_o", "town", "credit_code"], kind="stable"
    )
    return frame.drop(columns="_o").reset_index(drop=True)


# ── objections and corrections ──────────────────────────────────────────────────────────────


def register_objection(
    db: Database,
    run_id: int,
    credit_code: str,
    *,
    received: date,
    channel: str,
    grounds: str,
    evidence: EvidenceRef | None,
    actor: Account | str,
    within: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> int:
    """Register an objection received during the notice; refused unless the run is 公示中.

    `within(cur)` runs inside the same write transaction (see `record_confirmation`).
    """
    who = _firm_or_official(actor, "review_objection", credit_code)
    if not grounds.strip():
        raise EvaluationError(E["grounds_empty"])
    if channel not in labels.EVAL_CHANNELS:
        raise EvaluationError(
            E["bad_channel"].format(channel=channel, channels="/".join(labels.EVAL_CHANNELS))
        )
    with db.write() as cur:
        run = require_run(cur, run_id)
        if run.stage != STAGE_NOTICE:
            raise EvaluationError(
                E["bad_stage"].format(run=run.id, stage=run.stage, needed=STAGE_NOTICE)
            )
        if (
            run.notice_start
            and run.notice_end
            and not (run.notice_start <= received <= run.notice_end)
        ):
            # Objections are a right of the notice period: one received before it opened or
            # after it closed is not registered (a letter keeps the date it was received).
            raise EvaluationError(
                labels.OBJECTION_PERIOD_TEXT["outside"].format(
                    received=received, start=run.notice_start, end=run.notice_end
                )
            )
        _require_firm(cur, run.id, credit_code)
        objection_id = int(
            cur.execute(
                "INSERT INTO eval_objections (run_id, credit_code, received, channel, grounds, "
                "evidence_sha256, evidence_name, evidence_kind, registered_at, registered_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    run.id,
                    credit_code,
                    received,
                    channel,
                    grounds,
                    evidence.sha256 if evidence else None,
                    evidence.filename if evidence else None,
                    evidence.kind if evidence else None,
                    _now(),
                    who,
                ],
            ).fetchall()[0][0]
        )
        audit.append(
            cur,
            actor=who,
            action=E["act_objection"],
            run_id=run.id,
            subject=E["subject_objection"].format(id=objection_id, code=credit_code),
            before=None,
            after={
                "received": received.isoformat(),
                "channel": channel,
                "grounds": grounds,
                "evidence": evidence.sha256 if evidence else None,
            },
        )
        if within is not None:
            within(cur)
    return objection_id


def objections(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The run's objections, oldest first, with the firm's name."""
    return con.execute(
        """
        SELECT o.id, o.credit_code, e.name, strftime(o.received, '%Y-%m-%d') AS received,
               o.channel, o.grounds,
               o.evidence_sha256, o.evidence_name, o.evidence_kind, o.registered_by,
               coalesce(o.decision, '') AS decision, coalesce(o.decision_reason, '')
                   AS decision_reason, o.decided_by, o.decided_at
        FROM eval_objections o
        LEFT JOIN eval_enterprises e ON e.run_id = o.run_id AND e.credit_code = o.credit_code
        WHERE o.run_id = ?
        ORDER BY o.id
        """,
        [int(run_id)],
    ).df()


def parse_changes(raw: Mapping[str, str]) -> dict[str, object]:
    """Corrected values typed and checked by the import's own column rules (Chinese errors)."""
    if not raw:
        raise EvaluationError(E["no_changes"])
    spec = importer.SPECS["enterprises"]
    towns: frozenset[str] = frozenset()
    changes: dict[str, object] = {}
    for key, text in raw.items():
        if key not in CORRECTABLE:
            raise EvaluationError(
                E["bad_column"].format(column=key, columns="、".join(CORRECTABLE))
            )
        col = spec.column(key)
        if col.kind == "town":
            col = replace(col, kind="text")
        values, problems = importer.parse_column(col, pd.Series([str(text).strip()]), towns)
        for mask, reason in problems:
            hit = np.asarray(mask, dtype=bool)
            if hit.any():
                why = reason[0] if isinstance(reason, np.ndarray) else reason
                header = labels.TABLE_HEADERS["enterprises"][key]
                raise EvaluationError(E["bad_value"].format(column=header, value=text, reason=why))
        value = values.iloc[0]
        changes[key] = None if pd.isna(value) else _plain(value)
    return changes


def _plain(value: object) -> object:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _check_town(con: duckdb.DuckDBPyConnection, changes: Mapping[str, object]) -> None:
    town = changes.get("town")
    if town is None:
        return
    towns = [r[0] for r in con.execute("SELECT name FROM towns ORDER BY name").fetchall()]
    if town not in towns:
        raise EvaluationError(
            E["bad_value"].format(
                column=labels.TABLE_HEADERS["enterprises"]["town"],
                value=town,
                reason=labels.IMPORT_TEXT["unknown_town"].format(towns="、".join(towns)),
            )
        )


def _check_scale_rules(row: pd.Series, changes: Mapping[str, object]) -> None:
    """The import's row rule, for what the correction touches: a 规上 firm must have value
    added and employees."""
    if row["scale"] != labels.SCALE_ABOVE:
        return
    for key in ("value_added", "employees"):
        if (key in changes or "scale" in changes) and pd.isna(row[key]):
            raise EvaluationError(
                E["bad_value"].format(
                    column=labels.TABLE_HEADERS["enterprises"][key],
                    value="",
                    reason=labels.IMPORT_TEXT["required_for_scale"],
                )
            )


def preview_correction(
    con: duckdb.DuckDBPyConnection, run_id: int, credit_code: str, changes: Mapping[str, object]
) -> Preview:
    """Re-score the frozen pool with one firm's corrected inputs; list every firm it moves."""
    run = require_run(con, run_id)
    _require_firm(con, run.id, credit_code)
    _check_town(con, changes)
    data = snapshot_year(con, run.id)
    frame = data.frame.drop(columns=[*_LAND, *scoring.INDICATOR_FORMULAS], errors="ignore")
    leases = con.sql(
        "SELECT * EXCLUDE (run_id) FROM eval_leases WHERE run_id = ?", params=[run.id]
    ).to_arrow_table()
    at = frame.index[frame["credit_code"] == credit_code][0]
    before = {k: _plain(frame.at[at, k]) if pd.notna(frame.at[at, k]) else None for k in changes}
    for key, value in changes.items():
        frame.loc[at, key] = pd.NA if value is None else value
    _check_scale_rules(frame.loc[at], changes)
    firms = pa.Table.from_pandas(frame, preserve_index=False)
    original = _snapshot_schema(con)
    firms = firms.cast(original)
    result = scoring.score_prepared(
        _prepare_rows(firms, leases, run.year), run_profile(con, run.id)
    )
    current = run_result(con, run.id)
    return Preview(
        changes=dict(changes),
        before=before,
        moved=_moved(current, result),
        result=result,
    )


def _snapshot_schema(con: duckdb.DuckDBPyConnection) -> pa.Schema:
    return (
        con.sql("SELECT * EXCLUDE (run_id) FROM eval_enterprises LIMIT 0").to_arrow_table().schema
    )


def _moved(current: pd.DataFrame, result: pd.DataFrame) -> pd.DataFrame:
    """Firms whose rank or (final) tier differs between the stored result and a re-score."""
    old = current.set_index("credit_code")
    new = result.set_index("credit_code").reindex(old.index)
    overridden = old["override_tier"].notna()
    new_final = new["tier"].astype(object).where(~overridden, old["tier"].astype(object))
    old_rank, new_rank = old["rank"].astype("Float64"), new["rank"].astype("Float64")
    rank_moved = (old_rank != new_rank).fillna(True) & ~(old_rank.isna() & new_rank.isna())
    old_tier = old["computed_tier"].astype(object).fillna("")
    new_tier = new["tier"].astype(object).fillna("")
    moved = rank_moved | (old_tier != new_tier)
    frame = pd.DataFrame(
        {
            "credit_code": old.index[moved],
            "name": old.loc[moved, "name"].astype(object).to_numpy(),
            "total_before": old.loc[moved, "total"].to_numpy(dtype=float),
            "total_after": new.loc[moved, "total"].to_numpy(dtype=float),
            "rank_before": old_rank[moved].to_numpy(dtype=object),
            "rank_after": new_rank[moved].to_numpy(dtype=object),
            "tier_before": old.loc[moved, "tier"].astype(object).fillna(NO_TIER).to_numpy(),
            "tier_after": new_final[moved].fillna(NO_TIER).to_numpy(),
        }
    )
    frame["tier_changed"] = frame["tier_before"] != frame["tier_after"]
    # Tier changes first (they decide money), then by the new rank.
    frame = frame.sort_values(
        ["tier_changed", "rank_after"], ascending=[False, True], kind="stable", na_position="last"
    )
    return frame.reset_index(drop=True)


def apply_correction(
    db: Database,
    run_id: int,
    credit_code: str,
    changes: Mapping[str, object],
    *,
    reason: str,
    actor: Account,
    objection_id: int | None = None,
) -> pd.DataFrame:
    """Accept a correction: write it into the run's inputs, re-score, store; the moved firms."""
    who = _who(actor, "review_objection")
    if not reason.strip():
        raise EvaluationError(E["reason_empty"])
    with db.write() as cur:
        run = require_run(cur, run_id)
        _require_open(run)
        preview = preview_correction(cur, run.id, credit_code, changes)
        _write_correction(cur, run, credit_code, preview, reason, who, objection_id)
    return preview.moved


def _write_correction(
    cur: duckdb.DuckDBPyConnection,
    run: Run,
    credit_code: str,
    preview: Preview,
    reason: str,
    who: str,
    objection_id: int | None,
) -> None:
    for key, value in preview.changes.items():
        cur.execute(
            f'UPDATE eval_enterprises SET "{key}" = ? WHERE run_id = ? AND credit_code = ?',
            [value, run.id, credit_code],
        )
        cur.execute(
            "INSERT INTO eval_corrections (run_id, credit_code, objection_id, column_name, "
            "old_value, new_value, reason, corrected_at, corrected_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.id,
                credit_code,
                objection_id,
                key,
                None if preview.before[key] is None else str(preview.before[key]),
                None if value is None else str(value),
                reason,
                _now(),
                who,
            ],
        )
    _store_results(cur, run.id, rescore_snapshot(cur, run.id))
    moved = preview.moved
    audit.append(
        cur,
        actor=who,
        action=E["act_correct"],
        run_id=run.id,
        subject=credit_code,
        before={"values": preview.before},
        after={
            "values": preview.changes,
            "reason": reason,
            "objection": objection_id,
            "moved": [
                {
                    "code": r.credit_code,
                    "rank": [_num(r.rank_before), _num(r.rank_after)],
                    "tier": [r.tier_before, r.tier_after],
                }
                for r in moved.itertuples()
            ],
        },
    )


def _num(value: object) -> int | None:
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return int(value)
    return None


def decide_objection(
    db: Database,
    objection_id: int,
    *,
    accept: bool,
    reason: str,
    changes: Mapping[str, object] | None = None,
    actor: Account,
) -> pd.DataFrame:
    """采纳 (with corrected values, re-scores the run) or 驳回 (with a reason); the moved firms."""
    who = _who(actor, "review_objection")
    if not reason.strip():
        raise EvaluationError(E["reason_empty"])
    with db.write() as cur:
        rows = cur.execute(
            "SELECT run_id, credit_code, decision FROM eval_objections WHERE id = ?",
            [int(objection_id)],
        ).fetchall()
        if not rows:
            raise EvaluationError(E["no_objection"].format(id=objection_id))
        run_id, credit_code, decided = rows[0]
        if decided is not None:
            raise EvaluationError(E["already_decided"].format(id=objection_id, decision=decided))
        run = require_run(cur, run_id)
        _require_open(run)
        moved = pd.DataFrame()
        if accept and changes:
            preview = preview_correction(cur, run.id, credit_code, changes)
            _write_correction(cur, run, credit_code, preview, reason, who, int(objection_id))
            moved = preview.moved
        decision = DECISIONS[0] if accept else DECISIONS[1]
        cur.execute(
            "UPDATE eval_objections SET decision = ?, decision_reason = ?, corrections_json = ?, "
            "decided_at = ?, decided_by = ? WHERE id = ?",
            [
                decision,
                reason,
                json.dumps(dict(changes or {}), ensure_ascii=False, default=str),
                _now(),
                who,
                int(objection_id),
            ],
        )
        audit.append(
            cur,
            actor=who,
            action=E["act_decide"],
            run_id=run.id,
            subject=E["subject_objection"].format(id=objection_id, code=credit_code),
            before={"decision": None},
            after={"decision": decision, "reason": reason, "changes": dict(changes or {})},
        )
    return moved


def corrections(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Every accepted correction of the run, oldest first."""
    return con.execute(
        "SELECT id, credit_code, objection_id, column_name, old_value, new_value, reason, "
        "corrected_at, corrected_by FROM eval_corrections WHERE run_id = ? ORDER BY id",
        [int(run_id)],
    ).df()


# ── overrides (调档) ────────────────────────────────────────────────────────────────────────


def set_override(
    db: Database,
    run_id: int,
    credit_code: str,
    *,
    tier: str,
    reason: str,
    basis: str,
    actor: Account,
) -> None:
    """Set one firm's final tier (or 不定级) by rule; its score and rank, and every other
    firm's tier, stay as computed. Reason and basis are mandatory. Only a graded firm (status
    评价) can be given a letter: the money and the tier counts count graded firms only."""
    who = _who(actor, "run_cycle")
    if tier not in OVERRIDE_TIERS:
        raise EvaluationError(E["bad_tier"].format(tier=tier, tiers="/".join(OVERRIDE_TIERS)))
    if not reason.strip() or not basis.strip():
        raise EvaluationError(E["override_needs_reason"])
    with db.write() as cur:
        run = require_run(cur, run_id)
        _require_open(run)
        _require_firm(cur, run.id, credit_code)
        status, computed = cur.execute(
            "SELECT status, tier FROM eval_results WHERE run_id = ? AND credit_code = ?",
            [run.id, credit_code],
        ).fetchall()[0]
        if status == labels.STATUS_NOT_EVALUATED:
            raise EvaluationError(E["override_not_evaluated"].format(code=credit_code))
        # A 不定级 firm is outside the pools, benchmarks and the policy money: giving it a letter
        # would show a tier that nothing else counts. Grading it is a data correction instead.
        if status == labels.STATUS_EXEMPT and tier != NO_TIER:
            raise EvaluationError(E["override_exempt"].format(code=credit_code, tier=tier))
        old = cur.execute(
            "SELECT tier, reason, basis FROM eval_overrides WHERE run_id = ? AND credit_code = ?",
            [run.id, credit_code],
        ).fetchall()
        cur.execute(
            "INSERT OR REPLACE INTO eval_overrides VALUES (?, ?, ?, ?, ?, ?, ?)",
            [run.id, credit_code, tier, reason, basis, _now(), who],
        )
        audit.append(
            cur,
            actor=who,
            action=E["act_override"],
            run_id=run.id,
            subject=credit_code,
            before=(
                {"tier": old[0][0], "reason": old[0][1], "basis": old[0][2]}
                if old
                else {"tier": computed or NO_TIER}
            ),
            after={"tier": tier, "reason": reason, "basis": basis},
        )


# ── reading the published result ────────────────────────────────────────────────────────────


def published_tier_history(con: duckdb.DuckDBPyConnection, up_to_year: int) -> dict[int, pd.Series]:
    """Year → final published tier per credit code (NaN when untiered), years ≤ `up_to_year`.

    Only published runs count: a draft is no official's decision.
    """
    history: dict[int, pd.Series] = {}
    for run in list_runs(con):
        if run.stage != STAGE_PUBLISHED or run.year > up_to_year:
            continue
        frame = con.execute(
            """
            SELECT r.credit_code,
                   CASE WHEN o.tier IS NULL THEN r.tier
                        WHEN o.tier = ? THEN NULL ELSE o.tier END AS tier
            FROM eval_results r
            LEFT JOIN eval_overrides o ON o.run_id = r.run_id AND o.credit_code = r.credit_code
            WHERE r.run_id = ? ORDER BY r.credit_code
            """,
            [NO_TIER, run.id],
        ).df()
        history[run.year] = pd.Series(
            frame["tier"].to_numpy(dtype=object), index=frame["credit_code"].to_numpy(), name="tier"
        )
    return dict(sorted(history.items()))


def tier_differences(published: pd.DataFrame, live: pd.DataFrame) -> int:
    """How many firms' tier differs between a published result and a live score of the year
    (a firm present in only one of them counts as different)."""
    a = published.set_index("credit_code")["tier"].astype(object).fillna("")
    b = live.set_index("credit_code")["tier"].astype(object).fillna("")
    a, b = a.align(b, fill_value=None)
    return int((a.fillna("—") != b.fillna("—")).sum())


def report_context(con: duckdb.DuckDBPyConnection, run_id: int) -> report.ReportContext:
    """The firm report's context built on the run's frozen inputs and result (overrides shown),
    with the published results of earlier years in its trend."""
    run = require_run(con, run_id)
    prof = run_profile(con, run_id)
    # The trend shows the official result of every earlier year that has one (its published
    # run), and a live score under this run's profile only for a year never published.
    scored_years = {
        year: run_result(con, earlier.id)
        for year in report.trend_years(con, run.year)
        if year < run.year and (earlier := published_run(con, year)) is not None
    }
    scored_years[run.year] = run_result(con, run_id)
    ctx = report.prepare_context(
        con, run.year, prof, data=snapshot_year(con, run_id), scored_years=scored_years
    )
    leases = con.execute(
        """
        SELECT l.lessor_code, l.lessee_code, l.land_mu, l.floor_area_m2, l.registered,
               l.record_no, lo.name AS lessor_name, le.name AS lessee_name
        FROM eval_leases l
        LEFT JOIN eval_enterprises lo ON lo.run_id = l.run_id AND lo.credit_code = l.lessor_code
        LEFT JOIN eval_enterprises le ON le.run_id = l.run_id AND le.credit_code = l.lessee_code
        WHERE l.run_id = ?
        ORDER BY l.lessor_code, l.lessee_code
        """,
        [run.id],
    ).df()
    # The repeat escalation of a published result looks back on the published tiers of the
    # earlier years (issue 12), as the policy page and the export do — not on live re-scores.
    return replace(ctx, leases=leases, prior=published_tier_history(con, run.year - 1))


def firm_sheet(con: duckdb.DuckDBPyConnection, run_id: int, credit_code: str) -> pd.DataFrame:
    """The firm's data sheet (一企一单): every input the score uses, with units, and its leases
    counted (registered) and not counted (unregistered), as rows of label, value, unit."""
    run = require_run(con, run_id)
    frame = con.execute(
        "SELECT * EXCLUDE (run_id) FROM eval_enterprises WHERE run_id = ? AND credit_code = ?",
        [run.id, credit_code],
    ).df()
    if frame.empty:
        raise EvaluationError(E["no_firm"].format(run=run_id, code=credit_code))
    row = frame.iloc[0]
    land = con.execute(
        "SELECT leased_in_mu, leased_out_mu, unregistered_lease_mu, land_mu FROM eval_results "
        "WHERE run_id = ? AND credit_code = ?",
        [run.id, credit_code],
    ).fetchall()[0]
    rows: list[tuple[str, str, str]] = []
    for key, header in labels.TABLE_HEADERS["enterprises"].items():
        label, unit = _split_unit(header)
        rows.append((label, _sheet_value(row[key]), unit))
    for key, value in zip(_LAND, land, strict=True):
        label, unit = _split_unit(labels.SCORE_HEADERS[key])
        rows.append((label, _sheet_value(value), unit))
    leases = con.execute(
        """
        SELECT l.lessor_code, l.lessee_code, l.land_mu, l.registered, l.record_no
        FROM eval_leases l WHERE l.run_id = ? AND (l.lessor_code = ? OR l.lessee_code = ?)
        ORDER BY l.registered DESC, l.lessor_code, l.lessee_code
        """,
        [run.id, credit_code, credit_code],
    ).fetchall()
    for lessor, lessee, mu, registered, record in leases:
        direction = E["sheet_lease_out"] if lessor == credit_code else E["sheet_lease_in"]
        other = lessee if lessor == credit_code else lessor
        counted = E["sheet_counted"] if registered else E["sheet_not_counted"]
        label = E["sheet_lease"].format(direction=direction, other=other, counted=counted)
        value = _sheet_value(mu) + (f"（{record}）" if record else "")
        rows.append((label, value, labels.UNIT_MU))
    return pd.DataFrame(rows, columns=["label", "value", "unit"])


def _split_unit(header: str) -> tuple[str, str]:
    if header.endswith("）") and "（" in header:
        label, _, unit = header[:-1].rpartition("（")
        return label, unit
    return header, ""


def _sheet_value(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return labels.EVAL_TEXT["sheet_missing"]
    if isinstance(value, (bool, np.bool_)):
        return next(word for word, flag in labels.YES_NO.items() if flag == bool(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.4f}".rstrip("0").rstrip(".")
    return str(value)


# ── export ──────────────────────────────────────────────────────────────────────────────────


EXPORT_SUFFIXES = (".csv", ".xlsx")


def export_frame(result: pd.DataFrame, run: Run, columns: list[str]) -> pd.DataFrame:
    """`columns` of a run's result (the `muyun score` export), plus `override` (the override
    and its reason, empty when none) and `stage`."""
    frame = result[columns].copy()
    frame["override"] = result["override"]
    frame["stage"] = run.stage
    return frame


def export_table(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """The run's result as `muyun evaluation export` writes it: the `muyun score` columns (the
    policy money from the published tiers of earlier years), plus `override` and `stage`.

    One function for the CLI and the 年度评价 page, so both hand out the same table.
    """
    run = require_run(con, run_id)
    prof = run_profile(con, run_id)
    result = run_result(con, run_id)
    if prof.policy is not None:
        result = policy.with_money(result, prof, published_tier_history(con, run.year - 1))
    columns = list(results.result_columns(result, prof).columns)
    return export_frame(result, run, columns)


def export_header(column: str) -> str:
    """The Chinese header of a run export column (the evaluation's own, then the score's)."""
    return labels.EVAL_EXPORT_HEADERS.get(column) or labels.score_header(column)


def export_bytes(table: pd.DataFrame, suffix: str) -> bytes:
    """An `export_table` as file bytes: `.csv` (English keys) or `.xlsx` (Chinese headers,
    是/否). Both go through `muyun.export`, which neutralises formula-like text cells."""
    if suffix == ".csv":
        return export.to_csv_bytes(table)
    if suffix == ".xlsx":
        return export.to_excel_bytes(results.flags_as_words(table), header=export_header)
    raise EvaluationError(labels.EVAL_CLI_TEXT["bad_export_out"].format(suffix=suffix))


def run_summary(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Counts for a run's status line: firms, replies, objections, corrections, overrides."""
    row = con.execute(
        """
        SELECT (SELECT count(*) FROM eval_enterprises WHERE run_id = $r),
               (SELECT count(*) FROM eval_confirmations WHERE run_id = $r AND answer = $ok),
               (SELECT count(*) FROM eval_confirmations WHERE run_id = $r AND answer = $no),
               (SELECT count(*) FROM eval_objections WHERE run_id = $r),
               (SELECT count(*) FROM eval_objections WHERE run_id = $r AND decision IS NULL),
               (SELECT count(*) FROM eval_corrections WHERE run_id = $r),
               (SELECT count(*) FROM eval_overrides WHERE run_id = $r)
        """,
        {"r": int(run_id), "ok": ANSWERS[0], "no": ANSWERS[1]},
    ).fetchall()[0]
    keys = ("firms", "confirmed", "disputed", "objections", "open", "corrections", "overrides")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def audit_csv(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> bytes:
    """The audit log as CSV bytes (UTF-8 with BOM; `export` guards formula-like text)."""
    return export.to_csv_bytes(audit.log_frame(con, run_id))

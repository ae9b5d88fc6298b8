"""DuckDB connections, schema and migrations — the only module that knows how the store is laid out.

Why a migration list: an official's database file outlives releases. Each entry runs once, in
order, and `schema_version` records how far a file has come, so a later release can add tables
without breaking (or rebuilding) a file full of imported data.

Why `Database`: DuckDB allows one process to hold a file for writing. The Streamlit server is one
process with many threads, so it keeps one root connection and gives every thread its own
`cursor()` for reading; writes go through `Database.write()`, which serialises writers with a lock
and wraps them in one transaction (all-or-nothing imports).
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = REPO_ROOT / "data" / "muyun.duckdb"
TOWNS_CSV = REPO_ROOT / "data" / "reference" / "towns.csv"

# Applied migrations are history: their text never changes. The Chinese column defaults in them
# (listing '无', low-efficiency path '提升发展' and status '排摸') are values of the enumerations
# in `muyun.labels`; tests/test_db.py checks that they still are, so renaming one of those
# labels needs a new migration rather than an edit here.
MIGRATIONS: list[str] = [
    # 1 — the data-dictionary tables and the import log.
    """
    CREATE TABLE enterprises (
        year INTEGER NOT NULL,
        credit_code VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        industry VARCHAR NOT NULL,
        town VARCHAR NOT NULL,
        scale VARCHAR NOT NULL,
        land_own_mu DOUBLE NOT NULL,
        tax DOUBLE NOT NULL,
        value_added DOUBLE,
        revenue DOUBLE NOT NULL,
        employees INTEGER,
        energy_tce DOUBLE,
        electricity_10k_kwh DOUBLE,
        emission_t DOUBLE,
        rd DOUBLE,
        water_t DOUBLE,
        investment DOUBLE,
        listing VARCHAR NOT NULL DEFAULT '无',
        talents INTEGER,
        safety_incidents INTEGER NOT NULL DEFAULT 0,
        env_penalties INTEGER NOT NULL DEFAULT 0,
        veto BOOLEAN NOT NULL DEFAULT FALSE,
        exempt BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (year, credit_code)
    );
    CREATE TABLE leases (
        year INTEGER NOT NULL,
        lessor_code VARCHAR NOT NULL,
        lessee_code VARCHAR NOT NULL,
        land_mu DOUBLE NOT NULL,
        floor_area_m2 DOUBLE,
        registered BOOLEAN NOT NULL,
        record_no VARCHAR,
        PRIMARY KEY (year, lessor_code, lessee_code)
    );
    CREATE TABLE rectification_projects (
        year INTEGER NOT NULL,
        project_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        town VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        area_mu DOUBLE NOT NULL,
        path VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        credit_code VARCHAR,
        PRIMARY KEY (year, project_id)
    );
    CREATE TABLE rectification_targets (
        year INTEGER NOT NULL,
        category VARCHAR NOT NULL,
        target_mu DOUBLE NOT NULL,
        PRIMARY KEY (year, category)
    );
    CREATE TABLE parks (
        park_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        town VARCHAR NOT NULL,
        land_mu DOUBLE NOT NULL,
        planned_floor_area_m2 DOUBLE NOT NULL,
        status VARCHAR NOT NULL,
        on_cleared_land BOOLEAN NOT NULL,
        provincial_year INTEGER,
        star_rating INTEGER,
        star_year INTEGER,
        firms INTEGER
    );
    CREATE TABLE funds (
        year INTEGER NOT NULL,
        use VARCHAR NOT NULL,
        extracted_10k DOUBLE NOT NULL,
        spent_10k DOUBLE NOT NULL,
        PRIMARY KEY (year, use)
    );
    CREATE TABLE towns (
        name VARCHAR PRIMARY KEY,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL
    );
    CREATE TABLE published_facts (
        fact_key VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        label VARCHAR NOT NULL,
        value DOUBLE,
        unit VARCHAR,
        text VARCHAR,
        source VARCHAR NOT NULL,
        PRIMARY KEY (fact_key, year)
    );
    CREATE TABLE dataset_info (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    );
    CREATE SEQUENCE import_log_seq;
    CREATE TABLE import_log (
        id BIGINT PRIMARY KEY DEFAULT nextval('import_log_seq'),
        imported_at TIMESTAMP NOT NULL,
        file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        years VARCHAR NOT NULL,
        rows_added INTEGER NOT NULL,
        rows_replaced INTEGER NOT NULL,
        warnings INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2 — what-if scenarios saved by officials.
    """
    CREATE SEQUENCE scenario_seq;
    CREATE TABLE scenarios (
        id BIGINT PRIMARY KEY DEFAULT nextval('scenario_seq'),
        name VARCHAR NOT NULL,
        author VARCHAR NOT NULL DEFAULT '',
        created_at TIMESTAMP NOT NULL,
        base_profile VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        scale VARCHAR NOT NULL,
        settings_json VARCHAR NOT NULL
    );
    """,
    # 3 — the managed low-efficiency list, its edit history, and plot-ratio upgrades.
    """
    CREATE TABLE low_efficiency_list (
        year INTEGER NOT NULL,
        credit_code VARCHAR NOT NULL,
        path VARCHAR NOT NULL DEFAULT '提升发展',
        status VARCHAR NOT NULL DEFAULT '排摸',
        responsible_town VARCHAR NOT NULL DEFAULT '',
        notes VARCHAR NOT NULL DEFAULT '',
        updated_at TIMESTAMP,
        PRIMARY KEY (year, credit_code)
    );
    CREATE SEQUENCE low_efficiency_history_seq;
    CREATE TABLE low_efficiency_history (
        id BIGINT PRIMARY KEY DEFAULT nextval('low_efficiency_history_seq'),
        year INTEGER NOT NULL,
        credit_code VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR,
        edited_by VARCHAR NOT NULL DEFAULT '',
        edited_at TIMESTAMP NOT NULL
    );
    CREATE TABLE plot_ratio_upgrades (
        upgrade_id VARCHAR PRIMARY KEY,
        year INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        town VARCHAR NOT NULL,
        credit_code VARCHAR,
        floor_before_m2 DOUBLE NOT NULL,
        floor_after_m2 DOUBLE NOT NULL,
        reward_10k DOUBLE NOT NULL,
        source VARCHAR NOT NULL DEFAULT ''
    );
    """,
    # 4 — named accounts with roles, and every login attempt (the server-side throttle counts
    # failures per account and per client address from this table, so a reload or a new tab
    # gives no fresh tries).
    """
    CREATE TABLE accounts (
        username VARCHAR PRIMARY KEY,
        display_name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        created_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE login_attempt_seq;
    CREATE TABLE login_attempts (
        id BIGINT PRIMARY KEY DEFAULT nextval('login_attempt_seq'),
        attempted_at TIMESTAMP NOT NULL,
        username VARCHAR NOT NULL,
        client VARCHAR NOT NULL,
        success BOOLEAN NOT NULL
    );
    CREATE INDEX login_attempts_user ON login_attempts (username, attempted_at);
    CREATE INDEX login_attempts_client ON login_attempts (client, attempted_at);
    """,
    # 5 — the annual evaluation as an official act (issue 16): runs with their frozen inputs
    # (enterprise and lease rows, the profile's TOML text) and frozen results, the firms'
    # confirmations, objections, corrections and overrides, and the hash-chained audit log.
    # Results keep every indicator's columns; a run's profile decides which of them are filled.
    """
    CREATE SEQUENCE eval_run_seq;
    CREATE TABLE eval_runs (
        id BIGINT PRIMARY KEY DEFAULT nextval('eval_run_seq'),
        year INTEGER NOT NULL,
        profile_id VARCHAR NOT NULL,
        profile_name VARCHAR NOT NULL,
        profile_toml VARCHAR NOT NULL,
        muyun_version VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        notice_start DATE,
        notice_end DATE,
        published_at TIMESTAMP,
        published_by VARCHAR,
        warnings_json VARCHAR NOT NULL DEFAULT '[]',
        benchmarks_json VARCHAR NOT NULL DEFAULT '{}'
    );
    CREATE TABLE eval_enterprises AS SELECT CAST(NULL AS BIGINT) AS run_id, * FROM enterprises
        WITH NO DATA;
    CREATE TABLE eval_leases AS SELECT CAST(NULL AS BIGINT) AS run_id, * FROM leases
        WITH NO DATA;
    CREATE INDEX eval_enterprises_run ON eval_enterprises (run_id, credit_code);
    CREATE INDEX eval_leases_run ON eval_leases (run_id);
    CREATE TABLE eval_results (
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        position INTEGER NOT NULL,
        leased_in_mu DOUBLE,
        leased_out_mu DOUBLE,
        unregistered_lease_mu DOUBLE,
        land_mu DOUBLE,
        status VARCHAR,
        reason VARCHAR,
        tax_per_mu DOUBLE,
        va_per_mu DOUBLE,
        revenue_per_mu DOUBLE,
        va_per_energy DOUBLE,
        va_per_emission DOUBLE,
        labour_productivity DOUBLE,
        rd_intensity DOUBLE,
        va_per_water DOUBLE,
        tax_per_kwh DOUBLE,
        revenue_per_kwh DOUBLE,
        bench_tax_per_mu DOUBLE,
        score_tax_per_mu DOUBLE,
        imputed_tax_per_mu BOOLEAN,
        unit_tax_per_mu DOUBLE,
        bench_va_per_mu DOUBLE,
        score_va_per_mu DOUBLE,
        imputed_va_per_mu BOOLEAN,
        unit_va_per_mu DOUBLE,
        bench_revenue_per_mu DOUBLE,
        score_revenue_per_mu DOUBLE,
        imputed_revenue_per_mu BOOLEAN,
        unit_revenue_per_mu DOUBLE,
        bench_va_per_energy DOUBLE,
        score_va_per_energy DOUBLE,
        imputed_va_per_energy BOOLEAN,
        unit_va_per_energy DOUBLE,
        bench_va_per_emission DOUBLE,
        score_va_per_emission DOUBLE,
        imputed_va_per_emission BOOLEAN,
        unit_va_per_emission DOUBLE,
        bench_labour_productivity DOUBLE,
        score_labour_productivity DOUBLE,
        imputed_labour_productivity BOOLEAN,
        unit_labour_productivity DOUBLE,
        bench_rd_intensity DOUBLE,
        score_rd_intensity DOUBLE,
        imputed_rd_intensity BOOLEAN,
        unit_rd_intensity DOUBLE,
        bench_va_per_water DOUBLE,
        score_va_per_water DOUBLE,
        imputed_va_per_water BOOLEAN,
        unit_va_per_water DOUBLE,
        bench_tax_per_kwh DOUBLE,
        score_tax_per_kwh DOUBLE,
        imputed_tax_per_kwh BOOLEAN,
        unit_tax_per_kwh DOUBLE,
        bench_revenue_per_kwh DOUBLE,
        score_revenue_per_kwh DOUBLE,
        imputed_revenue_per_kwh BOOLEAN,
        unit_revenue_per_kwh DOUBLE,
        bonus_listing DOUBLE,
        bonus_investment DOUBLE,
        bonus_talent DOUBLE,
        bonus_water DOUBLE,
        talent_share DOUBLE,
        water_multiple DOUBLE,
        bonus DOUBLE,
        deduction_safety DOUBLE,
        deduction_env DOUBLE,
        deduction DOUBLE,
        total DOUBLE,
        pool VARCHAR,
        pool_size BIGINT,
        rank BIGINT,
        tier VARCHAR,
        tier_before_veto VARCHAR,
        PRIMARY KEY (run_id, credit_code)
    );
    CREATE TABLE eval_confirmations (
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        answer VARCHAR NOT NULL,
        disputed_fields VARCHAR NOT NULL DEFAULT '[]',
        comment VARCHAR NOT NULL DEFAULT '',
        evidence_sha256 VARCHAR,
        evidence_name VARCHAR,
        recorded_at TIMESTAMP NOT NULL,
        recorded_by VARCHAR NOT NULL,
        PRIMARY KEY (run_id, credit_code)
    );
    CREATE SEQUENCE eval_objection_seq;
    CREATE TABLE eval_objections (
        id BIGINT PRIMARY KEY DEFAULT nextval('eval_objection_seq'),
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        received DATE NOT NULL,
        channel VARCHAR NOT NULL,
        grounds VARCHAR NOT NULL,
        evidence_sha256 VARCHAR,
        evidence_name VARCHAR,
        evidence_kind VARCHAR,
        registered_at TIMESTAMP NOT NULL,
        registered_by VARCHAR NOT NULL,
        decision VARCHAR,
        decision_reason VARCHAR,
        corrections_json VARCHAR,
        decided_at TIMESTAMP,
        decided_by VARCHAR
    );
    CREATE SEQUENCE eval_correction_seq;
    CREATE TABLE eval_corrections (
        id BIGINT PRIMARY KEY DEFAULT nextval('eval_correction_seq'),
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        objection_id BIGINT,
        column_name VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR,
        reason VARCHAR NOT NULL,
        corrected_at TIMESTAMP NOT NULL,
        corrected_by VARCHAR NOT NULL
    );
    CREATE TABLE eval_overrides (
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        tier VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        basis VARCHAR NOT NULL,
        set_at TIMESTAMP NOT NULL,
        set_by VARCHAR NOT NULL,
        PRIMARY KEY (run_id, credit_code)
    );
    CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY,
        logged_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        run_id BIGINT,
        subject VARCHAR NOT NULL,
        before_json VARCHAR,
        after_json VARCHAR,
        prev_hash VARCHAR NOT NULL,
        hash VARCHAR NOT NULL
    );
    """,
    # 6 — each firm's private link (issue 11): one row per issued link (its random key is the
    # token's nonce; revoking sets revoked_at, a reissue is a new row with the next version),
    # what firms did through their links, and failed token checks per client address (the
    # throttle lives in the store, so new tabs and reloads earn no fresh tries).
    """
    CREATE TABLE firm_links (
        link_key VARCHAR PRIMARY KEY,
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        issued_at TIMESTAMP NOT NULL,
        issued_by VARCHAR NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP,
        revoked_by VARCHAR
    );
    CREATE INDEX firm_links_run ON firm_links (run_id, credit_code);
    CREATE SEQUENCE firm_link_event_seq;
    CREATE TABLE firm_link_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('firm_link_event_seq'),
        run_id BIGINT NOT NULL,
        credit_code VARCHAR NOT NULL,
        link_version INTEGER NOT NULL,
        event VARCHAR NOT NULL,
        event_at TIMESTAMP NOT NULL
    );
    CREATE INDEX firm_link_events_run ON firm_link_events (run_id, credit_code);
    CREATE SEQUENCE firm_link_check_seq;
    CREATE TABLE firm_link_checks (
        id BIGINT PRIMARY KEY DEFAULT nextval('firm_link_check_seq'),
        checked_at TIMESTAMP NOT NULL,
        client VARCHAR NOT NULL
    );
    CREATE INDEX firm_link_checks_client ON firm_link_checks (client, checked_at);
    """,
    # 7 — towns and programmes (issue 14): each 镇街's yearly targets (亩均税收 growth in %,
    # land rectified in 亩, D firms cleared, low-efficiency firms handled; a blank target is
    # "not set"), and which firms took part in which programme (e.g. N+X 数字化改造) in which
    # year, with the funds granted.
    """
    CREATE TABLE town_targets (
        year INTEGER NOT NULL,
        town VARCHAR NOT NULL,
        tax_per_mu_growth_pct DOUBLE,
        va_per_mu_growth_pct DOUBLE,
        land_rectified_mu DOUBLE,
        d_firms_cleared INTEGER,
        low_eff_handled INTEGER,
        PRIMARY KEY (year, town)
    );
    CREATE TABLE programme_participation (
        year INTEGER NOT NULL,
        programme VARCHAR NOT NULL,
        credit_code VARCHAR NOT NULL,
        funds_10k DOUBLE,
        project VARCHAR,
        PRIMARY KEY (year, programme, credit_code)
    );
    """,
    # 8 — profiles edited in the method lab (issue 17): every save is a new version of its
    # stem (nothing is overwritten, so the history is the table), as validated TOML text.
    """
    CREATE TABLE profile_versions (
        stem VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        toml VARCHAR NOT NULL,
        based_on VARCHAR,
        note VARCHAR,
        saved_at TIMESTAMP NOT NULL,
        saved_by VARCHAR NOT NULL,
        PRIMARY KEY (stem, version)
    );
    """,
    # 9 — a scored year summed by scale × industry × town × tier × status, and every firm's
    # status, total, rank and tier (issue 15), kept so the five-year views of a province-size
    # store need no re-scoring after a restart. A cache: rows are valid for the profile text
    # and the input fingerprint they were built from (`muyun.summaries`), and may be deleted.
    """
    CREATE TABLE score_summaries (
        year INTEGER NOT NULL,
        profile_sha VARCHAR NOT NULL,
        inputs VARCHAR NOT NULL,
        scale VARCHAR,
        industry VARCHAR,
        town VARCHAR,
        tier VARCHAR,
        status VARCHAR,
        firms BIGINT NOT NULL,
        land_mu DOUBLE NOT NULL,
        tax_num DOUBLE NOT NULL,
        tax_den DOUBLE NOT NULL,
        va_num DOUBLE NOT NULL,
        va_den DOUBLE NOT NULL,
        total_sum DOUBLE NOT NULL,
        total_n BIGINT NOT NULL
    );
    CREATE TABLE score_tiers (
        year INTEGER NOT NULL,
        profile_sha VARCHAR NOT NULL,
        inputs VARCHAR NOT NULL,
        credit_code VARCHAR NOT NULL,
        status VARCHAR,
        total DOUBLE,
        rank BIGINT,
        pool_size BIGINT,
        tier VARCHAR
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database file: an explicit path, else env `MUYUN_DB`, else `data/muyun.duckdb`."""
    if path is not None:
        return Path(path)
    env = os.environ.get("MUYUN_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """How many migrations this database has applied (0 for a new file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
    return int(row[0] or 0)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration this file has not seen yet, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    for version, sql in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            rollback_quietly(con)
            raise
    return schema_version(con)


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the original error: after e.g. a full disk DuckDB's ROLLBACK itself
    fails ("Current transaction is aborted"), which used to hide "No space left on device"."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


def seed_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Load the city's 镇街 list (names and centres) when the table is empty.

    The importer checks every enterprise's town against this table, so it must exist before
    the first import; `data/reference/towns.csv` is the city's own list, kept as data.
    """
    if con.execute("SELECT count(*) FROM towns").fetchall()[0][0]:
        return
    con.execute(
        "INSERT INTO towns SELECT name, lat, lon FROM read_csv(?, header = true)",
        [str(TOWNS_CSV)],
    )


class StoreError(Exception):
    """The store cannot be opened or written; `message` is Chinese and names the real cause."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


_CAUSES: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("disk_full", ("no space left on device", "disk full"), (errno.ENOSPC, errno.EDQUOT)),
    ("read_only", ("read-only file system",), (errno.EROFS,)),
    ("permission", ("permission denied",), (errno.EACCES, errno.EPERM)),
    ("locked", ("could not set lock", "conflicting lock", "resource temporarily unavailable"), ()),
    ("missing", ("no such file",), (errno.ENOENT,)),
    (
        "corrupt",
        (
            "not a valid duckdb database",
            "corrupt",
            "checksum",
            "serialization",
            "invalid database",
            "truncated",
            "failed to read",
            "could not read enough bytes",
            "metadata",
        ),
        (),
    ),
)


def classify_error(exc: BaseException) -> str:
    """The kind of store failure behind `exc` (walking its causes): disk_full, locked, … other."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for kind, needles, errnos in _CAUSES:
        for item in seen:
            if isinstance(item, StoreError) and item.kind == kind:
                return kind
            if isinstance(item, OSError) and item.errno in errnos:
                return kind
            text = str(item).lower()
            if any(needle in text for needle in needles):
                return kind
    return "other" if any(isinstance(i, duckdb.Error) for i in seen) else "io"


def describe_error(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str:
    """A Chinese one-line message for a store failure, with the real cause (no traceback)."""
    if isinstance(exc, StoreError):
        return exc.message
    from muyun.labels import STORE_ERROR_TEXT

    kind = classify_error(exc)
    cause = _root_cause(exc)
    where = str(path) if path is not None else getattr(exc, "filename", None) or ""
    return STORE_ERROR_TEXT[kind].format(path=where, cause=cause)


def _root_cause(exc: BaseException) -> str:
    """The innermost OS or DuckDB message, one line, bounded (a hostile path must not flood)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, OSError) and item.strerror:
            return item.strerror
    text = " ".join(str(chain[-1]).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def require_existing(path: str | os.PathLike[str]) -> None:
    """Raise `StoreError` ("missing") when `path` is not a file: an explicit path is never created.

    Why: a typo in `MUYUN_DB` used to build and serve a demo city silently.
    """
    from muyun.labels import STORE_ERROR_TEXT

    if str(path) != ":memory:" and not Path(path).is_file():
        raise StoreError(STORE_ERROR_TEXT["missing"].format(path=path), "missing")


def explicitly_configured(path: str | os.PathLike[str] | None = None) -> bool:
    """True when the store was named (argument or `MUYUN_DB`) rather than the default file."""
    return path is not None or bool(os.environ.get("MUYUN_DB"))


def connect(
    path: str | os.PathLike[str] | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating, migrating and seeding if writable) a muyun database; ':memory:' works too.

    A read-only open never creates a file: a missing one is a `StoreError`.
    """
    target = str(path) if path == ":memory:" else str(db_path(path))
    if target != ":memory:":
        if read_only:
            require_existing(target)
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only)
    if not read_only:
        try:
            migrate(con)
            seed_reference(con)
        except BaseException:
            con.close()
            raise
    return con


def _writable(target: str) -> bool:
    """Whether the store file and its folder (for the WAL beside it) are writable."""
    file = Path(target)
    folder_ok = os.access(file.parent if str(file.parent) else ".", os.W_OK)
    return folder_ok and (not file.exists() or os.access(file, os.W_OK))


_READ_ONLY_KINDS = frozenset({"read_only", "permission"})


class Database:
    """One open database file shared by the threads of a server process.

    Readers call `reader()` for a cursor of their own thread (DuckDB connections must not be
    used from two threads at once); writers use `with db.write() as cur:`, which holds the
    single writer lock and commits or rolls back as one transaction.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, read_only: bool | None = None
    ) -> None:
        """Open for writing when possible; `read_only=None` falls back to reading-only.

        Why the fallback: on a read-only file system or a file the server may not write, the
        pages can still show everything; `read_only` tells them writing is unavailable.
        """
        self.path = db_path(path) if path != ":memory:" else Path(":memory:")
        target = str(self.path)
        if read_only is None and target != ":memory:" and not _writable(target):
            read_only = True
        if read_only:
            self._root = connect(path, read_only=True)
        else:
            try:
                self._root = connect(path)
            except (duckdb.Error, OSError) as exc:
                if read_only is not None or classify_error(exc) not in _READ_ONLY_KINDS:
                    raise
                self._root = connect(path, read_only=True)
                read_only = True
        self.read_only = bool(read_only)
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor owned by the calling thread, reused across calls on that thread."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._root.cursor()
            self._local.cursor = cur
        return cur

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Exclusive, transactional write access: all inside commits together or not at all."""
        with self._write_lock:
            cur = self._root.cursor()
            if self.read_only:
                cur.close()
                from muyun.labels import STORE_ERROR_TEXT

                raise StoreError(
                    STORE_ERROR_TEXT["read_only"].format(path=self.path, cause="read-only"),
                    "read_only",
                )
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                rollback_quietly(cur)
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        self._root.close()

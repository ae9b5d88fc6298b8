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

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
            con.execute("ROLLBACK")
            raise
    return schema_version(con)


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


def connect(
    path: str | os.PathLike[str] | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating, migrating and seeding if writable) a muyun database; ':memory:' works too."""
    target = str(path) if path == ":memory:" else str(db_path(path))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only)
    if not read_only:
        migrate(con)
        seed_reference(con)
    return con


class Database:
    """One open database file shared by the threads of a server process.

    Readers call `reader()` for a cursor of their own thread (DuckDB connections must not be
    used from two threads at once); writers use `with db.write() as cur:`, which holds the
    single writer lock and commits or rolls back as one transaction.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = db_path(path) if path != ":memory:" else Path(":memory:")
        self._root = connect(path)
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
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        self._root.close()

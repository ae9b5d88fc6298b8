"""The store: migrations run once and in order, old files upgrade, writes are all-or-nothing."""

from __future__ import annotations

import threading

import duckdb
import pytest

from muyun import db, labels

CODE = "91330784MA2HXXXX0X"


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def test_new_store_has_every_migration_once(empty_con):
    assert db.schema_version(empty_con) == db.SCHEMA_VERSION == len(db.MIGRATIONS)
    versions = empty_con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    assert [v[0] for v in versions] == list(range(1, db.SCHEMA_VERSION + 1))
    assert {"enterprises", "leases", "scenarios", "low_efficiency_list"} <= tables(empty_con)


def test_migrate_is_idempotent(empty_con):
    before = tables(empty_con)
    assert db.migrate(empty_con) == db.SCHEMA_VERSION
    assert db.migrate(empty_con) == db.SCHEMA_VERSION
    assert tables(empty_con) == before
    assert empty_con.execute("SELECT count(*) FROM schema_version").fetchone() == (
        db.SCHEMA_VERSION,
    )


def test_schema_version_of_a_file_never_migrated_is_zero():
    con = duckdb.connect(":memory:")
    try:
        assert db.schema_version(con) == 0
    finally:
        con.close()


def test_seeding_the_towns_happens_once(tmp_path):
    path = tmp_path / "m.duckdb"
    db.connect(path).close()
    con = db.connect(path)
    try:
        count = con.execute("SELECT count(*) FROM towns").fetchone()[0]
        db.seed_reference(con)
        assert count > 0
        assert con.execute("SELECT count(*) FROM towns").fetchone()[0] == count
    finally:
        con.close()


def test_a_version_1_file_upgrades_without_losing_rows(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    with monkeypatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:1])
        old = db.connect(path)
    try:
        assert db.schema_version(old) == 1
        assert "scenarios" not in tables(old)
        old.execute(
            "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, "
            "land_own_mu, tax, revenue) VALUES (2024, ?, '老数据', '车业', '芝英镇', '规上', "
            "10, 100, 1000)",
            [CODE],
        )
    finally:
        old.close()

    con = db.connect(path)
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
        assert {"scenarios", "low_efficiency_list", "plot_ratio_upgrades"} <= tables(con)
        assert con.execute("SELECT credit_code, name, tax FROM enterprises").fetchall() == [
            (CODE, "老数据", 100.0)
        ]
    finally:
        con.close()


def test_a_failing_migration_leaves_the_file_at_the_last_good_version(tmp_path, monkeypatch):
    path = tmp_path / "m.duckdb"
    monkeypatch.setattr(
        db,
        "MIGRATIONS",
        [*db.MIGRATIONS, "CREATE TABLE x (a INT); INSERT INTO x VALUES ('not a number');"],
    )
    with pytest.raises(duckdb.Error):
        db.connect(path)
    monkeypatch.undo()
    con = db.connect(path)
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
        assert "x" not in tables(con)
    finally:
        con.close()


def test_column_defaults_are_label_values(empty_con):
    """The DDL's Chinese defaults must stay values the importer and pages accept."""
    empty_con.execute(
        "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, land_own_mu, "
        "tax, revenue) VALUES (2024, ?, '甲', '车业', '芝英镇', '规上', 10, 100, 1000)",
        [CODE],
    )
    empty_con.execute(
        "INSERT INTO low_efficiency_list (year, credit_code) VALUES (2024, ?)", [CODE]
    )
    listing = empty_con.execute("SELECT listing FROM enterprises").fetchone()[0]
    path, status = empty_con.execute("SELECT path, status FROM low_efficiency_list").fetchone()
    assert listing == labels.LISTING_STATUSES[0]  # the importer's default for an empty cell
    assert path in labels.REMEDIATION_PATHS
    assert status in labels.RECTIFICATION_STATUSES
    assert status in labels.LOW_EFFICIENCY_STATUSES


def test_write_commits_together_or_rolls_back(tmp_path):
    database = db.Database(tmp_path / "m.duckdb")
    try:
        with database.write() as cur:
            cur.execute("INSERT INTO dataset_info VALUES ('a', '1')")
            cur.execute("INSERT INTO dataset_info VALUES ('b', '2')")
        with pytest.raises(RuntimeError), database.write() as cur:
            cur.execute("INSERT INTO dataset_info VALUES ('c', '3')")
            raise RuntimeError("boom")
        with pytest.raises(duckdb.ConstraintException), database.write() as cur:
            cur.execute("INSERT INTO dataset_info VALUES ('d', '4')")
            cur.execute("INSERT INTO dataset_info VALUES ('a', 'duplicate key')")
        rows = database.reader().execute("SELECT key FROM dataset_info ORDER BY 1").fetchall()
        assert rows == [("a",), ("b",)]
    finally:
        database.close()


def test_reader_cursors_are_per_thread(tmp_path):
    database = db.Database(tmp_path / "m.duckdb")
    try:
        mine = database.reader()
        assert database.reader() is mine
        seen: list[object] = []
        counts: list[int] = []

        def read() -> None:
            cursor = database.reader()
            seen.extend([cursor, database.reader()])
            counts.append(cursor.execute("SELECT count(*) FROM towns").fetchone()[0])

        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
        assert seen[0] is seen[1]
        assert seen[0] is not mine
        assert counts[0] == mine.execute("SELECT count(*) FROM towns").fetchone()[0] > 0
    finally:
        database.close()


def test_db_path_prefers_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MUYUN_DB", str(tmp_path / "env.duckdb"))
    assert db.db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert db.db_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("MUYUN_DB")
    assert db.db_path() == db.DEFAULT_DB_PATH

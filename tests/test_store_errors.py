"""Issue 10, finding 5: store failures give a neutral page, read-only reading, Chinese CLI text."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from muyun import creditcode, db, importer, labels
from muyun.cli import main

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
TEXT = labels.STORE_ERROR_TEXT
CSV = (
    "年度,整治类别,目标面积（亩）\n2030,集中连片拆除,1200\n".encode(),
    "targets.csv",
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "muyun", *args], cwd=REPO, capture_output=True, text=True
    )


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / CSV[1]
    path.write_bytes(CSV[0])
    return path


# --- the command line -------------------------------------------------------------------------


def test_corrupt_file_is_a_chinese_error_without_traceback(tmp_path: Path, csv_file: Path) -> None:
    bad = tmp_path / "corrupt.duckdb"
    bad.write_bytes(b"\x00muyun?" * 50_000)
    done = cli("import", str(csv_file), "--table", "rectification_targets", "--db", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("数据库文件已损坏或不是 muyun 数据库")
    assert "not a valid DuckDB database" in done.stderr  # the real cause, kept


def test_truncated_file_is_reported_as_corrupt(
    demo_db_path: Path, tmp_path: Path, csv_file: Path
) -> None:
    cut = tmp_path / "cut.duckdb"
    shutil.copy(demo_db_path, cut)
    with cut.open("r+b") as handle:
        handle.truncate(cut.stat().st_size // 3)
    done = cli("import", str(csv_file), "--table", "rectification_targets", "--db", str(cut))
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert "数据库文件已损坏" in done.stderr


def test_locked_file_names_the_other_process(tmp_path: Path, csv_file: Path) -> None:
    path = tmp_path / "locked.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
            "print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        done = cli("import", str(csv_file), "--table", "rectification_targets", "--db", str(path))
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("数据库文件正被其他程序占用")
    assert "lock" in done.stderr


def test_missing_store_for_reading_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"
    done = cli("account", "list", "--db", str(missing))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == TEXT["missing"].format(path=missing)
    assert not missing.exists()


def test_full_disk_reports_no_space_not_aborted_transaction(
    tmp_path: Path, csv_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Used to print "Current transaction is aborted" (the failed ROLLBACK hid the cause)."""
    path = tmp_path / "store.duckdb"
    db.connect(path).close()

    def upsert_on_full_disk(con, spec, clean):
        raise duckdb.IOException(f'Could not write file "{path}.wal": No space left on device')

    monkeypatch.setattr(importer, "_upsert", upsert_on_full_disk)
    code = main(["import", str(csv_file), "--table", "rectification_targets", "--db", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("磁盘空间已满，写入失败，数据库未改变")
    assert "No space left on device" in err and "aborted" not in err


def test_full_disk_for_real_on_a_tiny_tmpfs(tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        store = mount / "store.duckdb"
        db.connect(store).close()
        big = tmp_path / "enterprises.csv"
        header = (
            "年度,统一社会信用代码,企业名称,行业,镇街,规模,自有用地面积（亩）,"
            "税收实际贡献（万元）,营业收入（万元）"
        )
        rows = [header]
        for i in range(30_000):
            body = f"91330784MA{i:07d}"
            code = body + creditcode.check_character(body)
            rows.append(f"2024,{code},厂{i},门业,东城街道,规下,10,100,1000")
        big.write_text("\n".join(rows), encoding="utf-8")
        done = cli("import", str(big), "--table", "enterprises", "--db", str(store))
    finally:
        subprocess.run(["umount", str(mount)], check=False)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert "磁盘空间已满" in done.stderr and "No space left on device" in done.stderr


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk_full"),
        (OSError(errno.EROFS, "Read-only file system"), "read_only"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission"),
        (duckdb.IOException('Could not set lock on file "x": Conflicting lock'), "locked"),
        (duckdb.IOException("not a valid DuckDB database file!"), "corrupt"),
        (duckdb.CatalogException("Table with name x does not exist"), "other"),
    ],
)
def test_errors_are_classified_by_their_real_cause(exc: BaseException, kind: str) -> None:
    assert db.classify_error(exc) == kind
    message = db.describe_error(exc, "/data/muyun.duckdb")
    assert "/data/muyun.duckdb" in message and "Traceback" not in message


# --- read-only opening -------------------------------------------------------------------------


def test_unwritable_store_opens_read_only_and_refuses_writes(
    demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "_writable", lambda target: False)
    store = db.Database(demo_db_copy)
    try:
        assert store.read_only
        assert store.reader().execute("SELECT count(*) FROM enterprises").fetchall()[0][0] > 0
        with pytest.raises(db.StoreError) as refused, store.write():
            pass
        assert refused.value.kind == "read_only"
    finally:
        store.close()


# --- the app -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def page_texts(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_missing_configured_store_is_a_neutral_error_not_a_new_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches
) -> None:
    typo = tmp_path / "muyun-typo.duckdb"
    monkeypatch.setenv("MUYUN_DB", str(typo))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == [TEXT["page"]]
    assert str(tmp_path) not in page_texts(at)
    assert not typo.exists()


def test_corrupt_store_shows_no_path_or_duckdb_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches, caplog
) -> None:
    bad = tmp_path / "corrupt.duckdb"
    bad.write_bytes(b"garbage" * 10_000)
    monkeypatch.setenv("MUYUN_DB", str(bad))
    start = time.monotonic()
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert time.monotonic() - start < 60
    assert not at.exception
    assert [e.value for e in at.error] == [TEXT["page"]]
    shown = page_texts(at)
    assert str(bad) not in shown and "DuckDB" not in shown and "Error" not in shown
    assert "not a valid DuckDB database" in caplog.text  # the detail is in the server log


def test_read_only_store_still_shows_pages_and_says_writing_is_off(
    demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches
) -> None:
    monkeypatch.setenv("MUYUN_DB", str(demo_db_copy))
    monkeypatch.setattr(db, "_writable", lambda target: False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric, "the overview's figures are there"
    assert any(labels.ADMIN_LOGIN_TEXT["read_only"] in c.value for c in at.caption)
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert labels.ADMIN_LOGIN_TEXT["read_only"] in [i.value for i in at.info]
    assert len(at.get("file_uploader")) == 0

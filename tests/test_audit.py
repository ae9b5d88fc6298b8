"""The audit chain (muyun.audit): appended in the write transaction, any edit of history found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from muyun import audit, db
from muyun.cli import main as cli_main

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    """A store with three audited steps."""
    path = tmp_path / "audit.duckdb"
    database = db.Database(path)
    for i in range(3):
        with database.write() as cur:
            audit.append(
                cur,
                actor="wang",
                action="调档",
                run_id=1,
                subject=f"T0000{i}",
                before={"tier": "A"},
                after={"tier": "C", "reason": "安全生产一票否决"},
            )
    database.close()
    return path


def test_an_intact_chain_verifies(logged):
    con = db.connect(logged, read_only=True)
    assert audit.verify(con) == []
    log = audit.log_frame(con)
    assert log["id"].tolist() == [1, 2, 3]
    assert log["prev_hash"].iloc[0] == audit.GENESIS
    assert log["prev_hash"].iloc[1] == log["hash"].iloc[0]
    assert '"reason":"安全生产一票否决"' in log["after_json"].iloc[0]
    con.close()


def test_a_failed_transaction_leaves_no_audit_row(tmp_path):
    database = db.Database(tmp_path / "a.duckdb")
    with pytest.raises(RuntimeError), database.write() as cur:
        audit.append(cur, actor="a", action="x", run_id=None, subject="s", before=None, after={})
        raise RuntimeError
    assert audit.log_frame(database.reader()).empty
    database.close()


@pytest.mark.parametrize(
    ("sql", "row", "words"),
    [
        ('UPDATE audit_log SET after_json = \'{"tier":"A"}\' WHERE id = 2', 2, "内容"),
        ("UPDATE audit_log SET actor = 'li' WHERE id = 1", 1, "内容"),
        ("DELETE FROM audit_log WHERE id = 2", 3, "序号"),
    ],
)
def test_an_edited_row_fails_verification_naming_it(logged, sql, row, words, capsys):
    con = db.connect(logged)
    con.execute(sql)
    problems = audit.verify(con)
    con.close()
    assert len(problems) == 1 and f"第 {row} 行" in problems[0] and words in problems[0]
    assert cli_main(["audit", "verify", "--db", str(logged)]) == 1
    assert f"第 {row} 行" in capsys.readouterr().err


def test_rehashing_an_edited_row_still_breaks_the_next_link(logged):
    con = db.connect(logged)
    prev, logged_at = con.execute(
        "SELECT prev_hash, logged_at FROM audit_log WHERE id = 2"
    ).fetchall()[0]
    forged = audit.row_hash(
        prev,
        id=2,
        logged_at=logged_at,
        actor="wang",
        action="调档",
        run_id=1,
        subject="T00001",
        before_json='{"tier":"A"}',
        after_json='{"tier":"B"}',
    )
    con.execute(
        'UPDATE audit_log SET after_json = \'{"tier":"B"}\', hash = ? WHERE id = 2', [forged]
    )
    problems = audit.verify(con)
    con.close()
    assert problems and "第 3 行" in problems[0]


def test_cli_verify_refuses_a_missing_file():
    done = subprocess.run(
        [sys.executable, "-m", "muyun", "audit", "verify", "--db", "/nonexistent.duckdb"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "不存在" in done.stderr


def test_cli_verify_reports_the_rows(logged, capsys):
    assert cli_main(["audit", "verify", "--db", str(logged)]) == 0
    assert "共 3 行" in capsys.readouterr().out

"""Data sheets and the notice list (muyun.datasheet)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from muyun import datasheet, db, evaluation
from muyun.accounts import ROLE_ADMIN, Account

ADMIN = Account("wang", "王科长", ROLE_ADMIN)
PROFILE = """
[meta]
name = "单指标测试方案"
[scales."规上".indicators]
tax_per_mu = { weight = 100, benchmark = 10 }
"""


@pytest.fixture
def run(tmp_path: Path):
    database = db.Database(tmp_path / "d.duckdb")
    with database.write() as cur:
        for i, name in enumerate(["永康市甲五金有限公司", '=HYPERLINK("x")', "丙厂"]):
            cur.execute(
                "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, "
                "land_own_mu, tax, revenue) VALUES (2024, ?, ?, '车业', '东城街道', '规上', 10, ?, "
                "1000)",
                [f"T{i:05d}", name, 100.0 + i * 37.5],
            )
    run_id = evaluation.create_run(database, 2024, PROFILE, profile_id="t", actor=ADMIN)
    evaluation.start_notice(database, run_id, start=date(2025, 3, 1), days=7, actor=ADMIN)
    yield database, run_id
    database.close()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_batch_sheet_has_one_page_per_firm_with_inputs_and_units(run, tmp_path):
    database, run_id = run
    pdf = datasheet.sheet_pdf(database.reader(), run_id, ["T00000", "T00002"])
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert text.count("数据确认单") == 2 and text.count("\f") == 2  # one page each
    assert "永康市甲五金有限公司" in text and "丙厂" in text
    assert "税收实际贡献" in text and "万元" in text and "有效用地面积" in text
    with pytest.raises(evaluation.EvaluationError, match="T99999"):
        datasheet.sheet_pdf(database.reader(), run_id, ["T99999"])


def test_notice_xlsx_has_the_public_columns_only_and_guards_formulas(run):
    database, run_id = run
    data = datasheet.notice_file(database.reader(), run_id, ".xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["企业名称", "统一社会信用代码", "行业", "镇街", "分类", "公示期"]
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("x")' in names
    assert all(len(r) == 6 for r in rows)
    assert {r[5] for r in rows[1:]} == {"2025-03-01 至 2025-03-07"}


def test_notice_pdf_names_the_period(run, tmp_path):
    database, run_id = run
    text = _pdf_text(datasheet.notice_file(database.reader(), run_id, ".pdf"), tmp_path)
    assert "2025-03-01 至 2025-03-07" in text and "公示名单" in text
    assert "137.5" not in text  # no confidential figures

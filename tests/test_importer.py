"""muyun.importer and `python -m muyun import`: data-dictionary §5 on small hand-made files.

Every rejection test checks the reported row (as the spreadsheet numbers it), the column header as
written in the file, the raw value, the reason, and that the store is byte-for-byte unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
import random
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import duckdb
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from muyun import creditcode, db, importer
from muyun.cli import main as cli_main
from muyun.export import to_excel_bytes
from muyun.labels import TABLE_HEADERS, TEMPLATE_GUIDE_SHEET

REPO_ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "enterprises",
    "leases",
    "rectification_projects",
    "rectification_targets",
    "parks",
    "funds",
)

# Real, published codes (see tests/test_creditcode.py) and a few more made valid for the tests.
CODE_A = "91330784597215142M"
CODE_B = "91330212MA281ATH4G"
CODE_C = "91330000142916567N"
CODE_D = "913302117532974515"
CODE_E = "91330106MAEUDLLYXY"


def firm(code: str, **overrides: object) -> dict[str, object]:
    """A valid 规上 enterprise row (English keys, text values as an official would type them)."""
    row: dict[str, object] = {
        "year": "2024",
        "credit_code": code,
        "name": f"永康测试企业{code[-4:]}有限公司",
        "industry": "车业",
        "town": "东城街道",
        "scale": "规上",
        "land_own_mu": "20",
        "tax": "300.5",
        "value_added": "1500",
        "revenue": "8000",
        "employees": "120",
        "energy_tce": "900",
        "electricity_10k_kwh": "400",
        "emission_t": "2.5",
        "rd": "240",
        "water_t": "12000",
        "investment": "500",
        "listing": "无",
        "talents": "30",
        "safety_incidents": "0",
        "env_penalties": "0",
        "veto": "否",
        "exempt": "否",
    }
    row.update(overrides)
    return row


def lease(lessor: str, lessee: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": "2024",
        "lessor_code": lessor,
        "lessee_code": lessee,
        "land_mu": "5",
        "floor_area_m2": "3000",
        "registered": "是",
        "record_no": "YK-2024-001",
    }
    row.update(overrides)
    return row


def project(pid: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": "2022",
        "project_id": pid,
        "name": f"整治项目{pid}",
        "town": "芝英镇",
        "category": "集中连片拆除",
        "area_mu": "120.5",
        "path": "政府收储",
        "status": "已完成",
        "credit_code": "",
    }
    row.update(overrides)
    return row


def target(category: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {"year": "2022", "category": category, "target_mu": "2000"}
    row.update(overrides)
    return row


def park(pid: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "park_id": pid,
        "name": f"小微企业园{pid}",
        "town": "经济开发区",
        "land_mu": "80",
        "planned_floor_area_m2": "120000",
        "status": "已建成",
        "on_cleared_land": "是",
        "provincial_year": "2021",
        "star_rating": "3",
        "star_year": "2022",
        "firms": "45",
    }
    row.update(overrides)
    return row


def fund(use: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": "2022",
        "use": use,
        "extracted_10k": "6000",
        "spent_10k": "4700",
    }
    row.update(overrides)
    return row


def csv_bytes(
    table: str,
    rows: list[dict[str, object]],
    *,
    english: bool = False,
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> bytes:
    """A CSV of `rows` with Chinese (or English) headers, in `columns` order if given."""
    keys = columns or list(rows[0])
    headers = keys if english else [TABLE_HEADERS[table].get(k, k) for k in keys]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(i, j, value)
            elif value is not None:
                sheet.write_number(i, j, value)
    workbook.close()
    return buffer.getvalue()


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every importable table plus the import log, sorted, for before/after comparison."""
    out = {}
    for table in (*TABLES, "import_log"):
        out[table] = sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    return out


@pytest.fixture
def store():
    con = db.connect(":memory:")
    yield con
    con.close()


@pytest.fixture
def store_with_firms(store):
    """2024 enterprises A (20 亩), B (15 亩), C (10 亩), D (8 亩) already imported."""
    rows = [
        firm(CODE_A, land_own_mu="20"),
        firm(CODE_B, land_own_mu="15"),
        firm(CODE_C, land_own_mu="10"),
        firm(CODE_D, land_own_mu="8", scale="规下", value_added="", employees=""),
    ]
    importer.import_file(store, csv_bytes("enterprises", rows), "enterprises", file_name="e.csv")
    return store


def rejected(
    con: duckdb.DuckDBPyConnection, data: bytes, table: str, file_name: str = "bad.csv"
) -> list[importer.ImportError_]:
    """Import `data`, expect rejection, check nothing changed, return the errors."""
    before = snapshot(con)
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(con, data, table, file_name=file_name)
    assert snapshot(con) == before
    assert failure.value.errors
    return failure.value.errors


# --- accepted input ----------------------------------------------------------------------------


def test_valid_enterprises_are_stored_with_types_defaults_and_nulls(store):
    rows = [
        firm(CODE_A),
        firm(
            CODE_B,
            scale="规下",
            value_added="",
            employees="-",
            energy_tce="—",
            emission_t="/",
            listing="",
            talents="",
            safety_incidents="",
            env_penalties="",
            veto="",
            exempt="是",
        ),
    ]
    result = importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    assert (result.rows_added, result.rows_replaced, result.years) == (2, 0, (2024,))
    stored = store.execute("SELECT * FROM enterprises ORDER BY credit_code").df()
    b = stored.set_index("credit_code").loc[CODE_B]
    assert pd.isna(b["value_added"]) and pd.isna(b["employees"]) and pd.isna(b["energy_tce"])
    assert pd.isna(b["emission_t"]) and pd.isna(b["talents"])
    assert b["listing"] == "无" and b["safety_incidents"] == 0 and b["env_penalties"] == 0
    assert not b["veto"] and b["exempt"]
    a = stored.set_index("credit_code").loc[CODE_A]
    assert a["tax"] == 300.5 and a["employees"] == 120 and a["emission_t"] == 2.5


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(store, encoding):
    rows = [firm(CODE_A, name="永康市桃花源农业开发有限公司", town="西城街道")]
    data = csv_bytes("enterprises", rows, encoding=encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    importer.import_file(store, data, "enterprises", file_name="e.csv")
    assert store.execute("SELECT name, town FROM enterprises").fetchall() == [
        ("永康市桃花源农业开发有限公司", "西城街道")
    ]


def test_excel_unicode_text_export_utf16_tab_separated(store):
    text = csv_bytes("enterprises", [firm(CODE_A), firm(CODE_B)]).decode().replace(",", "\t")
    result = importer.import_file(store, text.encode("utf-16"), "enterprises", file_name="e.txt")
    assert result.rows_added == 2


def test_xlsx_with_excel_numbers_and_text_cells(store, tmp_path):
    zh = TABLE_HEADERS["enterprises"]
    keys = list(firm(CODE_A))
    numeric = {"year", "land_own_mu", "tax", "value_added", "revenue", "employees", "talents"}
    rows = []
    for code, tax in ((CODE_A, -12.25), (CODE_B, 4567.5)):
        row = firm(code, tax=str(tax))
        rows.append([float(row[k]) if k in numeric else str(row[k]) for k in keys])
    path = tmp_path / "企业.xlsx"
    path.write_bytes(xlsx_bytes([zh[k] for k in keys], rows))
    result = importer.import_file(store, path, "enterprises")
    assert result.rows_added == 2 and result.file_name == "企业.xlsx"
    stored = store.execute("SELECT credit_code, year, tax, employees FROM enterprises ORDER BY tax")
    assert stored.fetchall() == [(CODE_A, 2024, -12.25, 120), (CODE_B, 2024, 4567.5, 120)]


def test_english_and_chinese_headers_in_shuffled_order(store):
    rows = [firm(CODE_A), firm(CODE_B)]
    columns = list(reversed(list(rows[0])))
    english = csv_bytes("enterprises", rows, english=True, columns=columns)
    result = importer.import_file(store, english, "enterprises", file_name="e.csv")
    assert result.rows_added == 2
    # Mixed: Chinese with half-width parentheses and stray blanks, English upper-case.
    zh = TABLE_HEADERS["enterprises"]
    shuffled = columns[1::2] + columns[0::2]
    header = [
        zh[k].replace("（", "(").replace("）", ")") + " " if i % 2 else k.upper()
        for i, k in enumerate(shuffled)
    ]
    text = ",".join(header) + "\n" + ",".join(str(firm(CODE_C)[k]) for k in shuffled) + "\n"
    again = importer.import_file(store, text.encode(), "enterprises", file_name="e.csv")
    assert again.rows_added == 1
    assert store.execute(
        "SELECT land_own_mu, revenue FROM enterprises WHERE credit_code = ?", [CODE_C]
    ).fetchone() == (20.0, 8000.0)


def test_full_width_digits_thousands_separators_and_blanks(store):
    rows = [
        firm(
            CODE_A,
            year="２０２４",
            land_own_mu="１２３４．５",
            tax="－１２．５",
            revenue="1,234,567.8",
            value_added=" 1 500 ",
            employees="１，２００",
            rd="−3",
        )
    ]
    rows[0]["rd"] = "0"
    importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    assert store.execute(
        "SELECT year, land_own_mu, tax, revenue, value_added, employees FROM enterprises"
    ).fetchone() == (2024, 1234.5, -12.5, 1234567.8, 1500.0, 1200)


def test_lower_case_and_full_width_codes_are_upper_cased_before_check(store):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in CODE_B)
    rows = [firm(CODE_A.lower()), firm(full_width)]
    importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    codes = [r[0] for r in store.execute("SELECT credit_code FROM enterprises").fetchall()]
    assert sorted(codes) == sorted([CODE_A, CODE_B])


def test_title_row_and_blank_lines_keep_spreadsheet_row_numbers(store):
    body = csv_bytes("enterprises", [firm(CODE_A), firm(CODE_B, industry="汽车")]).decode()
    header, first, second = body.strip().split("\r\n")
    text = "2024年企业监测数据\n" + header + "\n" + first + "\n\n" + second + "\n"
    errors = rejected(store, text.encode(), "enterprises")
    assert [(e.row, e.column, e.value) for e in errors] == [(5, "行业", "汽车")]


def test_extra_columns_are_ignored_with_a_warning(store):
    text = csv_bytes("enterprises", [firm(CODE_A, 备注="新增企业")]).decode()
    header, values = text.strip().split("\r\n")
    text = f"{header},,\r\n{values},,见附件\r\n"  # X 备注, Y empty, Z unnamed with data
    result = importer.import_file(store, text.encode(), "enterprises", file_name="e.csv")
    assert result.rows_added == 1
    assert result.warnings == [
        "第1行 列「备注」 值「备注」：不是「企业年度监测数据」的字段，已忽略",
        "第1行 列「Z」 值「」：不是「企业年度监测数据」的字段，已忽略",
    ]


def test_talents_above_employees_is_a_warning_not_an_error(store):
    rows = [firm(CODE_A, employees="10", talents="12")]
    result = importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    assert result.rows_added == 1
    assert result.warnings == [
        "第2行 列「大专及以上人才数（人）」 值「12」：人才数大于年平均职工人数（10人）"
    ]


def test_every_other_table_imports(store_with_firms):
    con = store_with_firms
    cases = {
        "leases": [lease(CODE_A, CODE_B), lease(CODE_A, CODE_C, registered="否", record_no="")],
        "rectification_projects": [project("P1"), project("P2", credit_code=CODE_A)],
        "rectification_targets": [target("集中连片拆除"), target("临时改变用途整治")],
        "parks": [park("Y01"), park("Y02", status="在建", provincial_year="", star_rating="")],
        "funds": [fund("盘活工业用地"), fund("企业提升改造", spent_10k="7000")],
    }
    for table, rows in cases.items():
        result = importer.import_file(con, csv_bytes(table, rows), table, file_name=f"{table}.csv")
        assert result.rows_added == 2, table
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 2
    assert con.execute("SELECT star_rating FROM parks WHERE park_id = 'Y02'").fetchone() == (None,)
    assert con.execute("SELECT years FROM import_log WHERE table_name = 'parks'").fetchone() == (
        "",
    )
    funds_warning = con.execute(
        "SELECT warnings FROM import_log WHERE table_name = 'funds'"
    ).fetchone()
    assert funds_warning == (1,)


# --- one bad file per rule ----------------------------------------------------------------------

ENTERPRISE_RULES = [
    # (id, overrides of the second firm, column key, value as written, reason fragment)
    ("year-not-number", {"year": "2024年"}, "year", "2024年", "不是有效的数字"),
    ("year-range", {"year": "1999"}, "year", "1999", "2000–2100"),
    ("year-integer", {"year": "2024.5"}, "year", "2024.5", "应为整数"),
    (
        "code-check",
        {"credit_code": "91330000142916567M"},
        "credit_code",
        "91330000142916567M",
        "校验码错误（应为N）",
    ),
    (
        "code-letter",
        {"credit_code": "91330000142916567O"},
        "credit_code",
        "91330000142916567O",
        "“O”",
    ),
    (
        "code-length",
        {"credit_code": "9133000014291656"},
        "credit_code",
        "9133000014291656",
        "长度应为18位",
    ),
    ("code-empty", {"credit_code": ""}, "credit_code", "", "必填项不能为空"),
    ("name-long", {"name": "企" * 101}, "name", "企" * 101, "实际为101个"),
    ("name-empty", {"name": " "}, "name", "", "必填项不能为空"),
    ("industry", {"industry": "汽车"}, "industry", "汽车", "应为以下之一：车业"),
    ("town", {"town": "杭州市"}, "town", "杭州市", "不是已知的镇街"),
    ("scale", {"scale": "规模以上"}, "scale", "规模以上", "规上、规下"),
    ("land-negative", {"land_own_mu": "-1"}, "land_own_mu", "-1", "应大于或等于0"),
    ("land-missing", {"land_own_mu": "—"}, "land_own_mu", "—", "必填项不能为空"),
    ("tax-text", {"tax": "三百"}, "tax", "三百", "不是有效的数字"),
    ("tax-bad-separator", {"tax": "1,23"}, "tax", "1,23", "不是有效的数字"),
    ("revenue-negative", {"revenue": "-5"}, "revenue", "-5", "应大于或等于0"),
    ("revenue-missing", {"revenue": "-"}, "revenue", "-", "必填项不能为空"),
    ("va-above-scale", {"value_added": ""}, "value_added", "", "规上企业必须填写"),
    ("employees-above-scale", {"employees": "/"}, "employees", "/", "规上企业必须填写"),
    ("employees-integer", {"employees": "12.5"}, "employees", "12.5", "应为整数"),
    ("energy-negative", {"energy_tce": "-0.1"}, "energy_tce", "-0.1", "应大于或等于0"),
    ("water-text", {"water_t": "很多"}, "water_t", "很多", "不是有效的数字"),
    ("listing", {"listing": "IPO"}, "listing", "IPO", "无、股改、新三板、上市"),
    ("talents-negative", {"talents": "-3"}, "talents", "-3", "应大于或等于0"),
    ("incidents-integer", {"safety_incidents": "0.5"}, "safety_incidents", "0.5", "应为整数"),
    ("penalties-negative", {"env_penalties": "-1"}, "env_penalties", "-1", "应大于或等于0"),
    ("veto", {"veto": "也许"}, "veto", "也许", "是”或“否"),
    ("exempt", {"exempt": "不"}, "exempt", "不", "是”或“否"),
    ("duplicate", {"credit_code": CODE_A}, "credit_code", CODE_A, "与第2行重复"),
]


@pytest.mark.parametrize(
    ("overrides", "key", "value", "reason"),
    [case[1:] for case in ENTERPRISE_RULES],
    ids=[case[0] for case in ENTERPRISE_RULES],
)
def test_enterprise_rule_rejects_the_file(store_with_firms, overrides, key, value, reason):
    rows = [firm(CODE_A), firm(CODE_E, **overrides)]
    errors = rejected(store_with_firms, csv_bytes("enterprises", rows), "enterprises")
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.row, error.column, error.value) == (3, TABLE_HEADERS["enterprises"][key], value)
    assert reason in error.reason
    assert str(error) == f"第3行 列「{error.column}」 值「{value}」：{error.reason}"


def test_an_unknown_town_lists_the_known_ones_in_one_order(store_with_firms):
    """The list was joined from a set, so the same file's message changed between processes."""
    rows = [firm(CODE_A), firm(CODE_E, town="杭州市")]
    errors = rejected(store_with_firms, csv_bytes("enterprises", rows), "enterprises")
    towns = sorted(r[0] for r in store_with_firms.execute("SELECT name FROM towns").fetchall())
    assert len(towns) > 1
    assert errors[0].reason.endswith("（应为：" + "、".join(towns) + "）")


OTHER_RULES = [
    # (id, table, rows, column key, value, reason fragment)
    (
        "lease-lessor-unknown",
        "leases",
        [lease(CODE_E, CODE_B)],
        "lessor_code",
        CODE_E,
        "2024年企业监测数据中没有该企业",
    ),
    (
        "lease-lessee-unknown",
        "leases",
        [lease(CODE_A, CODE_E)],
        "lessee_code",
        CODE_E,
        "没有该企业",
    ),
    (
        "lease-year-without-firms",
        "leases",
        [lease(CODE_A, CODE_B, year="2023")],
        "lessor_code",
        CODE_A,
        "2023年",
    ),
    ("lease-self", "leases", [lease(CODE_A, CODE_A)], "lessee_code", CODE_A, "承租方与出租方相同"),
    (
        "lease-record-no",
        "leases",
        [lease(CODE_A, CODE_B, record_no="")],
        "record_no",
        "",
        "必须填写备案编号",
    ),
    ("lease-land-zero", "leases", [lease(CODE_A, CODE_B, land_mu="0")], "land_mu", "0", "应大于0"),
    (
        "lease-registered",
        "leases",
        [lease(CODE_A, CODE_B, registered="已备案")],
        "registered",
        "已备案",
        "是”或“否",
    ),
    (
        "lease-duplicate",
        "leases",
        [lease(CODE_A, CODE_B), lease(CODE_A, CODE_B)],
        "lessee_code",
        CODE_B,
        "与第2行重复",
    ),
    (
        "project-category",
        "rectification_projects",
        [project("P1", category="拆除")],
        "category",
        "拆除",
        "集中连片拆除",
    ),
    (
        "project-path",
        "rectification_projects",
        [project("P1", path="出售")],
        "path",
        "出售",
        "政府收储",
    ),
    (
        "project-status",
        "rectification_projects",
        [project("P1", status="完成")],
        "status",
        "完成",
        "已完成",
    ),
    (
        "project-code",
        "rectification_projects",
        [project("P1", credit_code="91330784MA29Q4QT4K")],
        "credit_code",
        "91330784MA29Q4QT4K",
        "校验码错误（应为T）",
    ),
    (
        "project-area",
        "rectification_projects",
        [project("P1", area_mu="-2")],
        "area_mu",
        "-2",
        "应大于或等于0",
    ),
    (
        "project-town",
        "rectification_projects",
        [project("P1", town="永康")],
        "town",
        "永康",
        "不是已知的镇街",
    ),
    (
        "target-category",
        "rectification_targets",
        [target("整治")],
        "category",
        "整治",
        "应为以下之一",
    ),
    (
        "target-duplicate",
        "rectification_targets",
        [target("集中连片拆除"), target("集中连片拆除")],
        "category",
        "集中连片拆除",
        "与第2行重复",
    ),
    (
        "target-missing",
        "rectification_targets",
        [target("集中连片拆除", target_mu="")],
        "target_mu",
        "",
        "必填项不能为空",
    ),
    ("park-status", "parks", [park("Y1", status="建成")], "status", "建成", "已建成、在建、规划"),
    ("park-star", "parks", [park("Y1", star_rating="6")], "star_rating", "6", "应在1–5之间"),
    (
        "park-cleared",
        "parks",
        [park("Y1", on_cleared_land="")],
        "on_cleared_land",
        "",
        "必填项不能为空",
    ),
    (
        "park-provincial-year",
        "parks",
        [park("Y1", provincial_year="1990")],
        "provincial_year",
        "1990",
        "2000–2100",
    ),
    ("park-firms", "parks", [park("Y1", firms="4.5")], "firms", "4.5", "应为整数"),
    (
        "fund-negative",
        "funds",
        [fund("盘活工业用地", spent_10k="-1")],
        "spent_10k",
        "-1",
        "应大于或等于0",
    ),
    (
        "fund-duplicate",
        "funds",
        [fund("盘活工业用地"), fund("盘活工业用地")],
        "use",
        "盘活工业用地",
        "与第2行重复",
    ),
    ("fund-use-empty", "funds", [fund("")], "use", "", "必填项不能为空"),
]


@pytest.mark.parametrize(
    ("table", "rows", "key", "value", "reason"),
    [case[1:] for case in OTHER_RULES],
    ids=[case[0] for case in OTHER_RULES],
)
def test_other_table_rule_rejects_the_file(store_with_firms, table, rows, key, value, reason):
    errors = rejected(store_with_firms, csv_bytes(table, rows), table)
    assert {e.row for e in errors} == {len(rows) + 1}, errors
    error = errors[0]
    assert (error.row, error.column, error.value) == (
        len(rows) + 1,
        TABLE_HEADERS[table][key],
        value,
    )
    assert reason in error.reason


def test_registered_leases_may_not_exceed_the_lessors_own_land(store_with_firms):
    con = store_with_firms
    importer.import_file(con, csv_bytes("leases", [lease(CODE_C, CODE_A, land_mu="6")]), "leases")
    # C owns 10 亩: 6 already registered to A, now 3 + 2 more in the file = 11 亩.
    rows = [
        lease(CODE_C, CODE_B, land_mu="3"),
        lease(CODE_C, CODE_D, land_mu="2"),
        lease(CODE_A, CODE_D, land_mu="50", registered="否", record_no=""),
    ]
    errors = rejected(con, csv_bytes("leases", rows), "leases")
    assert [(e.row, e.column, e.value) for e in errors] == [(2, "出租方统一社会信用代码", CODE_C)]
    assert "11亩" in errors[0].reason and "自有用地10亩" in errors[0].reason
    assert "第2、3行" in errors[0].reason and "库中已有备案6亩" in errors[0].reason
    # Re-filing the existing lease smaller brings the total within the lessor's land.
    rows.append(lease(CODE_C, CODE_A, land_mu="5"))
    result = importer.import_file(con, csv_bytes("leases", rows), "leases")
    assert (result.rows_added, result.rows_replaced) == (3, 1)


def test_missing_and_duplicate_columns_are_reported(store):
    rows = [firm(CODE_A)]
    keys = [k for k in rows[0] if k != "revenue"]
    errors = rejected(store, csv_bytes("enterprises", rows, columns=keys), "enterprises")
    assert [(e.row, e.column, e.value) for e in errors] == [(1, "营业收入（万元）", "")]
    assert "缺少必填列" in errors[0].reason and "revenue" in errors[0].reason

    text = csv_bytes("enterprises", rows).decode().replace("行业", "industry", 1)
    header, values = text.strip().split("\r\n")
    text = header + ",行业\r\n" + values + ",门业\r\n"
    errors = rejected(store, text.encode(), "enterprises")
    assert [(e.row, e.column) for e in errors] == [(1, "行业")]
    assert "industry" in errors[0].reason


def test_every_error_of_a_file_is_reported_in_row_order(store):
    rows = [
        firm(CODE_A, tax="x", industry="汽车"),
        firm(CODE_B),
        firm(CODE_C, year="3000"),
        firm("123", revenue="-1"),
    ]
    errors = rejected(store, csv_bytes("enterprises", rows), "enterprises")
    assert [(e.row, e.column) for e in errors] == [
        (2, "行业"),
        (2, "税收实际贡献（万元）"),
        (4, "年度"),
        (5, "统一社会信用代码"),
        (5, "营业收入（万元）"),
    ]
    frame = importer.errors_frame(errors)
    assert list(frame.columns) == ["行号", "列", "值", "原因"]
    assert frame["行号"].tolist() == [2, 2, 4, 5, 5]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.csv", "没有表头"),
        (b"PK\x03\x04not really a workbook", "broken.xlsx", "不是有效的 Excel 文件"),
        (b"year\n2024\n", "data.json", "不支持的文件类型"),
    ],
)
def test_unreadable_files_are_rejected_whole(store, data, name, reason):
    errors = rejected(store, data, "enterprises", file_name=name)
    assert errors[0].row is None and reason in errors[0].reason
    assert str(errors[0]).startswith(f"文件「{name}」")


def test_header_only_file_has_no_rows(store, tmp_path):
    path = importer.write_template("funds", tmp_path / "funds.xlsx")
    errors = rejected(store, path.read_bytes(), "funds", file_name="funds.xlsx")
    assert [e.reason for e in errors] == ["文件只有表头，没有数据行"]


# --- all or nothing, upsert, log ---------------------------------------------------------------


def test_a_failure_while_writing_rolls_everything_back(store_with_firms, monkeypatch):
    before = snapshot(store_with_firms)
    real = importer._upsert

    def upsert_then_fail(con, spec, clean):
        real(con, spec, clean)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_upsert", upsert_then_fail)
    rows = [firm(CODE_A, tax="1"), firm(CODE_E)]
    with pytest.raises(RuntimeError):
        importer.import_file(store_with_firms, csv_bytes("enterprises", rows), "enterprises")
    assert snapshot(store_with_firms) == before


def test_reimport_replaces_the_files_keys_and_leaves_other_years(store):
    first = [firm(c, year=y) for y in ("2023", "2024") for c in (CODE_A, CODE_B, CODE_C)]
    result = importer.import_file(store, csv_bytes("enterprises", first), "enterprises")
    assert (result.rows_added, result.rows_replaced, result.years) == (6, 0, (2023, 2024))
    before_2023 = store.execute("SELECT * FROM enterprises WHERE year = 2023 ORDER BY 2").fetchall()

    again = [firm(CODE_A, tax="999"), firm(CODE_B, tax="888"), firm(CODE_E)]
    result = importer.import_file(store, csv_bytes("enterprises", again), "enterprises")
    assert (result.rows_added, result.rows_replaced, result.years) == (1, 2, (2024,))
    assert "新增1行，替换2行" in result.summary()
    assert store.execute("SELECT * FROM enterprises WHERE year = 2023 ORDER BY 2").fetchall() == (
        before_2023
    )
    taxes = dict(
        store.execute("SELECT credit_code, tax FROM enterprises WHERE year = 2024").fetchall()
    )
    assert taxes == {CODE_A: 999.0, CODE_B: 888.0, CODE_C: 300.5, CODE_E: 300.5}


def test_each_import_is_logged_with_hash_years_and_counts(store, tmp_path):
    path = tmp_path / "监测2024.csv"
    path.write_bytes(csv_bytes("enterprises", [firm(CODE_A), firm(CODE_B, year="2023")]))
    importer.import_file(store, path, "enterprises")
    importer.import_file(store, path, "enterprises")
    log = store.execute(
        "SELECT file_name, sha256, table_name, years, rows_added, rows_replaced, warnings "
        "FROM import_log ORDER BY id"
    ).fetchall()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert log == [
        ("监测2024.csv", digest, "enterprises", "2023,2024", 2, 0, 0),
        ("监测2024.csv", digest, "enterprises", "2023,2024", 0, 2, 0),
    ]


def test_database_object_and_uploaded_bytes(tmp_path):
    database = db.Database(tmp_path / "m.duckdb")
    try:
        data = csv_bytes("enterprises", [firm(CODE_A)], encoding="gbk")
        result = importer.import_file(database, data, "enterprises", file_name="上传.csv")
        assert result.rows_added == 1
        assert database.reader().execute("SELECT count(*) FROM enterprises").fetchone() == (1,)
        with pytest.raises(importer.ImportFailed):
            importer.import_file(database, b"x,y\n1,2\n", "enterprises", file_name="bad.csv")
        assert database.reader().execute("SELECT count(*) FROM import_log").fetchone() == (1,)
    finally:
        database.close()


def test_the_demo_city_round_trips_through_exported_files(demo_db_path, tmp_path):
    """Every demo table, exported as officials would receive it, imports back identically."""
    source = db.connect(demo_db_path, read_only=True)
    target = db.connect(tmp_path / "copy.duckdb")
    try:
        for table in TABLES:
            frame = source.execute(f"SELECT * FROM {table}").df()
            for column in frame.select_dtypes("bool").columns:
                frame[column] = frame[column].map({True: "是", False: "否"})
            headers = TABLE_HEADERS[table]
            if table in ("leases", "parks"):
                data = to_excel_bytes(frame, header=headers.__getitem__)
                name = f"{table}.xlsx"
            else:
                data = frame.rename(columns=headers).to_csv(index=False).encode("gb18030")
                name = f"{table}.csv"
            result = importer.import_file(target, data, table, file_name=name)
            assert result.rows_added == len(frame) and result.warnings == [], table
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert target.execute(query).fetchall() == source.execute(query).fetchall(), table
    finally:
        source.close()
        target.close()


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_shipped_templates_carry_the_chinese_headers_and_a_guide(table, tmp_path):
    shipped = REPO_ROOT / "data" / "templates" / f"{table}.xlsx"
    fresh = importer.write_template(table, tmp_path / f"{table}.xlsx")
    for path in (shipped, fresh):
        book = CalamineWorkbook.from_path(str(path))
        assert book.sheet_names[1] == TEMPLATE_GUIDE_SHEET
        header = book.get_sheet_by_index(0).to_python()[0]
        assert header == list(TABLE_HEADERS[table].values())
        guide = book.get_sheet_by_name(TEMPLATE_GUIDE_SHEET).to_python()
        assert [row[1] for row in guide[1 : len(header) + 1]] == list(TABLE_HEADERS[table])
    assert shipped.read_bytes() == fresh.read_bytes(), "regenerate: importer.write_templates()"


# --- command line -------------------------------------------------------------------------------


def test_cli_imports_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes("enterprises", [firm(CODE_A, talents="500")], encoding="gbk"))
    target = tmp_path / "m.duckdb"
    code = cli_main(["import", str(path), "--table", "enterprises", "--db", str(target)])
    out = capsys.readouterr()
    assert code == 0
    assert "导入成功：企业年度监测数据（e.csv），共1行，新增1行，替换0行" in out.out
    assert "警告：第2行" in out.out
    con = db.connect(target)
    assert con.execute("SELECT count(*) FROM enterprises").fetchone() == (1,)
    con.close()


def test_score_input_counts_every_error_of_a_capped_list(tmp_path, capsys, monkeypatch):
    """`muyun score --input` refuses a bad file as `import` does, with the same total."""
    monkeypatch.setattr(importer, "MAX_ERRORS_PER_COLUMN", 2)
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes("enterprises", [firm(CODE_A, tax="x"), firm(CODE_B, tax="y")] * 3))
    argv = ["score", "--input", str(path), "--profile", "yongkang-default"]
    assert cli_main([*argv, "--out", str(tmp_path / "r.csv")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "第2行 列「税收实际贡献（万元）」 值「x」：不是有效的数字"
    assert err[-3:-1] == [
        "列「税收实际贡献（万元）」：另有 4 条错误未列出",
        "列「统一社会信用代码」：另有 2 条错误未列出",
    ]
    assert err[-1] == "导入失败：共10处错误，数据库未作任何修改。"  # 6 cells, 4 repeated keys
    assert not (tmp_path / "r.csv").exists()


def test_cli_failure_exits_1_lists_errors_and_leaves_the_database(tmp_path, capsys):
    target = tmp_path / "m.duckdb"
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes("enterprises", [firm(CODE_A)]))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes("enterprises", [firm(CODE_A, tax="999"), firm(CODE_B, scale="大"), firm("x")])
    )
    args = ["import", "--table", "enterprises", "--db", str(target)]
    assert cli_main([*args, str(good)]) == 0
    con = db.connect(target)
    before = snapshot(con)
    con.close()

    # The real entry point, as an official's script would call it.
    command = [sys.executable, "-m", "muyun", *args, str(bad)]
    failed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    assert failed.returncode == 1
    assert failed.stdout == ""
    lines = failed.stderr.strip().splitlines()
    assert lines == [
        "第3行 列「规模」 值「大」：应为以下之一：规上、规下",
        "第4行 列「统一社会信用代码」 值「x」：统一社会信用代码无效：长度应为18位，实际为1位",
        "导入失败：共2处错误，数据库未作任何修改。",
    ]
    con = db.connect(target)
    assert snapshot(con) == before
    con.close()

    capsys.readouterr()
    assert cli_main([*args, str(tmp_path / "nope.csv")]) == 1
    assert "找不到文件" in capsys.readouterr().err


# --- hostile input (issue 10): limits, control characters, encodings, capped errors ------------


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x00", "U+0000"),
        ("\x07", "U+0007"),
        ("\x1b", "U+001B"),
        ("\n", "U+000A"),
        ("\x7f", "U+007F"),
        ("\u202e", "U+202E"),
    ],
    ids=["NUL", "BEL", "ESC", "newline", "DEL", "RLO"],
)
def test_control_characters_in_names_are_rejected_with_row_and_column(store, char, shown):
    """Finding 6: NUL, BEL, ESC and newline were accepted in names."""
    name = f"永康{char}[31m坏厂"
    errors = rejected(store, csv_bytes("enterprises", [firm(CODE_A, name=name)]), "enterprises")
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.row, error.column) == (2, TABLE_HEADERS["enterprises"]["name"])
    assert error.reason == f"含有控制字符（{shown}），请删除"
    assert char not in str(error), "the control character itself is never echoed"


def test_control_characters_in_other_text_fields_too(store):
    rows = [{"year": "2024", "use": "拆\x1b迁补偿", "extracted_10k": "10", "spent_10k": "5"}]
    errors = rejected(store, csv_bytes("funds", rows), "funds")
    assert [(e.row, e.column) for e in errors] == [(2, TABLE_HEADERS["funds"]["use"])]


def test_mixed_encoding_csv_names_the_first_bad_line(store):
    """Finding 6: a UTF-8 file with a GBK line pasted in was refused without naming the line."""
    utf8 = csv_bytes("enterprises", [firm(CODE_A), firm(CODE_B)])
    gbk_line = csv_bytes("enterprises", [firm(CODE_C)], encoding="gbk").split(b"\r\n")[1]
    data = utf8 + gbk_line + b"\r\n"
    errors = rejected(store, data, "enterprises")
    assert len(errors) == 1
    assert "第4行不是 UTF-8 编码" in errors[0].reason


def test_empty_file_is_reported_once(store, capsys, tmp_path):
    """Finding 6: an empty file was reported twice (as an error and again as a warning)."""
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(store, b"", "enterprises", file_name="empty.csv")
    assert [e.reason for e in failure.value.errors] == ["文件为空，没有表头"]
    assert failure.value.warnings == []
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert cli_main(["import", str(path), "--table", "enterprises", "--db", ":memory:"]) == 1
    err = capsys.readouterr().err
    assert err.count("没有表头") == 1


def test_errors_are_capped_per_column_and_counted(store, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ERRORS_PER_COLUMN", 3)
    rows = [firm(CODE_A, tax="abc", land_own_mu="-1")] * 10
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    errors = failure.value.errors
    tax = TABLE_HEADERS["enterprises"]["tax"]
    land = TABLE_HEADERS["enterprises"]["land_own_mu"]
    listed = [e for e in errors if not e.hidden]
    assert [e.row for e in listed if e.column == tax] == [2, 3, 4]
    more = {e.column: e.hidden for e in errors if e.hidden}
    assert more[tax] == 7 and more[land] == 7
    assert str(next(e for e in errors if e.hidden)).endswith("另有 7 条错误未列出")
    assert failure.value.count == 20 + 9  # 20 cell errors and 9 duplicate-key rows
    assert importer.errors_frame(errors)["原因"].str.contains("未列出").sum() == len(more)


def test_long_values_are_clipped_in_errors(store):
    name = "名" * 20_000  # 60 KB of UTF-8: under the line limit
    errors = rejected(store, csv_bytes("enterprises", [firm(CODE_A, name=name)]), "enterprises")
    assert errors[0].value == "名" * importer.ERROR_VALUE_CHARS + "…（共20000个字符）"
    assert len(str(errors[0])) < 400


@pytest.mark.parametrize(
    ("limit", "value", "data", "name", "reason"),
    [
        ("MAX_FILE_BYTES", 100, b"x" * 101, "big.csv", "文件大小"),
        ("MAX_ROWS", 2, b"a\nb\nc\nd\n", "rows.csv", "行数 4 超过上限 2"),
        ("MAX_CELLS", 3, b"a,b\nc,d\n", "cells.csv", "单元格数"),
    ],
)
def test_limits_refuse_before_parsing(monkeypatch, store, limit, value, data, name, reason):
    monkeypatch.setattr(importer, limit, value)
    errors = rejected(store, data, "enterprises", file_name=name)
    assert len(errors) == 1 and errors[0].row is None and reason in errors[0].reason


def test_oversized_path_is_refused_from_its_size_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(importer.MAX_FILE_BYTES + 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the whole file"))
    with pytest.raises(importer.ImportFailed) as failure:
        importer.read_file(path)
    assert failure.value.errors[0].reason.startswith("文件大小 100.0 MB 超过上限 100.0 MB")


def test_too_many_sheets_and_unzipped_size_are_refused(monkeypatch):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    for _ in range(4):
        book.add_worksheet().write("A1", "年度")
    book.close()
    monkeypatch.setattr(importer, "MAX_SHEETS", 3)
    with pytest.raises(importer.ImportFailed) as failure:
        importer.read_file(buffer.getvalue(), "sheets.xlsx")
    assert "工作表数 4 超过上限 3" in failure.value.errors[0].reason
    monkeypatch.setattr(importer, "MAX_SHEETS", 50)
    monkeypatch.setattr(importer, "MAX_UNZIPPED_BYTES", 2000)
    with pytest.raises(importer.ImportFailed) as failure:
        importer.read_file(buffer.getvalue(), "sheets.xlsx")
    assert "超过上限" in failure.value.errors[0].reason


def test_sparse_rows_keep_their_spreadsheet_numbers(store):
    """Blank rows are not kept in memory, but errors still name the row Excel shows."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    headers = list(firm(CODE_A))
    for col, key in enumerate(headers):
        sheet.write_string(2, col, TABLE_HEADERS["enterprises"][key])
        sheet.write_string(9, col, str(firm(CODE_A, tax="abc")[key]))
    book.close()
    errors = rejected(store, buffer.getvalue(), "enterprises", file_name="sparse.xlsx")
    assert [(e.row, e.value) for e in errors] == [(10, "abc")]


def test_legacy_xls_is_not_accepted(store):
    errors = rejected(store, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "enterprises", "old.xls")
    assert "不支持的文件类型" in errors[0].reason


# --- the checks in DuckDB (issue 15): same reading, same rules for CSV and xlsx ------------------


def stripped_cells(con: duckdb.DuckDBPyConnection, raw: importer.RawFile) -> list[tuple]:
    """The text cells of `raw` as the checks see them: row number, stripped values."""
    with importer._cells(con, raw):
        rows = con.execute(f"SELECT * FROM {importer._CELLS} ORDER BY row").fetchall()
    return [(row, *((v or "").strip() for v in values)) for row, *values in rows]


CSV_PIECES = st.sampled_from(
    ["a", "名", ",", ",", '"', '""', "\n", "\n", "\r\n", " ", "\u3000", "\t"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CSV_PIECES, max_size=60).map("".join), st.integers(1, 12))
def test_the_widest_line_is_found_whatever_pieces_the_bytes_are_scanned_in(text, piece):
    """`_widest` scans runs of whole lines of about `_SCAN_BYTES` (1 MB): with pieces of a
    few bytes, every way a line can fall on a piece's edge gives the count of the widest."""
    data = text.encode()
    expected = max(line.count(b",") for line in data.split(b"\n")) + 1
    with patch.object(importer, "_SCAN_BYTES", piece):
        assert importer._widest(data, ",", importer._lines(data)[0]) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(CSV_PIECES, min_size=1, max_size=40).map("".join))
def test_duckdb_reads_every_simple_csv_as_pandas_does(text):
    """Where `_simple_csv` lets DuckDB's reader in, it finds pandas' cells (and row numbers)."""
    data = text.encode()
    assume(importer._simple_csv(data, ","))
    try:
        expected = importer._csv_cells(text, ",")
    except pd.errors.ParserError:
        assume(False)
    width = importer._widest(data, ",", importer._lines(data)[0])
    raw = importer.RawFile("t.csv", "", csv=importer._Csv(data, ",", width))
    con = duckdb.connect()
    try:
        read = stripped_cells(con, raw)
    finally:
        con.close()
    pandas_rows = [
        (row, *(("" if pd.isna(v) else str(v)).strip() for v in values))
        for row, *values in expected.itertuples()
    ]
    narrow = max((len(r) for r in pandas_rows), default=1)
    assert [r[:narrow] for r in read] == pandas_rows
    assert all(not any(r[narrow:]) for r in read)  # DuckDB's extra columns are empty


def test_a_large_csv_keeps_its_row_numbers(store):
    """Rows read by DuckDB are numbered in file order (one thread), blank lines counted."""
    rng = random.Random(5)
    rows = [firm(creditcode.make_code(rng)) for _ in range(30_000)]
    for at in (0, 9_999, 29_999):
        rows[at]["tax"] = f"坏{at}"
    text = csv_bytes("enterprises", rows).decode().replace("\r\n", "\r\n\r\n", 2)
    errors = rejected(store, text.encode(), "enterprises")
    # Two blank lines after the header and the first firm push the later rows down by two.
    assert [(e.row, e.value) for e in errors] == [
        (3, "坏0"),
        (10_003, "坏9999"),
        (30_003, "坏29999"),
    ]


def test_csv_and_xlsx_give_the_same_errors(store_with_firms):
    rows = [
        firm(CODE_A, tax="x", industry="汽车", name="永康\x1b厂"),
        firm(CODE_B, year="1999", credit_code="91330000142916567M", veto="也许"),
        firm(CODE_C, employees="12.5", listing="IPO", land_own_mu="—"),
    ]
    keys = list(rows[0])
    csv_errors = rejected(store_with_firms, csv_bytes("enterprises", rows), "enterprises")
    header = [TABLE_HEADERS["enterprises"][k] for k in keys]
    xlsx = xlsx_bytes(header, [[str(row[k]) for k in keys] for row in rows])
    xlsx_errors = rejected(store_with_firms, xlsx, "enterprises", file_name="e.xlsx")
    assert [str(e) for e in csv_errors] == [str(e) for e in xlsx_errors]
    assert len(csv_errors) == 9


def test_blanks_of_every_kind_around_values_are_stripped(store):
    rows = [
        firm(CODE_A, industry="\u3000车业\u3000", town="\xa0东城街道", land_own_mu="\t20 "),
        firm(CODE_B, name="  永康测试企业  ", veto=" 否\u2003", tax="\u3000x\u3000"),
    ]
    errors = rejected(store, csv_bytes("enterprises", rows), "enterprises")
    assert [(e.row, e.column, e.value) for e in errors] == [(3, "税收实际贡献（万元）", "x")]


@pytest.mark.parametrize("value", ["1_000", "+-1", "1 2.5.1", "inf", "nan", "1e400", "0x10"])
def test_numbers_follow_their_own_grammar_not_duckdbs_looser_cast(store, value):
    errors = rejected(store, csv_bytes("enterprises", [firm(CODE_A, tax=value)]), "enterprises")
    assert [(e.column, e.value, e.reason) for e in errors] == [
        ("税收实际贡献（万元）", value, "不是有效的数字")
    ]


def test_numbers_the_cast_reads_as_written_end_as_the_grammars_steps_end(monkeypatch):
    """`_fast_sql` lets numbers DuckDB's cast reads skip the grammar's steps: for every short
    string of digits, points, signs, exponents, underscores and blanks (and a few more), the
    value and the rule are those of the steps alone."""
    cells = {"".join(p) for n in range(1, 5) for p in itertools.product("09.-+e_ ", repeat=n)}
    cells |= {"inf", "-inf", "nan", "1e400", "-1e400", "0x10", "\t7\t", "12\x0b", "1,000", "１"}
    text = pd.Series(sorted(cells))
    for key in ("tax", "employees"):
        col = importer.SPECS["enterprises"].column(key)
        fast, [(fast_bad, fast_reasons)] = importer.parse_column(col, text, frozenset())
        with monkeypatch.context() as patch:
            patch.setattr(importer, "_fast_sql", lambda col, c, n: "false")
            slow, [(slow_bad, slow_reasons)] = importer.parse_column(col, text, frozenset())
        pd.testing.assert_series_equal(fast, slow)
        assert fast_bad.tolist() == slow_bad.tolist()
        assert fast_reasons.tolist() == slow_reasons.tolist()


def test_quoted_line_breaks_and_blank_lines_are_read_by_pandas_with_the_same_numbers(store):
    """A name over two lines and a blank line: pandas reads such a file; rows keep numbers."""
    rows = [firm(CODE_A, name="永康\n测试"), firm(CODE_B), firm(CODE_C, tax="x")]
    text = csv_bytes("enterprises", rows).decode().replace("\r\n", "\r\n\r\n", 1)
    assert not importer._simple_csv(text.encode(), ",")
    errors = rejected(store, text.encode(), "enterprises")
    assert [(e.row, e.column) for e in errors] == [(3, "企业名称"), (5, "税收实际贡献（万元）")]
    assert errors[0].value == "永康\\n测试" and "U+000A" in errors[0].reason


def test_the_overall_cap_leaves_the_rest_counted_per_column(store, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ERRORS", 4)
    rows = [firm(CODE_A, tax="x", revenue="y", rd="z")] * 3
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    errors = failure.value.errors
    zh = TABLE_HEADERS["enterprises"]
    listed = [(e.row, e.column) for e in errors if not e.hidden]
    assert listed == [(2, zh["tax"]), (2, zh["revenue"]), (2, zh["rd"]), (3, zh["credit_code"])]
    more = {e.column: e.hidden for e in errors if e.hidden}
    assert more == {zh["tax"]: 2, zh["revenue"]: 2, zh["rd"]: 2, zh["credit_code"]: 1}
    assert failure.value.count == 9 + 2  # 9 cells and 2 repeated keys


def test_sql_trims_exactly_what_str_strip_does():
    assert set(importer._WHITESPACE) == {chr(i) for i in range(0x110000) if chr(i).isspace()}


def test_full_width_cells_beside_ascii_ones_read_the_same(store):
    rows = [firm(CODE_A, tax="１２．５", exempt="ｙｅｓ"), firm(CODE_B, tax="12.5", exempt="否")]
    importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    stored = store.execute("SELECT credit_code, tax, exempt FROM enterprises").fetchall()
    assert sorted(stored) == sorted([(CODE_A, 12.5, True), (CODE_B, 12.5, False)])


def test_rows_are_stored_in_file_order_across_row_groups(store):
    """The insert keeps the file's order without sorting (more rows than a DuckDB row group)."""
    rng = random.Random(5)
    codes = list({creditcode.make_code(rng) for _ in range(130_000)})
    rng.shuffle(codes)
    rows = [firm(code, tax=str(i)) for i, code in enumerate(codes)]
    importer.import_file(store, csv_bytes("enterprises", rows), "enterprises")
    stored = store.execute("SELECT credit_code, tax FROM enterprises").fetchall()
    assert stored == [(code, float(i)) for i, code in enumerate(codes)]


def test_check_characters_sql_function_matches_the_python_check(store):
    codes = [CODE_A, CODE_B, CODE_A[:-1] + "0", CODE_E, CODE_E[:-1] + "Y"]
    with importer._sql_functions(store):
        sql = f"SELECT {importer._CHECK_FUNCTION}(c) FROM unnest(?::VARCHAR[]) AS t(c)"
        got = store.execute(sql, [codes]).fetchall()
    assert [g for (g,) in got] == [creditcode.is_valid(c) for c in codes]


def test_import_of_an_ordinary_csv_does_not_load_pandas(tmp_path):
    """pandas costs `muyun import` 0.2 s at start; an ordinary CSV is read without it."""
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes("enterprises", [firm(CODE_A), firm(CODE_B)]))
    script = (
        "import sys; from muyun.cli import main; "
        f"code = main(['import', {str(path)!r}, '--table', 'enterprises', '--db', "
        f"{str(tmp_path / 'm.duckdb')!r}]); print(code, 'pandas' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 False"


def test_cli_reports_a_store_it_cannot_open_before_the_files_problems(tmp_path, capsys):
    """The file is read while the store opens; a broken store is still the only error."""
    bad = tmp_path / "corrupt.duckdb"
    bad.write_bytes(b"\x00muyun?" * 50_000)
    missing = tmp_path / "missing.csv"
    code = cli_main(["import", str(missing), "--table", "enterprises", "--db", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("数据库文件已损坏或不是 muyun 数据库")
    assert "missing.csv" not in err


def test_cli_reports_an_unreadable_file_once_the_store_is_open(tmp_path, capsys):
    target = tmp_path / "m.duckdb"
    missing = tmp_path / "missing.csv"
    code = cli_main(["import", str(missing), "--table", "enterprises", "--db", str(target)])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert "missing.csv" in err[0]
    assert err[-1] == "导入失败：共1处错误，数据库未作任何修改。"
    con = db.connect(target)
    assert con.execute("SELECT count(*) FROM import_log").fetchone() == (0,)
    con.close()


# --- the typed reading of a clean CSV (issue 15): the same rows and errors as the steps -------

# Cells of every kind an enterprise file holds: valid as written, valid after a step (blanks,
# full width, lower case, thousands, a dash for missing), and invalid.
TRICKY_CELLS = {
    "year": ["2024", "2023", " 2024", "２０２４", "2024.5", "", "-", "1e3"],
    "credit_code": [
        CODE_A,
        CODE_B,
        CODE_C,
        CODE_E,
        CODE_A.lower(),
        f" {CODE_B}",
        CODE_A[:-1] + "0",
    ],
    "name": ["永康甲有限公司", " 永康乙 ", "-", "", "x" * 101, "名\x07", "A+B", "=1+2"],
    "industry": ["车业", "五金工具", " 车业", "不存在的行业", ""],
    "scale": ["规上", "规下", "规 上", ""],
    "land_own_mu": ["20", "0", "1e1", "+5", "-1", "1,000", "１５", "", "-", "nan", "inf", "+-9"],
    "tax": ["300.5", "-2", ".5", "5.", "1_000", "1e400", " 7 ", "\t8", "", "abc", "00012"],
    "value_added": ["1500", "", "-", "0", "—"],
    "employees": ["120", "0", "12.5", "3000000000", "", "1e2", "-3"],
    "talents": ["30", "", "500", "-1"],
    "safety_incidents": ["0", "", "2", "1.0"],
    "listing": ["无", "", "上市", "其它"],
    "veto": ["否", "是", "", "yes", "Y", "n", "maybe"],
    "exempt": ["否", "", "是"],
}


def _typed_and_stepped(data: bytes) -> tuple[object, object, bool]:
    """What importing `data` gives through the typed reading (when it takes the file) and
    through the steps alone: the stored rows in file order, or the errors and warnings; and
    whether the typed reading took the file (the steps never ran)."""
    outcomes: list[object] = []
    stepped: list[bool] = []
    real = importer._rules_sql
    for typed in (True, False):
        con = db.connect(":memory:")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(importer, "_rules_sql", lambda *a, t=typed: stepped.append(t) or real(*a))
            if not typed:
                patch.setattr(importer, "_typed_rows", lambda *args: False)
            try:
                result = importer.import_file(con, data, "enterprises", file_name="e.csv")
                rows = con.execute("SELECT * FROM enterprises").fetchall()
                outcomes.append((rows, result.warnings))
            except importer.ImportFailed as failure:
                outcomes.append(([str(e) for e in failure.errors], failure.warnings))
        con.close()
    return outcomes[0], outcomes[1], True not in stepped


@pytest.mark.parametrize(
    "key, value",
    [(key, value) for key, values in TRICKY_CELLS.items() for value in values] + [(None, None)],
)
def test_typed_reading_gives_the_steps_rows_and_errors(key, value):
    """A valid file with one cell changed to a value of any kind: the stored rows (when the file
    is still valid), errors and warnings are those of the rules' steps."""
    changed = firm(CODE_B, **({key: value} if key else {}))
    typed, stepped, took = _typed_and_stepped(csv_bytes("enterprises", [firm(CODE_A), changed]))
    assert typed == stepped
    if key is None:  # the clean file is read typed and stored
        assert took and [row[1] for row in typed[0]] == [CODE_A, CODE_B]


def _shaped(shape: str) -> bytes:
    """Valid cells in files of every shape the checks handle beyond single cells."""
    rows = [firm(CODE_A), firm(CODE_B), firm(CODE_C, scale="规下", value_added="", employees="")]
    if shape == "duplicate key and scale rule":
        rows = [firm(CODE_A), firm(CODE_B, value_added=""), firm(CODE_A)]
    if shape == "talents above employees (a warning)":
        rows[1]["talents"] = "500"
    text = csv_bytes("enterprises", rows).decode()
    header, *lines = text.strip().split("\r\n")
    if shape == "title rows above the header":
        return ("2024年企业监测数据,,\r\n说明\r\n" + text).encode()
    if shape == "a row of empty cells and a short row":
        short = ",".join(lines[2].split(",")[:21])  # veto and exempt left out: their defaults
        return "\r\n".join([header, lines[0], ",,,,", lines[1], short, ""]).encode()
    if shape == "extra columns, named and unnamed":
        lines = [f"{line},x,,见附件" for line in lines]
        return "\r\n".join([f"{header},备注,,", *lines, ""]).encode()
    if shape == "English headers in another order, optional columns absent":
        keys = ["tax", "year", "name", "credit_code", "scale", "industry", "town", "revenue"]
        keys += ["land_own_mu", "value_added", "employees"]
        return csv_bytes("enterprises", rows, english=True, columns=keys)
    return text.encode()


@pytest.mark.parametrize(
    "shape",
    [
        "plain",
        "duplicate key and scale rule",
        "talents above employees (a warning)",
        "title rows above the header",
        "a row of empty cells and a short row",
        "extra columns, named and unnamed",
        "English headers in another order, optional columns absent",
    ],
)
def test_typed_reading_keeps_row_numbers_and_the_table_rules(shape):
    """Clean cells in files of every shape: the typed reading takes the file and gives the
    steps' rows, errors (numbered as the spreadsheet numbers rows) and warnings."""
    typed, stepped, took = _typed_and_stepped(_shaped(shape))
    assert took
    assert typed == stepped


def test_a_clean_csv_is_read_typed_and_a_file_with_one_stepped_cell_is_not(store, monkeypatch):
    """A clean file never reaches the steps; one full-width digit sends it through them."""
    stepped = []
    real = importer._rules_sql
    monkeypatch.setattr(importer, "_rules_sql", lambda *a: stepped.append(1) or real(*a))
    clean = [firm(CODE_A), firm(CODE_B, scale="规下", value_added="", employees="")]
    importer.import_file(store, csv_bytes("enterprises", clean), "enterprises")
    assert stepped == []
    stored = store.execute("SELECT credit_code, value_added, employees, veto FROM enterprises")
    assert stored.fetchall() == [(CODE_A, 1500.0, 120, False), (CODE_B, None, None, False)]
    importer.import_file(store, csv_bytes("enterprises", [firm(CODE_C, tax="３")]), "enterprises")
    assert stepped == [1]
    tables = store.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    assert tables == []  # the reader's rejects tables are dropped


def test_the_typed_reader_reads_no_number_the_rules_refuse(tmp_path):
    """Every string of up to four number signs, blanks and letters that DuckDB's typed reader
    takes as a finite number is read by the rules' steps as that same number, except those
    with "_" or "+-", for which `_csv_table` offers no typed reader."""
    alphabet = "09.-+eE_ \tdfxin"
    cells = sorted({"".join(p) for n in range(1, 4) for p in itertools.product(alphabet, repeat=n)})
    cells += ["+-9.5", "1_000", "0_1e3", "12345678901234567890", "1e-400", "-0"]
    col = importer.SPECS["enterprises"].column("tax")
    stepped, _ = importer.parse_column(col, pd.Series(cells), frozenset())
    path = tmp_path / "numbers.csv"
    path.write_text("".join(f"{c}\n" for c in cells), encoding="utf-8")
    con = duckdb.connect()
    read = con.execute(
        f"SELECT x FROM read_csv('{path}', header = false, auto_detect = false,"
        " columns = {'x': 'DOUBLE'}, delim = ',', quote = '\"', escape = '\"',"
        " parallel = false, store_rejects = true)"
    ).fetchall()
    rejected = {line for (line,) in con.execute("SELECT line FROM reject_errors").fetchall()}
    con.close()
    pairs = enumerate(zip(cells, stepped, strict=True), 1)
    kept = [(c, s) for line, (c, s) in pairs if line not in rejected]
    assert len(kept) == len(read) > 100
    differ = [
        c
        for (c, s), (x,) in zip(kept, read, strict=True)
        if x is not None and math.isfinite(x) and s != x  # NaN: refused by the steps
    ]
    assert differ and all("_" in c or "+-" in c for c in differ)

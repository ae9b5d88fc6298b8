"""Import of the issue-14 tables (镇街年度目标, 专项政策参与企业): the data dictionary's rules —
Chinese or English headers, all-or-nothing, every error with row, column and value, templates,
the command line — exactly as for the other tables (helpers shared with tests/test_importer.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook
from test_importer import CODE_A, CODE_B, CODE_E, csv_bytes, firm

from muyun import db, importer
from muyun.cli import main as cli_main
from muyun.labels import TABLE_HEADERS, TABLE_NAMES, TEMPLATE_GUIDE_SHEET

REPO_ROOT = Path(__file__).resolve().parent.parent
NEW_TABLES = ("town_targets", "programme_participation")


def town_target(town: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": "2024",
        "town": town,
        "tax_per_mu_growth_pct": "5",
        "va_per_mu_growth_pct": "6.5",
        "land_rectified_mu": "1,200",
        "d_firms_cleared": "3",
        "low_eff_handled": "10",
    }
    row.update(overrides)
    return row


def participant(code: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": "2023",
        "programme": "N+X 数字化改造",
        "credit_code": code,
        "funds_10k": "12",
        "project": "轻量化数字化改造（第一批）",
    }
    row.update(overrides)
    return row


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
        for t in (*NEW_TABLES, "import_log")
    }


def rejected(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> list:
    before = snapshot(con)
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(con, csv_bytes(table, rows), table, file_name="bad.csv")
    assert snapshot(con) == before
    return failure.value.errors


@pytest.fixture
def store():
    con = db.connect(":memory:")
    firms = [firm(CODE_A), firm(CODE_B)]
    importer.import_file(con, csv_bytes("enterprises", firms), "enterprises", file_name="e.csv")
    yield con
    con.close()


def test_migration_7_holds_the_new_tables(store):
    assert db.SCHEMA_VERSION >= 7
    for table in NEW_TABLES:
        assert store.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
        assert table in TABLE_NAMES and table in importer.SPECS


def test_town_targets_import_with_chinese_or_english_headers(store):
    rows = [
        town_target("东城街道"),
        town_target("芝英镇", d_firms_cleared="", land_rectified_mu="-"),
    ]
    result = importer.import_file(
        store, csv_bytes("town_targets", rows, encoding="gbk"), "town_targets", file_name="t.csv"
    )
    assert result.rows_added == 2 and result.years == (2024,)
    stored = store.execute(
        "SELECT town, tax_per_mu_growth_pct, land_rectified_mu, d_firms_cleared "
        "FROM town_targets ORDER BY town DESC"
    ).fetchall()
    assert ("东城街道", 5.0, 1200.0, 3) in stored
    assert ("芝英镇", 5.0, None, None) in stored  # a blank target is "not set", not zero
    again = [town_target("东城街道", land_rectified_mu="900")]
    data = csv_bytes("town_targets", again, english=True)
    result = importer.import_file(store, data, "town_targets", file_name="t2.csv")
    assert (result.rows_added, result.rows_replaced) == (0, 1)


def test_programme_participation_imports(store):
    rows = [participant(CODE_A), participant(CODE_B, funds_10k="", project="")]
    result = importer.import_file(
        store,
        csv_bytes("programme_participation", rows),
        "programme_participation",
        file_name="p.csv",
    )
    assert result.rows_added == 2
    assert store.execute(
        "SELECT sum(funds_10k), count(project) FROM programme_participation"
    ).fetchall() == [(12.0, 1)]


TOWN_RULES = [
    ("unknown-town", [town_target("火星镇")], "town", "火星镇", "镇街"),
    ("negative-land", [town_target("东城街道", land_rectified_mu="-5")], "land_rectified_mu",
     "-5", "应大于或等于0"),
    ("fraction-firms", [town_target("东城街道", d_firms_cleared="2.5")], "d_firms_cleared",
     "2.5", "整数"),
    ("growth-out-of-range", [town_target("东城街道", tax_per_mu_growth_pct="-150")],
     "tax_per_mu_growth_pct", "-150", "-100"),
    ("duplicate-town", [town_target("东城街道"), town_target("东城街道")], "town", "东城街道",
     "与第2行重复"),
    ("year-missing", [town_target("东城街道", year="")], "year", "", "必填项不能为空"),
]  # fmt: skip
PROGRAMME_RULES = [
    ("not-a-firm", [participant(CODE_E)], "credit_code", CODE_E, "企业监测数据中没有该企业"),
    ("bad-code", [participant("91330784597215142X")], "credit_code", "91330784597215142X", ""),
    ("duplicate", [participant(CODE_A), participant(CODE_A)], "credit_code", CODE_A,
     "与第2行重复"),
    ("negative-funds", [participant(CODE_A, funds_10k="-1")], "funds_10k", "-1",
     "应大于或等于0"),
    ("control-char", [participant(CODE_A, programme="N+X\x1b改造")], "programme",
     "N+X\x1b改造", ""),
    ("programme-empty", [participant(CODE_A, programme="")], "programme", "", "必填项不能为空"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "rows", "key", "value", "reason"),
    [("town_targets", *c[1:]) for c in TOWN_RULES]
    + [("programme_participation", *c[1:]) for c in PROGRAMME_RULES],
    ids=[c[0] for c in TOWN_RULES + PROGRAMME_RULES],
)
def test_bad_files_are_refused_whole_naming_row_column_value(
    store, table, rows, key, value, reason
):
    errors = rejected(store, table, rows)
    error = errors[-1]
    assert error.row == len(rows) + 1, errors
    assert error.column == TABLE_HEADERS[table][key]
    assert error.value.replace("\\x1b", "\x1b") == value
    assert reason in error.reason


def test_every_error_of_a_file_is_listed(store):
    rows = [town_target("火星镇"), town_target("东城街道", low_eff_handled="-1")]
    errors = rejected(store, "town_targets", rows)
    assert [(e.row, e.column) for e in errors] == [
        (2, TABLE_HEADERS["town_targets"]["town"]),
        (3, TABLE_HEADERS["town_targets"]["low_eff_handled"]),
    ]


def test_hostile_input_limits_apply(store, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows = [town_target(t) for t in ("东城街道", "西城街道", "江南街道", "芝英镇")]
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file(
            store, csv_bytes("town_targets", rows), "town_targets", file_name="big.csv"
        )
    assert failure.value.errors[0].row is None
    assert store.execute("SELECT count(*) FROM town_targets").fetchall() == [(0,)]


@pytest.mark.parametrize("table", NEW_TABLES)
def test_shipped_templates_match_the_spec(table, tmp_path):
    shipped = REPO_ROOT / "data" / "templates" / f"{table}.xlsx"
    fresh = importer.write_template(table, tmp_path / f"{table}.xlsx")
    book = CalamineWorkbook.from_path(str(shipped))
    assert book.sheet_names[1] == TEMPLATE_GUIDE_SHEET
    assert book.get_sheet_by_index(0).to_python()[0] == list(TABLE_HEADERS[table].values())
    assert shipped.read_bytes() == fresh.read_bytes(), "regenerate: importer.write_templates()"


def test_the_demo_tables_round_trip(demo_db_path, tmp_path):
    source = db.connect(demo_db_path, read_only=True)
    target = db.connect(tmp_path / "copy.duckdb")
    try:
        firms = source.execute("SELECT * FROM enterprises").df()
        target.register("f", firms)
        target.execute("INSERT INTO enterprises SELECT * FROM f")
        for table in NEW_TABLES:
            frame = source.execute(f"SELECT * FROM {table}").df()
            data = frame.rename(columns=TABLE_HEADERS[table]).to_csv(index=False).encode("gbk")
            result = importer.import_file(target, data, table, file_name=f"{table}.csv")
            assert result.rows_added == len(frame) > 0 and result.warnings == []
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert target.execute(query).fetchall() == source.execute(query).fetchall()
    finally:
        source.close()
        target.close()


def test_cli_accepts_the_new_tables(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes("town_targets", [town_target("东城街道")]))
    target = tmp_path / "m.duckdb"
    code = cli_main(["import", str(path), "--table", "town_targets", "--db", str(target)])
    assert code == 0
    assert TABLE_NAMES["town_targets"] in capsys.readouterr().out

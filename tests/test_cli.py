"""`python -m muyun`: the four sub-commands are wired up and their help texts come from labels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from muyun import labels
from muyun.cli import COMMANDS, build_parser, main

REPO_ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = ("demo-data", "import", "score", "report", "account", "evaluation", "audit")


def test_module_help_lists_the_four_commands():
    done = subprocess.run(
        [sys.executable, "-m", "muyun", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert labels.CLI_DESCRIPTION in done.stdout
    for command in SUBCOMMANDS:
        assert command in done.stdout
    assert len(COMMANDS) == len(SUBCOMMANDS)


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("demo-data", labels.DEMO_CLI_TEXT["db"]),
        ("import", labels.IMPORT_CLI_TEXT["file"]),
        ("score", labels.SCORE_CLI_TEXT["arg_out"]),
        ("report", labels.REPORT_CLI_TEXT["code"]),
    ],
)
def test_each_subcommand_help_exits_0(command, text, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m muyun {command}" in out
    assert "".join(text.split())[:12] in "".join(out.split())  # argparse re-wraps lines


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_every_command_sets_its_function():
    parser = build_parser()
    for command in SUBCOMMANDS:
        args = parser.parse_args([command, *_required(command)])
        assert callable(args.func)


def test_top_level_help_is_the_same_without_loading_the_commands():
    assert build_parser(()).format_help() == build_parser().format_help()


def test_a_command_loads_no_other_command_module():
    """`score` (a province's CSV, run often) does not pay for PDF fonts, accounts or audit."""
    probe = (
        "import sys\n"
        "from muyun.cli import main\n"
        "try:\n"
        "    main(['score', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('muyun', 'fpdf'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = done.stdout.splitlines()[-1]
    assert "muyun.cli.score_cmd" in loaded
    for module in ("fpdf", "muyun.datasheet", "muyun.accounts", "muyun.audit", "report_cmd"):
        assert module not in loaded


def _required(command: str) -> list[str]:
    """The least each command's parser accepts (parsing only: nothing runs)."""
    return {
        "demo-data": [],
        "import": ["x.csv", "--table", "enterprises"],
        "score": ["--db", "x.duckdb", "--out", "o.csv"],
        "report": ["--year", "2024", "--out", "o.pdf"],
        "account": ["list"],
        "evaluation": ["status", "--db", "x.duckdb"],
        "audit": ["verify", "--db", "x.duckdb"],
    }[command]


# ── `muyun score` and the policy money (methodology §9, issue 12) ──────────────────────────

POLICY_PROFILE = """
[meta]
name = "政策测算测试方案"

[scales."规下".indicators]
tax_per_mu = { weight = 50, benchmark = "average" }
tax_per_kwh = { weight = 50, benchmark = "average" }
"""
POLICY_SECTION = """
[policy]
illustrative = true

[policy.electricity_surcharge]
C = 0.05
D = 0.30
repeat = { tier = "D", years = 3, rate = 0.40 }

[policy.water_surcharge]
base_price = 4.5
D = 30

[policy.land_tax_relief]
rate = 6.0
A = 100
B = 50
"""
MONEY = ["electricity_surcharge", "water_surcharge", "land_tax_relief", "policy_net"]


def three_year_file(tmp_path: Path) -> tuple[Path, list[str]]:
    """50 规下 firms of one pool over 2022–2024; firm 0 is last (D) every year."""
    import random

    import pandas as pd

    from muyun import creditcode

    rng = random.Random(12)
    codes = [creditcode.make_code(rng) for _ in range(50)]
    rows = [
        {
            "year": year,
            "credit_code": c,
            "name": f"政策企业{i}",
            "industry": "车业",
            "town": "芝英镇",
            "scale": "规下",
            "land_own_mu": 15,
            "tax": 1 if i == 0 else 100 + 10 * i + year % 10,
            "revenue": 1000,
            "electricity_10k_kwh": 100,
            "water_t": 10_000 if i == 0 else "-",
            "veto": "否",
            "exempt": "否",
        }
        for year in (2022, 2023, 2024)
        for i, c in enumerate(codes)
    ]
    path = tmp_path / "企业.csv"
    pd.DataFrame(rows).rename(columns=labels.TABLE_HEADERS["enterprises"]).to_csv(path, index=False)
    return path, codes


def test_score_writes_the_policy_columns_only_with_a_policy_section(tmp_path):
    import pandas as pd

    enterprises, codes = three_year_file(tmp_path)
    with_policy = tmp_path / "with.toml"
    with_policy.write_text(POLICY_PROFILE + POLICY_SECTION, encoding="utf-8")
    without = tmp_path / "without.toml"
    without.write_text(POLICY_PROFILE, encoding="utf-8")
    out = tmp_path / "R.csv"
    argv = ["score", "--input", str(enterprises), "--out", str(out)]
    assert main([*argv, "--profile", str(with_policy)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"credit_code": str})
    assert set(MONEY) <= set(table.columns)
    last = table[table["credit_code"] == codes[0]].set_index("year")
    assert (last["tier"] == "D").all()
    # 100 万千瓦时 × 0.30; in 2024 the third D year running: × 0.40 (the same file's years).
    assert last["electricity_surcharge"].tolist() == pytest.approx([30.0, 30.0, 40.0])
    assert last["water_surcharge"].tolist() == pytest.approx([1.35] * 3)
    assert last["policy_net"].tolist() == pytest.approx([-31.35, -31.35, -41.35])
    a_firms = table[table["tier"] == "A"]
    assert len(a_firms) and a_firms["land_tax_relief"].to_numpy() == pytest.approx(6.0)
    untiered = table["tier"].isna()
    assert (table.loc[untiered, MONEY].to_numpy() == 0).all()

    assert main([*argv, "--profile", str(without)]) == 0
    plain = pd.read_csv(out, encoding="utf-8-sig")
    assert not set(MONEY) & set(plain.columns)
    assert plain["total"].tolist() == pytest.approx(table["total"].tolist())


def test_score_single_year_from_a_store_looks_back_in_the_store(tmp_path):
    import pandas as pd

    from muyun import db, importer

    enterprises, codes = three_year_file(tmp_path)
    store = tmp_path / "store.duckdb"
    con = db.connect(store)
    importer.import_file(con, enterprises, "enterprises")
    con.close()
    with_policy = tmp_path / "with.toml"
    with_policy.write_text(POLICY_PROFILE + POLICY_SECTION, encoding="utf-8")
    out = tmp_path / "R.xlsx"
    argv = ["score", "--db", str(store), "--year", "2024", "--profile", str(with_policy)]
    assert main([*argv, "--out", str(out)]) == 0
    sheet = pd.read_excel(out, engine="calamine", dtype={"统一社会信用代码": str})
    row = sheet[sheet["统一社会信用代码"] == codes[0]].iloc[0]
    assert row[labels.POLICY_COLUMNS_ZH["electricity_surcharge"]] == pytest.approx(40.0)
    assert set(labels.POLICY_COLUMNS_ZH.values()) <= set(sheet.columns)


def test_score_input_matches_scoring_the_same_file_in_a_store(tmp_path):
    """`--input` scores in a throwaway store without the key index: the same bytes as `--db`."""
    from muyun import db, importer

    enterprises, _codes = three_year_file(tmp_path)
    store = tmp_path / "store.duckdb"
    con = db.connect(store)
    importer.import_file(con, enterprises, "enterprises")
    con.close()
    profile = ["--profile", "yongkang-default"]
    assert (
        main(["score", "--input", str(enterprises), *profile, "--out", str(tmp_path / "i.csv")])
        == 0
    )
    lines = (tmp_path / "i.csv").read_bytes().splitlines(keepends=True)
    assert (
        main(
            [
                "score",
                "--db",
                str(store),
                "--year",
                "2024",
                *profile,
                "--out",
                str(tmp_path / "d.csv"),
            ]
        )
        == 0
    )
    from_store = (tmp_path / "d.csv").read_bytes().splitlines(keepends=True)
    header = lines[0].removeprefix(b"\xef\xbb\xbf")
    assert from_store[0].removeprefix(b"\xef\xbb\xbf") == header
    assert from_store[1:] == [line for line in lines[1:] if line.startswith(b"2024,")]


def test_the_throwaway_store_keeps_the_enterprise_columns_and_types(tmp_path):
    from muyun import db
    from muyun.cli import score_cmd

    con = db.connect(":memory:")
    query = "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'enterprises'"
    before = con.execute(query).fetchall()
    score_cmd._without_key_index(con, "enterprises")
    assert con.execute(query).fetchall() == before
    keys = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'enterprises'"
    assert con.execute(keys + " AND constraint_type = 'PRIMARY KEY'").fetchone() == (0,)
    con.close()


def test_score_input_still_refuses_repeated_keys(tmp_path, capsys):
    enterprises, _codes = three_year_file(tmp_path)
    lines = enterprises.read_text(encoding="utf-8").splitlines()
    enterprises.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    out = tmp_path / "R.csv"
    argv = ["score", "--input", str(enterprises), "--profile", "yongkang-default"]
    assert main([*argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"第{len(lines) + 1}行" in err and "与第2行重复" in err
    assert not out.exists()

"""The evaluation cycle (muyun.evaluation): frozen runs, corrections with their knock-on effects,
overrides, publication and who may do what."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from muyun import audit, db, evaluation, importer, labels, policy, profile, report, scoring
from muyun.accounts import ROLE_ADMIN, ROLE_CLERK, Account
from muyun.cli import main as cli_main

YEAR = 2024
FIRM = {
    "year": YEAR,
    "industry": "车业",
    "town": "东城街道",
    "scale": "规上",
    "land_own_mu": 10.0,
    "tax": 100.0,
    "revenue": 1000.0,
}
ADMIN = Account("wang", "王科长", ROLE_ADMIN)
CLERK = Account("li", "李经办", ROLE_CLERK)
# Two average-benchmark indicators, A = the top 20 % (one firm of five): a firm's tax moves the
# tax benchmark, hence everybody else's tax score, hence the order of the others.
POOL_PROFILE = """
[meta]
name = "联动测试方案"
[tiers]
a_pct = 20
[scales."规上".indicators]
tax_per_mu = { weight = 50, benchmark = "average", cap = 2.0 }
revenue_per_mu = { weight = 50, benchmark = "average", cap = 2.0 }
"""
X, Y, Z = "T00000", "T00001", "T00002"
POOL = [
    dict(tax=10, revenue=100),  # X: corrected below
    dict(tax=120, revenue=900),  # Y: the A firm, on tax
    dict(tax=60, revenue=1500),  # Z: second, on revenue
    dict(tax=30, revenue=300),
    dict(tax=20, revenue=200),
]


@pytest.fixture
def pool_db(tmp_path: Path):
    database = db.Database(tmp_path / "pool.duckdb")
    with database.write() as cur:
        insert(cur, POOL)
    yield database
    database.close()


@pytest.fixture
def pool_run(pool_db) -> int:
    return evaluation.create_run(pool_db, YEAR, POOL_PROFILE, profile_id="pool-test", actor=ADMIN)


def code(i: int) -> str:
    return f"T{i:05d}"


def insert(cur, firms: list[dict], leases: list[dict] = ()) -> None:
    """Firms T00000, T00001, … (defaults above) and registered or unregistered leases."""
    for i, firm in enumerate(firms):
        row = {**FIRM, "credit_code": code(i), "name": f"测试企业{i}", **firm}
        cur.execute(
            f"INSERT INTO enterprises ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    for lease in leases:
        cur.execute(
            "INSERT INTO leases (year, lessor_code, lessee_code, land_mu, registered) "
            "VALUES (?, ?, ?, ?, ?)",
            [YEAR, lease["lessor"], lease["lessee"], lease["land_mu"], lease["registered"]],
        )


def _noticed(database: db.Database, run_id: int) -> None:
    evaluation.start_notice(database, run_id, start=date(2025, 3, 1), days=7, actor=ADMIN)


def test_run_result_is_the_live_score_and_the_snapshot_rescore_bit_for_bit(demo_db_copy):
    database = db.Database(demo_db_copy)
    try:
        con = database.reader()
        prof_path = profile.profile_path(profile.DEFAULT_PROFILE)
        run_id = evaluation.create_run(
            database,
            2024,
            prof_path.read_text(encoding="utf-8"),
            profile_id=profile.DEFAULT_PROFILE,
            actor=ADMIN,
        )
        stored = evaluation.scored_columns(evaluation.run_result(con, run_id))
        live = scoring.score_year(con, 2024, profile.load_profile(prof_path))
        pd.testing.assert_frame_equal(stored, live, check_exact=True)
        pd.testing.assert_frame_equal(
            evaluation.rescore_snapshot(con, run_id), stored, check_exact=True
        )

        # A later import changes the live year (a firm's tax, through the importer), and rows
        # go: the run does not move, and still re-scores to its stored result.
        first = str(live.loc[live["scale"] == "规上", "credit_code"].iloc[0])
        row = con.execute(
            "SELECT * FROM enterprises WHERE year = 2024 AND credit_code = ?", [first]
        ).df()
        row["tax"] = row["tax"] * 3
        row = row.rename(columns=labels.TABLE_HEADERS["enterprises"])
        for flag in ("一票否决", "不参与定级"):
            row[flag] = row[flag].map({True: "是", False: "否"})
        csv = row.to_csv(index=False).encode("utf-8")
        importer.import_file(database, csv, "enterprises", file_name="later.csv")
        assert con.execute(
            "SELECT tax FROM enterprises WHERE year = 2024 AND credit_code = ?", [first]
        ).fetchall()[0][0] == pytest.approx(
            float(live.set_index("credit_code").at[first, "tax"]) * 3
        )
        with database.write() as cur:
            cur.execute(
                "DELETE FROM enterprises WHERE year = 2024 AND credit_code IN (SELECT credit_code "
                "FROM enterprises WHERE year = 2024 AND credit_code <> ? ORDER BY credit_code "
                "LIMIT 5)",
                [first],
            )
            cur.execute("DELETE FROM leases WHERE year = 2024")
        changed = scoring.score_year(con, 2024, profile.load_profile(prof_path))
        assert len(changed) != len(live)
        again = evaluation.scored_columns(evaluation.run_result(con, run_id))
        pd.testing.assert_frame_equal(again, stored, check_exact=True)
        pd.testing.assert_frame_equal(
            evaluation.rescore_snapshot(con, run_id), stored, check_exact=True
        )
        run = evaluation.get_run(con, run_id)
        assert run.stage == labels.EVAL_STAGES[0]
        assert run.muyun_version
    finally:
        database.close()


def test_correcting_x_moves_y_out_of_a_and_the_preview_lists_y(pool_db, pool_run):
    con = pool_db.reader()
    before = evaluation.run_result(con, pool_run).set_index("credit_code")
    assert before.loc[Y, "tier"] == "A"
    changes = evaluation.parse_changes({"tax": "400"})
    preview = evaluation.preview_correction(con, pool_run, X, changes)
    moved = preview.moved.set_index("credit_code")
    assert Y in moved.index
    assert (moved.loc[Y, "tier_before"], moved.loc[Y, "tier_after"]) == ("A", "B")
    assert moved.loc[Z, "tier_after"] == "A"
    assert moved.loc[X, "tier_after"] != "A"
    # Nothing is written by a preview.
    pd.testing.assert_frame_equal(
        evaluation.run_result(con, pool_run).set_index("credit_code"), before
    )

    evaluation.apply_correction(pool_db, pool_run, X, changes, reason="税务证明", actor=CLERK)
    after = evaluation.run_result(con, pool_run).set_index("credit_code")
    assert after.loc[Y, "tier"] == "B" and after.loc[Z, "tier"] == "A"
    assert after.loc[X, "tax"] == 400
    pd.testing.assert_frame_equal(
        evaluation.rescore_snapshot(con, pool_run),
        evaluation.scored_columns(evaluation.run_result(con, pool_run)),
        check_exact=True,
    )
    fixes = evaluation.corrections(con, pool_run)
    assert fixes[["column_name", "old_value", "new_value"]].values.tolist() == [
        ["tax", "10.0", "400.0"]
    ]
    log = audit.log_frame(con, pool_run)
    assert log["action"].iloc[-1] == labels.EVAL_TEXT["act_correct"]
    assert '"tax":10.0' in log["before_json"].iloc[-1]
    assert Y in log["after_json"].iloc[-1]


def test_cli_correct_prints_each_firm_whose_tier_changes(pool_db, pool_run, capsys):
    path = str(pool_db.path)
    pool_db.close()
    args = ["evaluation", "correct", "--db", path, "--run", str(pool_run), "--code", X]
    assert cli_main([*args, "--set", "tax=400", "--reason", "税务证明"]) == 0
    out = capsys.readouterr().out
    assert f"{Y} A → B" in out and f"{Z} B → A" in out
    assert cli_main([*args, "--set", "tax=很多", "--reason", "x"]) == 1
    assert "税收实际贡献" in capsys.readouterr().err


def test_bad_corrections_are_refused_in_chinese():
    with pytest.raises(evaluation.EvaluationError, match="不能更正"):
        evaluation.parse_changes({"credit_code": "X"})
    with pytest.raises(evaluation.EvaluationError, match="营业收入"):
        evaluation.parse_changes({"revenue": "-5"})
    assert evaluation.parse_changes({"value_added": ""}) == {"value_added": None}
    assert evaluation.parse_changes({"veto": "是", "employees": "12"}) == {
        "veto": True,
        "employees": 12,
    }


def test_a_correction_must_keep_the_row_valid(pool_db, pool_run):
    with pytest.raises(evaluation.EvaluationError, match="规上企业必须填写"):
        evaluation.preview_correction(
            pool_db.reader(), pool_run, X, evaluation.parse_changes({"employees": ""})
        )
    with pytest.raises(evaluation.EvaluationError, match="镇街"):
        evaluation.preview_correction(pool_db.reader(), pool_run, X, {"town": "火星镇"})


def test_override_changes_that_firm_only_and_shows_in_exports_and_reports(pool_db, pool_run):
    con = pool_db.reader()
    before = evaluation.run_result(con, pool_run).set_index("credit_code")
    evaluation.set_override(
        pool_db, pool_run, Y, tier="C", reason="安全生产一票否决", basis="办法第十条", actor=ADMIN
    )
    after = evaluation.run_result(con, pool_run).set_index("credit_code")
    assert after.loc[Y, "tier"] == "C" and after.loc[Y, "computed_tier"] == "A"
    assert after.loc[Y, "override_reason"] == "安全生产一票否决"
    others = after.index != Y
    pd.testing.assert_series_equal(after.loc[others, "tier"], before.loc[others, "tier"])
    for column in ("total", "rank", "pool_size"):
        pd.testing.assert_series_equal(after[column], before[column])

    table = evaluation.export_table(con, pool_run).set_index("credit_code")
    assert "安全生产一票否决" in table.loc[Y, "override"] and table.loc[Z, "override"] == ""
    assert set(table["stage"]) == {labels.EVAL_STAGES[0]}
    assert table.loc[Y, "tier"] == "C"

    data = report.build_report(evaluation.report_context(con, pool_run), Y)
    assert data.tier == "C"
    assert any("调档" in value and "安全生产一票否决" in value for _, value in data.result)

    evaluation.set_override(
        pool_db, pool_run, X, tier="不定级", reason="新投产", basis="b", actor=ADMIN
    )
    result = evaluation.run_result(con, pool_run).set_index("credit_code")
    assert pd.isna(result.loc[X, "tier"]) and result.loc[X, "override_tier"] == "不定级"
    notice = evaluation.notice_list(con, pool_run).set_index("credit_code")
    assert notice.loc[X, "tier"] == "不定级"
    assert "tax" not in notice.columns and "total" not in notice.columns
    with pytest.raises(evaluation.EvaluationError, match="理由和依据"):
        evaluation.set_override(pool_db, pool_run, Z, tier="A", reason="", basis="", actor=ADMIN)


def test_publish_locks_the_run_and_one_run_per_year(pool_db, pool_run):
    with pytest.raises(evaluation.EvaluationError, match="公示中"):
        evaluation.publish(pool_db, pool_run, actor=ADMIN)
    _noticed(pool_db, pool_run)
    objection = evaluation.register_objection(
        pool_db,
        pool_run,
        X,
        received=date(2025, 3, 2),
        channel=labels.EVAL_CHANNELS[0],
        grounds="税收少算",
        evidence=None,
        actor=CLERK,
    )
    with pytest.raises(evaluation.EvaluationError, match="未作出处理决定"):
        evaluation.publish(pool_db, pool_run, actor=ADMIN)
    evaluation.decide_objection(pool_db, objection, accept=False, reason="证明不足", actor=CLERK)
    with pytest.raises(evaluation.EvaluationError, match="无权"):
        evaluation.publish(pool_db, pool_run, actor=CLERK)
    # The notice runs 2025-03-01 … 03-07: firms may object until its last day.
    with pytest.raises(evaluation.EvaluationError, match="公示期满后（2025-03-08 起）"):
        evaluation.publish(pool_db, pool_run, actor=ADMIN, today=date(2025, 3, 7))
    evaluation.publish(pool_db, pool_run, actor=ADMIN, today=date(2025, 3, 8))
    con = pool_db.reader()
    assert evaluation.published_run(con, YEAR).id == pool_run

    changes = evaluation.parse_changes({"tax": "400"})
    with pytest.raises(evaluation.EvaluationError, match="锁定"):
        evaluation.apply_correction(pool_db, pool_run, X, changes, reason="r", actor=ADMIN)
    with pytest.raises(evaluation.EvaluationError, match="锁定"):
        evaluation.set_override(pool_db, pool_run, X, tier="A", reason="r", basis="b", actor=ADMIN)

    second = evaluation.create_run(pool_db, YEAR, POOL_PROFILE, profile_id="p2", actor=ADMIN)
    _noticed(pool_db, second)
    with pytest.raises(evaluation.EvaluationError, match="每年只能发布一个"):
        evaluation.publish(pool_db, second, actor=ADMIN)

    history = evaluation.published_tier_history(con, YEAR)
    assert list(history) == [YEAR] and history[YEAR][Y] == "A"
    assert evaluation.published_tier_history(con, YEAR - 1) == {}


def test_cli_publish_then_correct_and_override_are_refused(pool_db, pool_run, capsys):
    path = str(pool_db.path)
    pool_db.close()
    base = ["--db", path, "--run", str(pool_run)]
    notice = ["evaluation", "notice", *base, "--start", "2025-03-01", "--days", "7"]
    assert cli_main([*notice, "--out", str(Path(path).with_name("n.xlsx"))]) == 0
    assert cli_main(["evaluation", "publish", *base]) == 0
    capsys.readouterr()
    code_ = ["--code", X, "--reason", "r"]
    assert cli_main(["evaluation", "correct", *base, *code_, "--set", "tax=1"]) == 1
    assert "锁定" in capsys.readouterr().err
    assert cli_main(["evaluation", "override", *base, *code_, "--tier", "A"]) == 1
    assert "锁定" in capsys.readouterr().err
    assert cli_main(["evaluation", "status", *base]) == 0
    assert labels.EVAL_STAGES[3] in capsys.readouterr().out


def test_cli_create_prints_the_run_id_alone_on_the_last_line(pool_db, tmp_path, capsys):
    path = str(pool_db.path)
    pool_db.close()
    toml = tmp_path / "pool.toml"
    toml.write_text(POOL_PROFILE, encoding="utf-8")
    assert (
        cli_main(
            ["evaluation", "create", "--db", path, "--year", str(YEAR), "--profile", str(toml)]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1"
    assert (
        cli_main(["evaluation", "create", "--db", path, "--year", "1999", "--profile", str(toml)])
        == 1
    )
    assert "没有企业数据" in capsys.readouterr().err
    out = tmp_path / "run.csv"
    assert cli_main(["evaluation", "export", "--db", path, "--run", "1", "--out", str(out)]) == 0
    exported = pd.read_csv(out)
    assert {"override", "stage", "tier", "total", "rank"} <= set(exported.columns)


def test_clerk_reviews_objections_but_cannot_run_the_cycle(pool_db, pool_run):
    with pytest.raises(evaluation.EvaluationError, match="无权"):
        evaluation.create_run(pool_db, YEAR, POOL_PROFILE, profile_id="x", actor=CLERK)
    with pytest.raises(evaluation.EvaluationError, match="无权"):
        evaluation.start_notice(pool_db, pool_run, start=date(2025, 3, 1), days=7, actor=CLERK)
    with pytest.raises(evaluation.EvaluationError, match="无权"):
        evaluation.set_override(pool_db, pool_run, X, tier="A", reason="r", basis="b", actor=CLERK)
    with pytest.raises(evaluation.EvaluationError, match="工作人员账号"):
        evaluation.publish(pool_db, pool_run, actor="wang")  # type: ignore[arg-type]
    objection_args = dict(
        received=date(2025, 3, 2), channel=labels.EVAL_CHANNELS[1], grounds="g", evidence=None
    )
    with pytest.raises(evaluation.EvaluationError, match="公示中"):
        evaluation.register_objection(pool_db, pool_run, X, actor=CLERK, **objection_args)
    _noticed(pool_db, pool_run)
    with pytest.raises(evaluation.EvaluationError, match="不一致"):
        evaluation.register_objection(pool_db, pool_run, X, actor=f"企业:{Y}", **objection_args)
    firm = evaluation.register_objection(
        pool_db, pool_run, X, actor=f"企业:{X}", **{**objection_args, "channel": "企业链接"}
    )
    moved = evaluation.decide_objection(
        pool_db,
        firm,
        accept=True,
        reason="采纳税务证明",
        changes=evaluation.parse_changes({"tax": "400"}),
        actor=CLERK,
    )
    assert Y in set(moved["credit_code"])
    table = evaluation.objections(pool_db.reader(), pool_run)
    assert table.loc[0, "decision"] == labels.EVAL_DECISIONS[0]
    with pytest.raises(evaluation.EvaluationError, match="已处理"):
        evaluation.decide_objection(pool_db, firm, accept=False, reason="r", actor=CLERK)


def test_confirmations_progress_and_not_replied(pool_db, pool_run):
    with pytest.raises(evaluation.EvaluationError, match="数据确认"):
        evaluation.record_confirmation(
            pool_db,
            pool_run,
            X,
            answer="已确认",
            disputed_fields=[],
            comment="",
            evidence=None,
            actor=ADMIN,
        )
    evaluation.start_confirmation(pool_db, pool_run, actor=ADMIN)
    evaluation.record_confirmation(
        pool_db,
        pool_run,
        X,
        answer="已确认",
        disputed_fields=[],
        comment="",
        evidence=None,
        actor=ADMIN,
    )
    evaluation.record_confirmation(
        pool_db,
        pool_run,
        Y,
        answer="有异议",
        disputed_fields=["tax"],
        comment="少算",
        evidence=None,
        actor=f"企业:{Y}",
    )
    with pytest.raises(evaluation.EvaluationError, match="须指明"):
        evaluation.record_confirmation(
            pool_db,
            pool_run,
            Z,
            answer="有异议",
            disputed_fields=[],
            comment="",
            evidence=None,
            actor=ADMIN,
        )
    con = pool_db.reader()
    progress = evaluation.confirmation_progress(con, pool_run, "town").iloc[0]
    assert (progress.firms, progress.confirmed, progress.disputed, progress.waiting) == (5, 1, 1, 3)
    assert set(evaluation.not_replied(con, pool_run)["credit_code"]) == {Z, code(3), code(4)}
    actions = audit.log_frame(con, pool_run)["action"].tolist()
    assert actions.count(labels.EVAL_TEXT["act_confirm"]) == 2
    assert audit.verify(con) == []


def test_firm_sheet_lists_inputs_with_units_and_leases(tmp_path):
    database = db.Database(tmp_path / "s.duckdb")
    with database.write() as cur:
        insert(
            cur,
            [dict(), dict()],
            leases=[
                dict(lessor=code(0), lessee=code(1), land_mu=2.0, registered=True),
            ],
        )
        cur.execute(
            "INSERT INTO leases (year, lessor_code, lessee_code, land_mu, registered) "
            "VALUES (?, ?, ?, 1.5, false)",
            [YEAR, code(1), code(0)],
        )
    run_id = evaluation.create_run(database, YEAR, POOL_PROFILE, profile_id="p", actor=ADMIN)
    sheet = evaluation.firm_sheet(database.reader(), run_id, code(0))
    rows = dict(zip(sheet["label"], zip(sheet["value"], sheet["unit"], strict=True), strict=True))
    assert rows["税收实际贡献"] == ("100", "万元")
    assert rows["有效用地面积"] == ("8", "亩")
    leases = sheet.loc[sheet["label"].str.startswith("租赁")]
    assert len(leases) == 2
    assert leases["label"].str.contains("不计入").sum() == 1
    database.close()


def test_tier_differences_counts_firms_whose_tier_differs():
    a = pd.DataFrame({"credit_code": ["1", "2", "3"], "tier": ["A", "B", None]})
    b = pd.DataFrame({"credit_code": ["1", "2", "4"], "tier": ["A", "C", "D"]})
    assert evaluation.tier_differences(a, b) == 3


def test_copying_a_published_store_keeps_the_chain(pool_db, pool_run, tmp_path):
    pool_db.close()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(pool_db.path, copy)
    con = db.connect(copy, read_only=True)
    assert audit.verify(con) == []
    con.close()


REPEAT_POLICY = """
[policy]
illustrative = true
source = "test"
[policy.electricity_surcharge]
D = 0.30
repeat = { tier = "D", years = 3, rate = 0.40 }
[policy.water_surcharge]
base_price = 4.5
D = 30
[policy.land_tax_relief]
rate = 6.0
A = 100
"""


def test_published_report_escalates_on_the_published_tiers_of_earlier_years(tmp_path):
    """X is A on the figures of 2022 and 2023 but was published as D (调档) both years: the
    published 2024 report must apply the repeat rate, as the policy page and export do."""
    database = db.Database(tmp_path / "repeat.duckdb")
    strong = dict(tax=500, revenue=5000, electricity_10k_kwh=100.0)
    with database.write() as cur:
        for year in (2022, 2023):
            insert(cur, [{**strong, "year": year}, *({**f, "year": year} for f in POOL[1:])])
        insert(cur, [{**POOL[0], "electricity_10k_kwh": 100.0}, *POOL[1:]])
    toml = POOL_PROFILE + REPEAT_POLICY
    runs = {}
    for year in (2022, 2023, 2024):
        run_id = evaluation.create_run(database, year, toml, profile_id="repeat", actor=ADMIN)
        evaluation.set_override(
            database, run_id, X, tier="D", reason="否决", basis="b", actor=ADMIN
        )
        _noticed(database, run_id)
        evaluation.publish(database, run_id, actor=ADMIN)
        runs[year] = run_id
    con = database.reader()
    ctx = evaluation.report_context(con, runs[2024])
    assert set(ctx.prior_tiers()) == {2022, 2023}
    assert ctx.prior_tiers()[2023][X] == "D"
    # The trend shows each earlier year's official (published) result, override included.
    earlier = ctx.history[2023].set_index("credit_code").loc[X]
    assert earlier["tier"] == "D" and earlier["computed_tier"] == "A"
    money = policy.with_money(ctx.scored, ctx.profile, ctx.prior_tiers()).set_index("credit_code")
    assert bool(money.loc[X, "repeat_escalated"])
    assert money.loc[X, "electricity_surcharge"] == pytest.approx(100.0 * 0.40)
    lines = report.build_report(ctx, X).money
    assert any(str(0.4) in line for line in lines), lines
    exported = evaluation.export_table(con, runs[2024]).set_index("credit_code")
    assert exported.loc[X, "electricity_surcharge"] == pytest.approx(100.0 * 0.40)
    database.close()


def test_the_page_and_the_cli_hand_out_the_same_run_export(pool_db, pool_run, tmp_path):
    evaluation.set_override(pool_db, pool_run, Y, tier="C", reason="否决", basis="b", actor=ADMIN)
    con = pool_db.reader()
    table = evaluation.export_table(con, pool_run)
    csv_bytes = evaluation.export_bytes(table, ".csv")
    xlsx_bytes = evaluation.export_bytes(table, ".xlsx")
    pool_db.close()
    for suffix, data in ((".csv", csv_bytes), (".xlsx", xlsx_bytes)):
        out = tmp_path / f"run{suffix}"
        argv = ["evaluation", "export", "--db", str(pool_db.path), "--run", str(pool_run)]
        assert cli_main([*argv, "--out", str(out)]) == 0
        if suffix == ".csv":
            assert out.read_bytes() == data
        else:
            cli = pd.read_excel(out, engine="calamine")
            page = pd.read_excel(io.BytesIO(data), engine="calamine")
            pd.testing.assert_frame_equal(cli, page)
            assert labels.EVAL_EXPORT_HEADERS["override"] in cli.columns
    with pytest.raises(evaluation.EvaluationError):
        evaluation.export_bytes(table, ".pdf")


def test_cutting_off_the_tail_of_the_audit_log_is_found(pool_db, pool_run, capsys):
    """Deleting the newest rows leaves a valid chain; the state they recorded does not."""
    evaluation.set_override(pool_db, pool_run, Y, tier="C", reason="否决", basis="b", actor=ADMIN)
    _noticed(pool_db, pool_run)
    evaluation.publish(pool_db, pool_run, actor=ADMIN)
    con = pool_db.reader()
    assert audit.verify(con) == []
    rows, last = audit.head(con)
    assert rows == 4 and last == audit.log_frame(con)["hash"].iloc[-1]
    pool_db.close()
    assert cli_main(["audit", "verify", "--db", str(pool_db.path)]) == 0
    assert last in capsys.readouterr().out
    raw = db.connect(pool_db.path)
    raw.execute("DELETE FROM audit_log WHERE id >= 2")  # override, notice, publish
    problems = audit.verify(raw)
    raw.close()
    assert any("发布" in p and str(pool_run) in p for p in problems), problems
    assert any("调档" in p and Y in p for p in problems), problems
    assert cli_main(["audit", "verify", "--db", str(pool_db.path)]) == 1


def test_an_objection_is_registered_only_within_the_notice_period(pool_db, pool_run):
    _noticed(pool_db, pool_run)  # 2025-03-01 to 2025-03-07

    def register(day: date) -> int:
        return evaluation.register_objection(
            pool_db,
            pool_run,
            X,
            received=day,
            channel=labels.EVAL_CHANNELS[0],
            grounds="税收少计",
            evidence=None,
            actor=CLERK,
        )

    for day in (date(2025, 2, 28), date(2025, 3, 8)):
        with pytest.raises(evaluation.EvaluationError, match="不在公示期"):
            register(day)
    assert register(date(2025, 3, 1)) and register(date(2025, 3, 7))
    assert len(evaluation.objections(pool_db.reader(), pool_run)) == 2


def test_an_exempt_firm_cannot_be_given_a_letter_but_a_graded_firm_can_go_to_no_tier(tmp_path):
    database = db.Database(tmp_path / "exempt.duckdb")
    with database.write() as cur:
        insert(cur, [*POOL, dict(tax=500, revenue=900, exempt=True)])
    run = evaluation.create_run(database, YEAR, POOL_PROFILE, profile_id="p", actor=ADMIN)
    exempt = code(len(POOL))
    with pytest.raises(evaluation.EvaluationError, match=r"不定级.*数据更正"):
        evaluation.set_override(database, run, exempt, tier="A", reason="r", basis="b", actor=ADMIN)
    evaluation.set_override(
        database, run, exempt, tier=evaluation.NO_TIER, reason="r", basis="b", actor=ADMIN
    )
    evaluation.set_override(
        database, run, Y, tier=evaluation.NO_TIER, reason="新投产", basis="第八条", actor=ADMIN
    )
    result = evaluation.run_result(database.reader(), run).set_index("credit_code")
    assert pd.isna(result.loc[exempt, "tier"]) and pd.isna(result.loc[Y, "tier"])
    assert result.loc[Y, "computed_tier"] == "A"
    database.close()

"""AppTest of app.py: 总览, 行业排名, 企业画像 and 数据管理 on a copy of the demo city."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from page_support import new_app, no_exception
from streamlit.testing.v1 import AppTest

from muyun import accounts, labels, profile, report, scoring
from muyun.db import Database
from muyun.profile import load_profile, profile_path
from ui import cache, report_buttons, tables

PROFILE = load_profile(profile_path("yongkang-default"))
PASSWORD = "正确的密码-42"
USERNAME = "tester"
PARTICIPATING = [labels.STATUS_EVALUATED, labels.STATUS_EXEMPT]


@pytest.fixture
def admin_account(demo_db_copy: Path) -> str:
    """An administrator account in the demo copy (made before the app opens the file)."""
    store = Database(demo_db_copy)
    try:
        accounts.create_account(store, USERNAME, PASSWORD, accounts.ROLE_ADMIN, "测试管理员")
    finally:
        store.close()
    return USERNAME


def count_rows(path: Path, table: str) -> int:
    # Same process, same file and settings: DuckDB hands back the app's own database instance.
    with duckdb.connect(str(path)) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def number(text: str) -> float:
    return float(re.match(r"[-+\d,.]+", text).group(0).replace(",", ""))


def ranking_count(at: AppTest) -> int:
    """Firms in the ranking table, as its caption counts them (the table shows a page)."""
    paged = labels.PAGED_TABLE_TEXT["rank_count"].split("{n}")[0]
    for caption in at.caption:
        if caption.value.startswith(paged):
            return int(number(caption.value.removeprefix(paged)))
    raise AssertionError("no count caption")


@pytest.mark.parametrize(
    "page", ["pages/overview.py", "pages/rankings.py", "pages/enterprise.py", "pages/data.py"]
)
def test_page_renders_with_title(app_store: Path, page: str) -> None:
    at = new_app(page)
    no_exception(at)
    stem = Path(page).stem
    assert [t.value for t in at.title] == [labels.PAGE_TITLES[stem]]
    assert any(labels.DEMO_NOTICE in c.value for c in at.caption)


def test_overview_kpis_equal_the_engine(app_store: Path) -> None:
    at = new_app()
    no_exception(at)
    with duckdb.connect(str(app_store)) as con:
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        now = scoring.score_year(con, year, PROFILE)
        before = scoring.score_year(con, year - 1, PROFILE)
    assert at.session_state["filters"].year == year

    metrics = {m.label: m for m in at.metric}
    taking_part = now[now["status"].isin(PARTICIPATING)]
    earlier = before[before["status"].isin(PARTICIPATING)]
    K = labels.KPI_LABELS
    for scale in labels.SCALES:
        card = metrics[K["firms"].format(scale=scale)]
        firms = int((taking_part["scale"] == scale).sum())
        assert number(card.value) == firms
        assert number(card.delta) == firms - int((earlier["scale"] == scale).sum())

    upper = taking_part[taking_part["scale"] == "规上"]
    land = upper["land_mu"].sum()
    assert metrics[K["land"].format(scale="规上")].value == f"{land:,.0f}"
    assert metrics[K["land_ha"].format(scale="规上")].value == f"{land / 15:,.1f}"
    tax = upper["tax"].sum() / upper["land_mu"].sum()
    assert metrics[K["tax_per_mu"].format(scale="规上")].value == f"{tax:,.2f}"
    has_va = upper[upper["value_added"].notna()]
    va = has_va["value_added"].sum() / has_va["land_mu"].sum()
    assert metrics[K["va_per_mu"].format(scale="规上")].value == f"{va:,.2f}"

    tiers = upper[upper["status"] == labels.STATUS_EVALUATED]["tier"].value_counts()
    for tier in labels.TIERS:
        card = metrics[K["tier"].format(tier=tier, name=labels.TIER_CLASS[tier])]
        assert number(card.value) == tiers.get(tier, 0)


def test_choosing_an_industry_leaves_only_its_rows(app_store: Path) -> None:
    at = new_app()
    at.multiselect(key="industry").set_value(["门业"]).run()
    at.switch_page("pages/rankings.py").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert len(table) > 10
    assert set(table["industry"]) == {"门业"}
    assert table["rank"].min() == 1


def test_url_opens_with_its_filters(app_store: Path) -> None:
    at = new_app("pages/rankings.py", year="2023", industry="杯业")
    no_exception(at)
    assert at.selectbox(key="year").value == 2023
    assert at.multiselect(key="industry").value == ["杯业"]
    chosen = at.session_state["filters"]
    assert (chosen.year, chosen.industries) == (2023, ("杯业",))
    assert set(at.dataframe[0].value["industry"]) == {"杯业"}


def test_url_carries_tier_letters_and_the_profile_name(app_store: Path) -> None:
    name = profile.shipped_profiles()["huangyan-2022"]
    at = new_app("pages/rankings.py", tier=["D", "C"], profile=name, scale="规下")
    no_exception(at)
    chosen = at.session_state["filters"]
    assert (chosen.tiers, chosen.profile, chosen.scale) == (("D", "C"), "huangyan-2022", "规下")
    assert set(at.dataframe[0].value["tier"]) <= {"C", "D"}


def test_unknown_url_values_are_dropped(app_store: Path) -> None:
    at = new_app(year="1999", industry="<script>", scale="规下")
    no_exception(at)
    chosen = at.session_state["filters"]
    with duckdb.connect(str(app_store)) as con:
        assert chosen.year == con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
    assert chosen.industries == ()
    assert chosen.scale == "规下"


def test_search_finds_a_firm_by_credit_code(app_store: Path) -> None:
    at = new_app("pages/rankings.py")
    first = at.dataframe[0].value.iloc[5]
    at.text_input(key="rank_search").input(first["credit_code"].lower()).run()
    no_exception(at)
    assert list(at.dataframe[0].value["credit_code"]) == [first["credit_code"]]


def test_enterprise_page_shows_the_full_computation(app_store: Path) -> None:
    with duckdb.connect(str(app_store)) as con:
        scored = scoring.score_year(con, 2024, PROFILE)
        codes_all_years = {
            r[0]
            for r in con.execute(
                "SELECT credit_code FROM enterprises WHERE scale = '规上' "
                "GROUP BY credit_code HAVING count(*) = 5"
            ).fetchall()
        }
    ranked = scored[
        (scored["status"] == labels.STATUS_EVALUATED) & scored["credit_code"].isin(codes_all_years)
    ]
    firm = ranked.iloc[3]
    at = new_app("pages/enterprise.py", code=firm["credit_code"])
    no_exception(at)
    assert at.selectbox(key="ent_code").value == firm["credit_code"]
    assert at.subheader[0].value.replace("\\", "") == firm["name"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[labels.SCORE_HEADERS["tier"]].startswith(firm["tier"])
    assert metrics[labels.ENTERPRISE_TEXT["rank"]] == f"{firm['rank']} / {firm['pool_size']}"

    computation = at.dataframe[0].value
    totals = dict(zip(computation["item"], computation["score"], strict=True))
    assert totals[labels.SCORE_HEADERS["total"]] == pytest.approx(firm["total"])
    names = {labels.INDICATORS[s.key].name for s in PROFILE.indicators("规上")}
    assert names <= set(computation["item"])

    history = next(
        d.value for d in at.dataframe if "tier_class" in d.value.columns and "year" in d.value
    )
    assert list(history["year"]) == [2020, 2021, 2022, 2023, 2024]
    assert history.iloc[-1]["total"] == pytest.approx(firm["total"])


def test_writing_is_disabled_without_accounts(app_store: Path) -> None:
    at = new_app("pages/data.py")
    no_exception(at)
    assert labels.ADMIN_LOGIN_TEXT["no_accounts"] in [i.value for i in at.info]
    assert len(at.get("file_uploader")) == 0


def login(at: AppTest, password: str, username: str = USERNAME) -> AppTest:
    at.text_input(key="data_username").input(username)
    at.text_input(key="data_password").input(password)
    submit = next(b for b in at.button if b.label == labels.ADMIN_LOGIN_TEXT["login"])
    return submit.click().run()


def test_wrong_password_cannot_import(admin_account: str, app_store: Path) -> None:
    before = count_rows(app_store, "enterprises")
    at = login(new_app("pages/data.py"), "不对的密码")
    no_exception(at)
    assert labels.ACCOUNT_TEXT["wrong"] in [e.value for e in at.error]
    assert len(at.get("file_uploader")) == 0
    assert count_rows(app_store, "enterprises") == before


BAD_ENTERPRISES = (
    "年度,统一社会信用代码,企业名称,行业,镇街,规模,自有用地面积（亩）,税收实际贡献（万元）,"
    "工业增加值（万元）,营业收入（万元）,年平均职工人数（人）\n"
    "2024,91330784XXXXXXXXX1,坏代码厂,门业,东城街道,规上,10,100,300,1000,50\n"
    "2024,91330784MA2E3XRC1N,负面积厂,火箭,东城街道,规上,-5,100,300,1000,50\n"
).encode()


def test_bad_upload_lists_every_error_and_changes_nothing(
    admin_account: str, app_store: Path
) -> None:
    before = count_rows(app_store, "enterprises")
    log_before = count_rows(app_store, "import_log")
    at = login(new_app("pages/data.py"), PASSWORD)
    assert labels.ADMIN_LOGIN_TEXT["logged_in"].format(name="测试管理员", role="管理员") in [
        c.value for c in at.caption
    ]
    at.selectbox(key="data_table").set_value("enterprises").run()
    at.file_uploader(key="data_file").upload("bad.csv", BAD_ENTERPRISES, "text/csv")
    at.run()
    at.button(key="data_import").click().run()
    no_exception(at)

    assert at.error[0].value.startswith("导入失败")
    errors: pd.DataFrame = next(d.value for d in at.dataframe if "原因" in d.value.columns)
    assert list(errors.columns) == ["行号", "列", "值", "原因"]
    assert set(errors["行号"].dropna()) == {2, 3}
    assert {"统一社会信用代码", "行业", "自有用地面积（亩）"} <= set(errors["列"])
    assert count_rows(app_store, "enterprises") == before
    assert count_rows(app_store, "import_log") == log_before


def test_good_upload_imports_and_is_logged(admin_account: str, app_store: Path) -> None:
    before = count_rows(app_store, "rectification_targets")
    at = login(new_app("pages/data.py"), PASSWORD)
    at.selectbox(key="data_table").set_value("rectification_targets").run()
    csv = "年度,整治类别,目标面积（亩）\n2030,集中连片拆除,1200\n2030,供而未用土地消化,300\n"
    at.file_uploader(key="data_file").upload("targets.csv", csv.encode("gbk"), "text/csv")
    at.run()
    at.button(key="data_import").click().run()
    no_exception(at)
    assert at.success[-1].value.replace("\\", "").startswith("导入成功")
    assert count_rows(app_store, "rectification_targets") == before + 2
    # Issue 13 item 15: the 库中数据 card counts the new rows at once, without a reload.
    card = next(m for m in at.metric if m.label == labels.TABLE_NAMES["rectification_targets"])
    assert number(card.value) == before + 2
    log = at.dataframe[-1].value
    assert log.iloc[0]["file_name"] == "targets.csv"
    assert log.iloc[0]["rows_added"] == 2


def test_selecting_a_ranking_row_opens_its_enterprise_page(app_store: Path) -> None:
    at = new_app("pages/rankings.py")
    row = at.dataframe[0].value.iloc[3]
    at.session_state["rank_table"] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    at.button(key="rank_open_firm").click().run()
    no_exception(at)
    assert [t.value for t in at.title] == [labels.PAGE_TITLES["enterprise"]]
    assert at.query_params["code"] == row["credit_code"]
    assert at.selectbox(key="ent_code").value == row["credit_code"]


def test_enterprise_name_with_markup_is_shown_as_text(app_store: Path) -> None:
    hostile = "恶意<script>alert(1)</script>[点我](javascript:alert(2))**粗**"
    with duckdb.connect(str(app_store)) as con:
        code = con.execute(
            "SELECT credit_code FROM enterprises WHERE year = 2024 AND scale = '规上' LIMIT 1"
        ).fetchall()[0][0]
        con.execute("UPDATE enterprises SET name = ? WHERE credit_code = ?", [hostile, code])
    at = new_app("pages/enterprise.py", code=code)
    no_exception(at)
    shown = at.subheader[0].value
    assert "\\<script\\>" in shown  # escaped: shown as text, never as markup
    assert "\\[点我\\]\\(javascript" in shown  # escaped: no link is rendered
    # Word joiners (invisible) keep ".", ":" and "@" from forming an autolink.
    assert shown.replace("\\", "").replace("\u2060", "") == hostile


def test_enterprise_leases_flag_unregistered_ones(app_store: Path) -> None:
    with duckdb.connect(str(app_store)) as con:
        code, n, mu = con.execute(
            "SELECT lessee_code, count(*), sum(land_mu) FROM leases "
            "WHERE year = 2024 AND NOT registered GROUP BY lessee_code "
            "HAVING lessee_code NOT IN (SELECT lessor_code FROM leases WHERE year = 2024) "
            "ORDER BY lessee_code LIMIT 1"
        ).fetchall()[0]
    at = new_app("pages/enterprise.py", code=code)
    no_exception(at)
    expected = labels.UNREGISTERED_LEASE_WARNING.format(n=n, mu=float(mu))
    assert expected in [w.value for w in at.warning]
    leases = next(d.value for d in at.dataframe if "direction" in d.value.columns)
    assert (~leases["registered"].astype(bool)).sum() == n
    assert set(leases["direction"]) <= {labels.LEASE_IN, labels.LEASE_OUT}


def test_batch_zip_is_offered_up_to_the_limit(app_store: Path) -> None:
    at = new_app("pages/rankings.py")  # every 规上 industry: more firms than one batch
    no_exception(at)
    ranked = ranking_count(at)  # the table shows one page of them
    assert ranked > report_buttons.BATCH_LIMIT
    too_many = labels.RANKINGS_TEXT["batch_too_many"].format(
        n=f"{ranked:,}",
        limit=report_buttons.BATCH_LIMIT,  # 1,088 as in the table (issue 13)
    )
    assert too_many in [c.value for c in at.caption]
    assert "report_batch_make" not in [b.key for b in at.button]
    at.multiselect(key="industry").set_value(["门业"]).run()
    no_exception(at)
    assert too_many not in [c.value for c in at.caption]
    # Issue 13 item 12: a click builds the ZIP with a progress bar, then offers its download
    # (it used to be a bare download button behind a spinner).
    downloads = len(at.get("download_button"))
    at.button(key="report_batch_make").click().run()
    no_exception(at)
    assert len(at.get("download_button")) == downloads + 1  # the ZIP, ready
    assert "report_batch_make" not in [b.key for b in at.button]


def test_report_context_is_cached_until_data_changes(app_store: Path) -> None:
    first = cache.report_context(2024, "yongkang-default")
    assert cache.report_context(2024, "yongkang-default") is first
    assert cache.report_context(2023, "yongkang-default") is not first
    evaluated = first.scored[first.scored["status"] == labels.STATUS_EVALUATED]
    code = str(evaluated["credit_code"].iloc[0])
    pdf = report.render_pdf(cache.database().reader(), 2024, code, PROFILE, context=first)
    assert pdf.startswith(b"%PDF")
    cache.clear_data_caches()
    assert cache.report_context(2024, "yongkang-default") is not first


def test_ranking_numbers_have_units_and_thousands_separators() -> None:
    config = tables.ranking_column_config(PROFILE, "规上")
    numeric = {k: c for k, c in config.items() if c["type_config"]["type"] == "number"}
    assert set(numeric) >= {"total", "land_mu", "tax_per_mu", "score_tax_per_mu", "rd_intensity"}
    for key, column in numeric.items():
        if key == "rank":
            continue
        assert column["label"].endswith("）"), key  # 综合得分（分）, 亩均税收（万元/亩）
        assert column["type_config"]["format"] in ("percent", "%,.0f", "%,.2f"), key
    assert numeric["rd_intensity"]["label"] == tables.header(
        labels.INDICATORS["rd_intensity"].name, "%"
    )
    assert tables.table_height(3) == 4 * tables.ROW_HEIGHT_PX + 3
    assert tables.table_height(30, max_px=320) == 320

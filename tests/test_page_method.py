"""AppTest of the 方法实验室 page on a copy of the demo city: every tab renders the engine's
lab results, only the open one runs, long lists are cut short on screen but exported whole, a
large sensitivity analysis waits for a click; saving needs an administrator; a saved profile
joins the sidebar's choices."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from page_support import chart_data, open_page
from streamlit.testing.v1 import AppTest

from muyun import accounts, db, labels, scoring
from muyun.method_lab import profiles, quality, sensitivity
from muyun.profile import load_profile, profile_path
from ui import method_lab

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/method.py"
TIMEOUT = 180
T = labels.METHOD_LAB_TEXT
S = labels.METHOD_LAB_SCALE_TEXT
PROFILE = load_profile(profile_path("yongkang-default"))


def test_tabs_show_the_lab_results_of_the_engine(app_store: Path) -> None:
    con = db.connect(app_store, read_only=True)
    try:
        data = scoring.load_year(con, 2024)
        report = quality.check_year(data, PROFILE, quality.prior_land(con, 2024))
    finally:
        con.close()
    at = open_page(PAGE, year="2024")
    assert at.title[0].value == labels.PAGE_TITLES["method"]
    captions = [c.value for c in at.caption]
    expected = T["quality_summary"].format(year=2024, profile=PROFILE.name, flags=len(report.flags))
    assert expected in captions
    # Only the open tab ran: no sensitivity caption, no heat map, no diff yet.
    assert not any(c.startswith("规上：") for c in captions)
    assert not at.get("vega_lite_chart")
    assert len(at.get("download_button")) == 2  # the flags, Excel and CSV
    at = open_page(PAGE, year="2024", lab_tab=T["tab_sensitivity"])
    assert any(c.value.startswith("规上：") for c in at.caption)  # a city pool runs unasked
    assert not any(b.label == T["run_sensitivity"] for b in at.button)
    assert len(at.get("download_button")) == 2  # the firms' intervals, Excel and CSV
    (indices,) = at.get("vega_lite_chart")
    spec, bars = chart_data(indices)
    spread = int(sensitivity.SPREAD * 100)
    result = method_lab.sensitivity_report(2024, "yongkang-default", "规上", spread)
    assert spec["facet"]["column"]["field"] == "output"
    assert len(bars) == 2 * len(result.indices)  # first-order and total effect of each row
    assert set(bars["output"]) == {labels.SENSITIVITY_OUTPUTS[o] for o in result.indices["output"]}
    C = labels.METHOD_LAB_COLUMNS
    assert set(bars["kind"]) == {C["first_order"], C["total_effect"]}
    at = open_page(PAGE, year="2024", lab_tab=T["tab_redundancy"])
    (heatmap,) = at.get("vega_lite_chart")  # the heat map, nothing else
    spec, cells = chart_data(heatmap)
    assert spec["title"]["text"] == T["redundancy_title"].format(scale="规上")
    matrix = method_lab.redundancy_report(2024, "yongkang-default").matrices["规上"]
    names = [labels.INDICATORS[k].name for k in matrix.columns]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == names
    assert len(cells) == len(names) ** 2
    rho = cells.pivot(index="first", columns="second", values="rho").loc[names, names]
    assert rho.to_numpy() == pytest.approx(matrix.to_numpy())
    at = open_page(PAGE, year="2024", lab_tab=T["tab_profiles"])
    diff_titles = [m.value for m in at.markdown if T["diff_title"].split("：")[0] in m.value]
    assert diff_titles  # the copy-and-diff tab rendered
    assert len(at.get("download_button")) == 2  # the diff and the TOML


def test_a_long_list_shows_its_first_rows_and_exports_all(
    app_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(method_lab, "SHOWN_ROWS", 5)
    at = open_page(PAGE, year="2024")
    flags = method_lab.quality_report(2024, "yongkang-default").flags
    assert len(flags) > 5
    shown = at.dataframe[-1].value  # the flags, the tab's last table
    assert len(shown) == 5
    code = labels.score_header("credit_code")
    assert shown[code].tolist() == flags["credit_code"].head(5).tolist()
    note = S["shown"].format(shown=5, n=len(flags))
    assert note in [c.value for c in at.caption]
    excel = at.get("download_button")[0]
    assert excel.proto.label == T["export_flags"]
    data = method_lab.excel_bytes(flags)
    assert len(pd.read_excel(io.BytesIO(data), engine="calamine")) == len(flags)  # every row


def test_a_large_sensitivity_analysis_runs_on_request(
    app_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = db.connect(app_store, read_only=True)
    try:
        firms, runs = sensitivity.plan(scoring.load_year(con, 2024), PROFILE, "规上")
    finally:
        con.close()
    monkeypatch.setattr(sensitivity, "AUTO_CELLS", 0)  # the demo city as large as a province
    at = open_page(PAGE, year="2024", lab_tab=T["tab_sensitivity"])
    on_demand = S["on_demand"].format(scale="规上", firms=firms, runs=runs)
    assert on_demand in [c.value for c in at.caption]
    assert not any(c.value.startswith("规上：") for c in at.caption)  # not run unasked
    at.button(key="lab_run").click().run()
    assert any(c.value.startswith("规上：") for c in at.caption)
    assert on_demand not in [c.value for c in at.caption]
    # Once computed it is shown at once, to this and any other session, without the button.
    at = open_page(PAGE, year="2024", lab_tab=T["tab_sensitivity"])
    assert any(c.value.startswith("规上：") for c in at.caption)
    assert not [b for b in at.button if b.key == "lab_run"]


def test_saving_needs_an_admin_and_adds_a_choice(app_store: Path) -> None:
    database = db.Database(app_store)
    accounts.create_account(database, "admin", "correct horse battery", "管理员", "管理员甲")
    admin = accounts.get_account(database.reader(), "admin")
    assert admin is not None
    at = open_page(PAGE, year="2024", lab_tab=T["tab_profiles"])
    assert any(labels.ADMIN_LOGIN_TEXT["needed"] == c.value for c in at.caption)
    text = PROFILE.to_toml().replace('name = "', 'name = "实验室 ', 1)
    profiles.save_profile(database, "lab-2025", text, actor=admin)
    database_names = profiles.saved_profiles(database.reader())
    assert database_names == {"lab-2025": (1, "实验室 " + PROFILE.name)}
    st.cache_data.clear()
    at = open_page(PAGE, year="2024")
    options = at.sidebar.selectbox(key="profile").options
    assert any(o.startswith("实验室 ") for o in options)


@pytest.mark.parametrize(
    "page", ["pages/overview.py", "pages/whatif.py", "pages/rankings.py", "pages/method.py"]
)
def test_a_prior_year_profile_scores_on_the_pages(app_store: Path, page: str) -> None:
    database = db.Database(app_store)
    accounts.create_account(database, "admin", "correct horse battery", "管理员", "管理员甲")
    admin = accounts.get_account(database.reader(), "admin")
    assert admin is not None
    text = PROFILE.to_toml().replace('benchmark = "average"', 'benchmark = "prior_year_average"')
    profiles.save_profile(database, "lab-prior", text, actor=admin)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(year="2024", profile="saved:lab-prior")
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="profile").value == "saved:lab-prior"
    assert not any("无法评价" in e.value for e in at.error)  # 2024 has its 2023
    at.sidebar.selectbox(key="year").set_value(2020).run()  # the first year: no 2019
    assert not at.exception, [e.value for e in at.exception]
    assert any("2019" in e.value and "亩均税收" in e.value for e in at.error)


def test_the_year_picks_the_profile_stating_it(app_store: Path) -> None:
    database = db.Database(app_store)
    accounts.create_account(database, "admin", "correct horse battery", "管理员", "管理员甲")
    admin = accounts.get_account(database.reader(), "admin")
    assert admin is not None
    text = PROFILE.to_toml().replace("[evaluation]", "years = [2023]\n\n[evaluation]", 1)
    profiles.save_profile(database, "only-2023", text, actor=admin)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(year="2023")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="profile").value == "saved:only-2023"
    at.sidebar.selectbox(key="year").set_value(2024).run()
    assert at.sidebar.selectbox(key="profile").value == "yongkang-default"

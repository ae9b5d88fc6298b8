"""AppTest of the 方法实验室 page on a copy of the demo city: every tab renders the engine's
lab results; saving needs an administrator; a saved profile joins the sidebar's choices."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from page_support import open_page
from streamlit.testing.v1 import AppTest

from muyun import accounts, db, labels, scoring
from muyun.method_lab import profiles, quality
from muyun.profile import load_profile, profile_path

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/method.py"
TIMEOUT = 180
T = labels.METHOD_LAB_TEXT
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
    assert any(c.startswith("规上：") for c in captions)  # the sensitivity tab ran
    diff_titles = [m.value for m in at.markdown if T["diff_title"].split("：")[0] in m.value]
    assert diff_titles  # the copy-and-diff tab rendered
    assert len(at.get("download_button")) >= 5


def test_saving_needs_an_admin_and_adds_a_choice(app_store: Path) -> None:
    database = db.Database(app_store)
    accounts.create_account(database, "admin", "correct horse battery", "管理员", "管理员甲")
    admin = accounts.get_account(database.reader(), "admin")
    assert admin is not None
    at = open_page(PAGE, year="2024")
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

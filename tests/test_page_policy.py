"""AppTest of the 政策测算 page on a copy of the demo city: every total is a sum of the firms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from page_support import open_page
from streamlit.testing.v1 import AppTest

from muyun import db, labels, policy, scoring
from muyun.profile import load_profile, profile_path

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/policy.py"
TIMEOUT = 120
PROFILE = load_profile(profile_path("yongkang-default"))
T = labels.POLICY_TEXT


def expected_money(path: Path, year: int) -> pd.DataFrame:
    """The year's money computed straight from the engine and the policy module."""
    con = db.connect(path, read_only=True)
    try:
        years = policy.prior_years(PROFILE, year)
        prior = policy.tier_history({y: scoring.score_year(con, y, PROFILE) for y in years})
        scored = scoring.score_year(con, year, PROFILE)
    finally:
        con.close()
    return policy.with_money(scored, PROFILE, prior)


def wan(value: float) -> str:
    return f"{value:,.2f} {labels.UNIT_WAN_YUAN}"


def all_pages(at: AppTest, key: str, index: int) -> pd.DataFrame:
    """Every row of the paged table `key` (the `index`-th table), page after page."""
    pages = [at.dataframe[index].value]
    pager = [n for n in at.number_input if n.key == f"{key}_page"]
    for number in range(2, int(pager[0].max) + 1 if pager else 2):
        at.number_input(key=f"{key}_page").set_value(number).run()
        pages.append(at.dataframe[index].value)
    return pd.concat(pages)


def test_totals_are_sums_of_the_firms(app_store, demo_db_path):
    at = open_page(PAGE, year="2024")
    assert any(i.value == T["illustrative"] for i in at.info)
    money = expected_money(demo_db_path, 2024)
    total = policy.total(money)
    shown = {m.label: m.value for m in at.metric}
    assert shown[T["metric_relief"]] == wan(money["land_tax_relief"].sum())
    assert shown[T["metric_surcharge"]] == wan(
        money["electricity_surcharge"].sum() + money["water_surcharge"].sum()
    )
    assert shown[T["metric_net"]] == wan(money["policy_net"].sum())
    assert shown[T["metric_firms"]] == f"{total.firms:,} {labels.UNIT_FIRMS}"

    table = at.dataframe[0].value
    assert list(table["group"]) == list(labels.TIERS)
    tiered = money[money["tier"].notna()]
    for _, row in table.iterrows():
        firms = tiered[tiered["tier"] == row["group"]]
        assert row["firms"] == len(firms)
        for column in policy.COLUMNS:
            assert row[column] == pytest.approx(firms[column].sum())
    assert table["policy_net"].sum() == pytest.approx(money["policy_net"].sum())


def test_by_town_and_the_firms_behind_a_figure(app_store, demo_db_path):
    at = open_page(PAGE, year="2024")
    at.segmented_control(key="pol_by").set_value("town").run()
    assert not at.exception
    table = at.dataframe[0].value
    money = expected_money(demo_db_path, 2024)
    tiered = money[money["tier"].notna()]
    assert set(table["group"]) == set(tiered["town"])
    assert table["land_tax_relief"].sum() == pytest.approx(tiered["land_tax_relief"].sum())
    town = table.iloc[0]
    at.selectbox(key="pol_group_town").set_value(town["group"]).run()
    firms = all_pages(at, "pol_firms", 1)
    assert len(firms) == town["firms"]
    for column in policy.COLUMNS:
        assert firms[column].sum() == pytest.approx(town[column])
    assert (firms["town"] == town["group"]).all()
    assert T["firms_behind"].format(label=town["group"], n=len(firms)) in [
        m.value.strip("*") for m in at.markdown
    ]


def test_industry_filter_narrows_every_total(app_store, demo_db_path):
    industry = labels.INDUSTRIES[0]
    at = open_page(PAGE, year="2024", industry=industry)
    money = expected_money(demo_db_path, 2024)
    chosen = money[money["industry"] == industry]
    shown = {m.label: m.value for m in at.metric}
    assert shown[T["metric_net"]] == wan(chosen["policy_net"].sum())
    assert shown[T["metric_relief"]] == wan(chosen["land_tax_relief"].sum())
    assert set(at.dataframe[1].value["industry"]) == {industry}


def test_profile_without_policy_shows_no_money(app_store, demo_db_path):
    at = open_page(PAGE, year="2024")
    at.selectbox(key="profile").set_value("huangyan-2022").run()
    name = load_profile(profile_path("huangyan-2022")).name
    assert T["no_policy"].format(profile=name) in [i.value for i in at.info]
    assert not at.metric


def test_enterprise_page_says_what_the_tier_costs(app_store, demo_db_path):
    money = expected_money(demo_db_path, 2024)
    d_firms = money[(money["tier"] == "D") & (money["scale"] == "规上")]
    firm = d_firms.sort_values("electricity_surcharge").iloc[-1]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(year="2024", code=firm["credit_code"])
    at.run()
    at.switch_page("pages/enterprise.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert T["firm_heading"].format(year=2024) in [s.value for s in at.subheader]
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    pays = T["firm_pays"].format(
        tier="D",
        electricity=f"{firm['electricity_surcharge']:,.2f}",
        water=f"{firm['water_surcharge']:,.2f}",
        relief="0.00",
        net=f"{firm['policy_net']:,.2f}",
    )
    assert any(line.removeprefix("- ").startswith(pays) for line in lines)
    gain = policy.next_tier_gain(money.loc[[firm.name]], PROFILE, {}).iloc[0]
    assert gain > 0
    assert any("升至 C 类" in line and "每年多得" in line for line in lines)

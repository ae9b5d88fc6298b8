"""muyun.watchlist and the profile's [warning] section: who is on the watch list, and why."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from muyun import export, labels, scoring, watchlist
from muyun.profile import (
    ProfileError,
    Threshold,
    WarningRule,
    load_profile,
    profile_from_toml,
    profile_path,
)

PROFILE = load_profile(profile_path("yongkang-default"))
RULE = WarningRule(margin_points=3.0, decline_years=3, thresholds={})
BARE = replace(PROFILE, warning=RULE)


def firm(code: str, tier: str, total: float, tax: float = 20.0, **extra: object) -> dict:
    row = {
        "credit_code": code,
        "name": f"企业{code}",
        "industry": "车业",
        "town": "东城街道",
        "scale": labels.SCALE_ABOVE,
        "pool": "规上·车业",
        "rank": 1,
        "status": labels.STATUS_EVALUATED,
        "tier": tier,
        "tier_before_veto": tier,
        "total": total,
        "tax_per_mu": tax,
        "va_per_mu": 100.0,
    }
    row.update(extra)
    return row


def pool(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_a_firm_one_point_above_its_cutoff_is_listed_with_that_reason():
    scored = pool(
        firm("A1", "A", 120.0),
        firm("B1", "B", 101.0),  # the best C has 100: one point above the B/C cut-off
        firm("B2", "B", 110.0),  # ten points clear
        firm("C1", "C", 100.0),
        firm("C2", "C", 80.0),
    )
    listed = watchlist.watch_list({2024: scored}, 2024, BARE)
    assert list(listed["credit_code"]) == ["B1"]
    row = listed.iloc[0]
    assert bool(row["near_cutoff"]) and row["gap"] == pytest.approx(1.0)
    assert row["lower_tier"] == "C"
    expected = labels.WATCH_TEXT["near_cutoff"].format(lower="C", gap=1.0, margin=3.0)
    assert row["reasons"] == expected


def test_margin_is_the_profiles_parameter():
    scored = pool(firm("B1", "B", 101.0), firm("C1", "C", 100.0))
    tight = replace(BARE, warning=WarningRule(margin_points=0.5))
    assert watchlist.watch_list({2024: scored}, 2024, tight).empty
    assert len(watchlist.watch_list({2024: scored}, 2024, BARE)) == 1


def test_cutoffs_are_per_pool_and_d_firms_are_not_listed():
    scored = pool(
        firm("B1", "B", 101.0),
        firm("C1", "C", 100.0, pool="规上·门业"),  # another pool: no C to be near in B1's
        firm("D1", "D", 10.0, tax=1.0),
    )
    assert watchlist.watch_list({2024: scored}, 2024, BARE).empty


def test_a_c_firm_near_the_best_d_is_at_risk_of_d():
    scored = pool(firm("C1", "C", 12.0), firm("D1", "D", 10.0, tax=1.0))
    listed = watchlist.watch_list({2024: scored}, 2024, BARE)
    assert list(listed["lower_tier"]) == ["D"]


def test_vetoed_firms_are_not_near_a_cutoff():
    scored = pool(firm("V", "C", 101.0, tier_before_veto="B"), firm("C1", "C", 100.0))
    assert watchlist.watch_list({2024: scored}, 2024, BARE).empty


def test_alert_thresholds_absolute_and_growth_and_scales():
    rule = WarningRule(
        thresholds={
            "tax_per_mu": Threshold("value", 5.0, 30.0, (labels.SCALE_ABOVE,)),
            "va_per_mu": Threshold("growth", -15.0, 20.0),
        }
    )
    prof = replace(BARE, warning=rule)
    before = pool(firm("X", "B", 90.0, va_per_mu=100.0), firm("Y", "B", 80.0, va_per_mu=100.0))
    now = pool(
        firm("X", "B", 90.0, tax=4.0, va_per_mu=95.0),  # under the 亩均税收 line
        firm("Y", "B", 80.0, tax=20.0, va_per_mu=80.0),  # 亩均增加值 −20 % against last year
        firm("Z", "B", 70.0, tax=1.0, scale=labels.SCALE_BELOW),  # the line is for 规上 only
    )
    listed = watchlist.watch_list({2023: before, 2024: now}, 2024, prof).set_index("credit_code")
    assert set(listed.index) == {"X", "Y"}
    assert "亩均税收 4.00 万元/亩，低于警戒值 5 万元/亩" in listed.loc["X", "reasons"]
    assert "亩均增加值较上年 -20.0%" in listed.loc["Y", "reasons"]
    assert listed["alert"].all()


def test_ratio_indicators_are_compared_in_percent():
    rule = WarningRule(thresholds={"rd_intensity": Threshold("value", 1.0, 5.0)})
    prof = replace(BARE, warning=rule)
    scored = pool(firm("R", "B", 90.0, rd_intensity=0.005), firm("S", "B", 80.0, rd_intensity=0.06))
    listed = watchlist.watch_list({2024: scored}, 2024, prof)
    assert list(listed["credit_code"]) == ["R"]
    assert "0.50 %，低于警戒值 1 %" in listed.iloc[0]["reasons"]
    signals = watchlist.firm_signals({2024: scored}, 2024, "S", prof)
    assert signals["value"].iloc[0] == pytest.approx(6.0)
    assert signals["state"].iloc[0] == labels.WATCH_STATES["quality"]


def test_three_years_of_decline():
    years = {
        2021: pool(firm("F", "B", 90.0, tax=10.0), firm("G", "B", 80.0, tax=10.0)),
        2022: pool(firm("F", "B", 90.0, tax=9.0), firm("G", "B", 80.0, tax=9.0)),
        2023: pool(firm("F", "B", 90.0, tax=8.0), firm("G", "B", 80.0, tax=9.5)),
        2024: pool(firm("F", "B", 90.0, tax=7.0), firm("G", "B", 80.0, tax=8.0)),
    }
    listed = watchlist.watch_list(years, 2024, BARE)
    assert list(listed["credit_code"]) == ["F"]
    assert "连续 3 年下降（10.0 → 9.0 → 8.0 → 7.0" in listed.iloc[0]["reasons"]
    assert watchlist.watch_list({2024: years[2024]}, 2024, BARE).empty  # history too short


def test_several_reasons_are_all_given_most_first():
    years = {
        2021: pool(firm("F", "B", 101.0, tax=10.0), firm("C1", "C", 100.0)),
        2022: pool(firm("F", "B", 101.0, tax=9.0), firm("C1", "C", 100.0)),
        2023: pool(firm("F", "B", 101.0, tax=8.0), firm("C1", "C", 100.0)),
        2024: pool(firm("F", "B", 101.0, tax=7.0), firm("C1", "C", 100.0), firm("E", "B", 102.0)),
    }
    listed = watchlist.watch_list(years, 2024, BARE)
    assert list(listed["credit_code"]) == ["F", "E"]
    assert listed.iloc[0]["n_reasons"] == 2
    assert len(listed.iloc[0]["reasons"].split(labels.CLAUSE_SEP)) == 2


def test_firm_signals_states():
    scored = pool(firm("X", "B", 90.0, tax=40.0), firm("Y", "B", 90.0, tax=4.0))
    signals = watchlist.firm_signals({2024: scored}, 2024, "X", PROFILE).set_index("key")
    assert signals.loc["tax_per_mu", "state"] == labels.WATCH_STATES["quality"]
    assert signals.loc["va_per_mu", "state"] == labels.WATCH_STATES["none"]  # no last year
    low = watchlist.firm_signals({2024: scored}, 2024, "Y", PROFILE).set_index("key")
    assert low.loc["tax_per_mu", "state"] == labels.WATCH_STATES["alert"]


@pytest.fixture(scope="module")
def demo_years(demo_db_path: Path) -> dict[int, pd.DataFrame]:
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        return {y: scoring.score_year(con, y, PROFILE) for y in range(2020, 2025)}
    finally:
        con.close()


def test_demo_watch_list_exports_formula_safe(demo_years):
    years = demo_years
    listed = watchlist.watch_list(years, 2024, PROFILE)
    assert 0 < len(listed) < len(years[2024]) / 4
    assert listed["near_cutoff"].any() and listed["alert"].any() and listed["decline"].any()
    assert not listed["tier"].eq("D").any()
    frame = listed[list(watchlist.EXPORT_COLUMNS)].head(5).copy()
    frame.loc[0, "name"] = "=HYPERLINK(1)"
    data = export.to_official_csv_bytes(frame, watchlist.export_header).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in data
    assert labels.WATCH_HEADERS["reasons"] in data and "领先下一档（分）" in data


def test_a_firms_entry_is_its_row_of_the_whole_list(demo_years):
    listed = watchlist.watch_list(demo_years, 2024, PROFILE)
    scored = demo_years[2024]
    on_list = listed["credit_code"].iloc[:: max(1, len(listed) // 25)]
    off_list = scored.loc[~scored["credit_code"].isin(listed["credit_code"]), "credit_code"]
    assert len(on_list) > 10 and (scored.loc[off_list.index, "status"] != "评价").any()
    for code in on_list:
        expected = listed[listed["credit_code"] == code].reset_index(drop=True)
        got = watchlist.firm_entry(demo_years, 2024, code, PROFILE)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for code in [*off_list.iloc[:: max(1, len(off_list) // 15)], "NOT-A-CODE"]:
        assert watchlist.firm_entry(demo_years, 2024, code, PROFILE).empty


def test_earlier_years_are_read_for_the_rules_columns_only(demo_years):
    needed = watchlist.history_years(PROFILE, 2024)
    assert list(needed) == [2021, 2022, 2023]  # decline_years = 3; growth needs 2023
    slim = {y: watchlist.earlier_year(demo_years[y], PROFILE) for y in needed}
    assert list(slim[2023].columns) == ["credit_code", "tax_per_mu", "va_per_mu"]
    history = {**slim, 2024: demo_years[2024]}
    pd.testing.assert_frame_equal(
        watchlist.watch_list(history, 2024, PROFILE),
        watchlist.watch_list(demo_years, 2024, PROFILE),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        watchlist.threshold_counts(history, 2024, PROFILE),
        watchlist.threshold_counts(demo_years, 2024, PROFILE),
    )
    code = demo_years[2024]["credit_code"].iloc[0]
    pd.testing.assert_frame_equal(
        watchlist.firm_signals(history, 2024, code, PROFILE),
        watchlist.firm_signals(demo_years, 2024, code, PROFILE),
    )


def test_a_live_years_columns_come_from_its_raw_data_unscored(demo_db_path: Path, demo_years):
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        raw = watchlist.earlier_year_live(con, 2023, PROFILE).set_index("credit_code")
    finally:
        con.close()
    scored = watchlist.earlier_year(demo_years[2023], PROFILE).set_index("credit_code")
    assert list(raw.columns) == list(scored.columns)
    pd.testing.assert_frame_equal(raw.sort_index(), scored.sort_index(), check_exact=True)


# --- the profile's [warning] section ------------------------------------------------------------

BASE = profile_path("yongkang-default").read_text(encoding="utf-8")
HEAD = BASE[: BASE.index("[warning]")]


def with_warning(text: str) -> str:
    return HEAD + text


def test_default_profile_has_illustrative_thresholds_and_round_trips():
    assert PROFILE.warning is not None and PROFILE.warning.illustrative
    assert "示意" in PROFILE.warning.source
    assert PROFILE.warning.thresholds["va_per_mu"].basis == "growth"
    assert profile_from_toml(PROFILE.to_toml(), "x.toml") == PROFILE


def test_profile_without_warning_section_is_valid():
    assert profile_from_toml(HEAD, "x.toml").warning is None


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[warning]\nmargin = 3\n", "warning.margin", "未知的配置项"),
        ("[warning]\nmargin_points = -1\n", "warning.margin_points", "应不小于"),
        ("[warning]\ndecline_years = 0\n", "warning.decline_years", "1–10"),
        ("[warning.thresholds]\nfoo = { alert = 1 }\n", "warning.thresholds.foo", "未知的指标"),
        (
            '[warning.thresholds]\ntax_per_mu = { basis = "ratio", alert = 1 }\n',
            "warning.thresholds.tax_per_mu.basis",
            "growth",
        ),
        (
            "[warning.thresholds]\ntax_per_mu = { alert = 5, quality = 5 }\n",
            "warning.thresholds.tax_per_mu.quality",
            "应大于警戒值",
        ),
        (
            '[warning.thresholds]\ntax_per_mu = { basis = "value" }\n',
            "warning.thresholds.tax_per_mu",
            "至少应设置",
        ),
        (
            '[warning.thresholds]\ntax_per_mu = { alert = "五" }\n',
            "warning.thresholds.tax_per_mu.alert",
            "应为数字",
        ),
    ],
)
def test_bad_warning_sections_name_the_key_in_chinese(text, key, words):
    with pytest.raises(ProfileError) as caught:
        profile_from_toml(with_warning(text), "x.toml")
    message = str(caught.value)
    assert key in message and words in message
    assert re.search(r"[\u4e00-\u9fff]", message)

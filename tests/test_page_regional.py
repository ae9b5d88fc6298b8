"""AppTest of the 镇街考核, 预警关注 and 专项政策评估 pages and the firm page's 预警提示 block,
on a copy of the demo city: the figures shown are the engine's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from page_support import open_page
from streamlit.testing.v1 import AppTest

from muyun import db, demo, labels, programmes, scoring, towns, watchlist
from muyun.profile import load_profile, profile_path

PROFILE = load_profile(profile_path("yongkang-default"))


@pytest.fixture(scope="module")
def scored_years(demo_db_path: Path) -> dict[int, pd.DataFrame]:
    con = db.connect(demo_db_path, read_only=True)
    try:
        return {y: scoring.score_year(con, y, PROFILE) for y in demo.YEARS}
    finally:
        con.close()


def table(at: AppTest, column: str, without: str = "") -> pd.DataFrame:
    """The first table on the page with `column` (and without `without`)."""
    return next(
        d.value
        for d in at.dataframe
        if column in d.value.columns and (not without or without not in d.value.columns)
    )


def every_page(at: AppTest, key: str, column: str) -> pd.DataFrame:
    """All rows of the paged table `key` (the table with `column`), page after page."""
    pager = [n for n in at.number_input if n.key == f"{key}_page"]
    pages = [table(at, column)]
    for number in range(2, int(pager[0].max) + 1 if pager else 2):
        at.number_input(key=f"{key}_page").set_value(number).run()
        pages.append(table(at, column))
    return pd.concat(pages, ignore_index=True)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_towns_page_ranks_towns_and_shows_a_towns_own_view(app_store, scored_years):
    at = open_page("pages/towns.py", year="2024")
    league = table(at, "place")
    assert len(league) == 15
    assert league["tax_per_mu"].is_monotonic_decreasing
    sums = towns.town_sums(scored_years[2024]).set_index("town")
    first = league.iloc[0]
    assert first["tax_per_mu"] == pytest.approx(sums.loc[first["town"], "tax_per_mu"])
    assert first["firms"] == sums.loc[first["town"], "firms"]

    at.selectbox(key="town_rank_by").set_value("share_d").run()
    assert table(at, "place")["share_d"].is_monotonic_increasing

    at.selectbox(key="town_pick").set_value("芝英镇").run()
    assert not at.exception
    firms = table(at, "credit_code", "reasons")
    assert set(firms["credit_code"]) <= set(
        scored_years[2024].loc[scored_years[2024]["town"] == "芝英镇", "credit_code"]
    )
    assert metric(at, labels.TOWN_HEADERS["firms"]) == f"{int(sums.loc['芝英镇', 'firms'])}"
    land = next(m for m in at.metric if m.label.startswith(labels.TOWN_TEXT["p_land"]))
    assert "目标" in land.label and land.value.endswith(labels.UNIT_MU)
    assert "对目标" in land.delta


def test_watchlist_page_lists_the_engines_watch_list(app_store, scored_years):
    at = open_page("pages/watchlist.py", year="2024", scale=labels.SCALE_ABOVE)
    expected = watchlist.watch_list(scored_years, 2024, PROFILE)
    expected = expected[expected["scale"] == labels.SCALE_ABOVE]
    shown = every_page(at, "watch_table", "reasons")
    assert list(shown["credit_code"]) == list(expected["credit_code"])
    assert metric(at, labels.WATCH_TEXT["n_listed"]) == f"{len(expected):,} {labels.UNIT_FIRMS}"
    assert shown["reasons"].str.len().gt(0).all()
    assert any("示意" in c.value for c in at.caption)


def test_programmes_page_shows_the_nx_evaluation(app_store, demo_db_path, scored_years):
    at = open_page("pages/programmes.py", year="2024")
    assert metric(at, labels.PROGRAMME_TEXT["metric_firms"]) == f"60 {labels.UNIT_FIRMS}"
    assert metric(at, labels.PROGRAMME_TEXT["metric_funds"]) == f"800.0 {labels.UNIT_WAN_YUAN}"
    con = db.connect(demo_db_path, read_only=True)
    try:
        part = programmes.load_participation(con)
    finally:
        con.close()
    effects = programmes.effects_frame(
        programmes.evaluate_all(scored_years, part, demo.PROGRAMME_NX)
    )
    shown = table(at, "did")
    assert shown["did"].tolist() == pytest.approx(effects["did"].tolist())
    assert shown["ci_low"].tolist() == pytest.approx(effects["ci_low"].tolist())


def test_programmes_page_without_data_says_so(app_store):
    con = db.connect(app_store)
    con.execute("DELETE FROM programme_participation")
    con.close()
    at = open_page("pages/programmes.py")
    assert any(i.value == labels.PROGRAMME_TEXT["no_programmes"] for i in at.info)


def test_firm_page_shows_the_watch_block(app_store, scored_years):
    listed = watchlist.watch_list(scored_years, 2024, PROFILE)
    code = listed["credit_code"].iloc[0]
    at = open_page("pages/enterprise.py", year="2024", code=code, scale=listed["scale"].iloc[0])
    assert any(s.value == labels.WATCH_TEXT["firm_header"] for s in at.subheader)
    assert any(listed["reasons"].iloc[0] in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("page", "read"),
    [
        # 2023 (growth, D firms cleared) is read from its stored tiers, not scored.
        ("pages/towns.py", {2024}),
        ("pages/watchlist.py", {2024}),  # 2021–2023 only read, for the rules' columns
        # Around the 2023 cohort: 2022 is read from its stored tiers (`cache.scored_columns`).
        ("pages/programmes.py", {2024}),
    ],
)
def test_each_view_scores_only_the_years_it_reads(app_store, monkeypatch, page, read):
    """Province scale (issue 15): scoring a year costs a second and ~150 MB there."""
    from ui import cache

    asked: set[int] = set()
    scored_year = cache.scored_year

    def recording(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
        asked.add(int(year))
        return scored_year(year, profile_name, basis)

    monkeypatch.setattr(cache, "scored_year", recording)
    open_page(page, year="2024")
    assert asked == read


def test_town_choice_and_ranking_live_in_the_url(app_store):
    share_d = labels.TOWN_RANK_KEYS["share_d"]  # bound widgets carry their label in the URL
    at = open_page("pages/towns.py", year="2024", town_rank_by=share_d, town_pick="芝英镇")
    assert at.selectbox(key="town_rank_by").value == "share_d"
    assert at.selectbox(key="town_pick").value == "芝英镇"
    assert table(at, "place")["share_d"].is_monotonic_increasing
    hostile = open_page("pages/towns.py", town_rank_by="=cmd()", town_pick="<b>x</b>")
    assert hostile.selectbox(key="town_rank_by").value == "tax_per_mu"


def test_data_page_lists_the_new_tables(app_store):
    at = open_page("pages/data.py")
    shown = {m.label for m in at.metric} | {b.label for b in at.get("download_button")}
    for table in ("town_targets", "programme_participation"):
        assert labels.TABLE_NAMES[table] in shown

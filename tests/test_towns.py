"""muyun.towns: every town figure is a sum over the town's firms; targets and progress."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from muyun import labels, queries, scoring, towns
from muyun.profile import load_profile, profile_path

PROFILE = load_profile(profile_path("yongkang-default"))


@pytest.fixture(scope="module")
def demo(demo_db_path: Path):
    con = duckdb.connect(str(demo_db_path), read_only=True)
    years = {y: scoring.score_year(con, y, PROFILE) for y in (2023, 2024)}
    inputs = towns.load_inputs(con, 2024)
    names = [r[0] for r in con.execute("SELECT name FROM towns").fetchall()]
    yield con, years, inputs, names
    con.close()


def test_town_aggregates_equal_the_sums_of_their_firms(demo):
    _, years, inputs, names = demo
    scored = years[2024]
    table = towns.league(scored, years[2023], inputs, PROFILE, names).set_index("town")
    part = queries.participating(scored)
    part = part[part["land_mu"] > 0]
    for town, firms in part.groupby("town"):
        row = table.loc[town]
        assert row["firms"] == len(firms)
        assert row["land_mu"] == pytest.approx(firms["land_mu"].sum())
        assert row["tax"] == pytest.approx(firms["tax"].sum())
        assert row["tax_per_mu"] == pytest.approx(firms["tax"].sum() / firms["land_mu"].sum())
        va = firms[firms["value_added"].notna()]
        assert row["va_per_mu"] == pytest.approx(va["value_added"].sum() / va["land_mu"].sum())
        ranked = firms[firms["status"] == labels.STATUS_EVALUATED]
        assert row["n_a"] == (ranked["tier"] == "A").sum()
        assert row["share_d"] == pytest.approx((ranked["tier"] == "D").mean())
    assert table["firms"].sum() == len(part)
    assert table["tax"].sum() == pytest.approx(part["tax"].sum())


def test_growth_is_against_the_towns_own_last_year(demo):
    _, years, inputs, names = demo
    table = towns.league(years[2024], years[2023], inputs, PROFILE, names).set_index("town")
    before = towns.town_sums(years[2023]).set_index("town")
    town = table.index[0]
    expected = (table.loc[town, "tax_per_mu"] / before.loc[town, "tax_per_mu"] - 1) * 100
    assert table.loc[town, "tax_per_mu_growth"] == pytest.approx(expected)


def test_land_rectified_and_targets_come_from_the_store(demo):
    con, years, inputs, names = demo
    table = towns.league(years[2024], years[2023], inputs, PROFILE, names).set_index("town")
    done = dict(
        con.execute(
            "SELECT town, sum(area_mu) FROM rectification_projects WHERE year = 2024 "
            "AND status = ? GROUP BY town",
            [labels.RECTIFICATION_DONE_STATUS],
        ).fetchall()
    )
    targets = dict(
        con.execute("SELECT town, land_rectified_mu FROM town_targets WHERE year = 2024").fetchall()
    )
    assert targets, "the demo city has town targets"
    for town in names:
        assert table.loc[town, "land_rectified_mu"] == pytest.approx(done.get(town, 0.0))
        assert table.loc[town, "target_land_rectified_mu"] == pytest.approx(targets[town])
        assert table.loc[town, "land_progress"] == pytest.approx(
            done.get(town, 0.0) / targets[town]
        )


def _firm(code: str, town: str, tier: str, land: float, tax: float, va: float | None) -> dict:
    return {
        "credit_code": code,
        "town": town,
        "status": labels.STATUS_EVALUATED,
        "tier": tier,
        "land_mu": land,
        "tax": tax,
        "value_added": va,
        "total": 50.0,
        "tax_per_mu": tax / land,
    }


def test_d_cleared_counts_improved_and_gone_d_firms():
    before = pd.DataFrame(
        [
            _firm("1", "甲镇", "D", 10, 10, None),
            _firm("2", "甲镇", "D", 10, 10, None),
            _firm("3", "甲镇", "D", 10, 10, None),
            _firm("4", "乙镇", "C", 10, 10, None),
        ]
    )
    after = pd.DataFrame(
        [_firm("1", "甲镇", "C", 10, 10, None), _firm("2", "甲镇", "D", 10, 10, None)]
    )
    cleared = towns.d_cleared(before, after)
    assert cleared.to_dict() == {"甲镇": 2}  # 1 improved, 3 gone, 2 still D


def test_ranking_puts_lower_d_share_first_and_missing_last():
    table = pd.DataFrame(
        {
            "town": ["甲", "乙", "丙"],
            "share_d": [0.1, 0.0, np.nan],
            "tax_per_mu": [5.0, 9.0, 7.0],
        }
    )
    by_d = towns.ranked_by(table, "share_d")
    assert list(by_d["town"]) == ["乙", "甲", "丙"]
    by_tax = towns.ranked_by(table, "tax_per_mu")
    assert list(by_tax["town"]) == ["乙", "丙", "甲"]
    assert list(by_tax["place"]) == [1, 2, 3]
    with pytest.raises(ValueError):
        towns.ranked_by(table, "name")


def test_a_town_without_firms_is_listed_with_zeros(demo):
    _, years, inputs, names = demo
    table = towns.league(years[2024], None, inputs, PROFILE, [*names, "无企业镇"])
    row = table.set_index("town").loc["无企业镇"]
    assert row["firms"] == 0
    assert np.isnan(row["tax_per_mu"])
    assert table["tax_per_mu_growth"].isna().all()  # no previous year given


def test_a_towns_firm_list_is_its_participating_firms_best_first(demo):
    _, years, _, names = demo
    scored = years[2024]
    town = names[0]
    firms = towns.town_firms(scored, town)
    assert list(firms.columns) == list(towns.FIRM_COLUMNS)
    part = queries.participating(scored)
    expected = part[part["town"] == town]
    assert len(firms) == len(expected) > 0
    assert set(firms["credit_code"]) == set(expected["credit_code"])
    totals = firms["total"]
    assert totals.dropna().is_monotonic_decreasing
    assert totals.isna().sum() == 0 or totals.iloc[-1:].isna().all()  # missing totals last
    assert towns.tier_counts(firms, town) == towns.tier_counts(scored, town)
    assert sum(towns.tier_counts(firms, town).values()) == int(
        (expected["status"] == labels.STATUS_EVALUATED).sum()
    )

"""The scoring engine against methodology.md: published worked examples and hand-computed pools."""

from __future__ import annotations

import math
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muyun import db, labels, profile, scoring
from muyun.profile import TierRule

YEAR = 2024
FIRM_DEFAULTS = {
    "year": YEAR,
    "industry": "车业",
    "town": "东城街道",
    "scale": "规上",
    "land_own_mu": 10.0,
    "tax": 100.0,
    "value_added": None,
    "revenue": 1000.0,
    "employees": None,
    "energy_tce": None,
    "electricity_10k_kwh": None,
    "emission_t": None,
    "rd": None,
    "water_t": None,
    "investment": None,
    "listing": "无",
    "talents": None,
    "safety_incidents": 0,
    "env_penalties": 0,
    "veto": False,
    "exempt": False,
}

# One indicator, fixed benchmark 10, weight 100: total = 10 × 亩均税收, easy to reason about.
TAX_ONLY = """
[meta]
name = "单指标测试方案"

[scales."规上".indicators]
tax_per_mu = { weight = 100, benchmark = 10 }

[scales."规下".indicators]
tax_per_mu = { weight = 100, benchmark = 10 }
"""

# Average benchmarks with a cap, and average-score imputation for missing emission.
AVERAGE = """
[meta]
name = "平均基准测试方案"

[scales."规上".indicators]
tax_per_mu = { weight = 60, benchmark = "average", cap = 2.0 }
va_per_emission = { weight = 40, benchmark = "average", cap = 2.0, missing = "average_score" }
"""


def shipped(stem: str) -> profile.Profile:
    return profile.load_profile(profile.profile_path(stem))


def from_toml(text: str) -> profile.Profile:
    return profile.profile_from_toml(text, "test.toml")


def code(i: int) -> str:
    return f"T{i:05d}"


def insert(con: duckdb.DuckDBPyConnection, firms: list[dict], leases: Sequence[dict] = ()) -> None:
    """Insert firms (defaults above; codes T00000, T00001, … unless given) and leases."""
    rows = [
        {**FIRM_DEFAULTS, "credit_code": code(i), "name": f"测试企业{i}", **firm}
        for i, firm in enumerate(firms)
    ]
    frame = pd.DataFrame(rows, columns=[*FIRM_DEFAULTS, "credit_code", "name"])
    for column in frame.columns:
        if frame[column].isna().all():
            frame[column] = frame[column].astype("float64")
    con.register("test_firms", frame)
    con.execute("INSERT INTO enterprises BY NAME SELECT * FROM test_firms")
    con.unregister("test_firms")
    for lease in leases:
        con.execute(
            "INSERT INTO leases (year, lessor_code, lessee_code, land_mu, registered, record_no) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [YEAR, lease["lessor"], lease["lessee"], lease["land_mu"], lease["registered"], "R1"],
        )


def score(con: duckdb.DuckDBPyConnection, prof: profile.Profile) -> pd.DataFrame:
    return scoring.score_year(con, YEAR, prof)


def by_code(result: pd.DataFrame) -> pd.DataFrame:
    return result.set_index("credit_code")


# ── §7 worked examples, through the shipped profiles ─────────────────────────────────────────


def test_huangyan_large_firm_worked_example(empty_con):
    insert(
        empty_con,
        [
            dict(
                land_own_mu=30,
                tax=900,
                value_added=4500,
                revenue=15000,
                rd=400,
                energy_tce=1500,
                emission_t=0.8,
                employees=200,
            )
        ],
    )
    row = by_code(score(empty_con, shipped("huangyan-2022"))).loc[code(0)]
    items = [
        row[f"score_{k}"]
        for k in (
            "tax_per_mu",
            "va_per_mu",
            "va_per_energy",
            "va_per_emission",
            "labour_productivity",
            "rd_intensity",
        )
    ]
    assert [round(x, 2) for x in items] == [37.35, 22.03, 22.27, 11.41, 12.40, 8.83]
    assert round(row["total"], 2) == 114.30
    assert row["status"] == "评价"
    assert row["bench_tax_per_mu"] == 24.097
    assert row["unit_tax_per_mu"] == pytest.approx(30 / 24.097)


def test_huangyan_small_firm_worked_example(empty_con):
    insert(empty_con, [dict(scale="规下", land_own_mu=8, tax=40, electricity_10k_kwh=120)])
    row = by_code(score(empty_con, shipped("huangyan-2022"))).loc[code(0)]
    assert round(row["score_tax_per_mu"], 2) == 21.56
    assert round(row["score_tax_per_kwh"], 2) == 70.86
    assert round(row["total"], 2) == 92.43


def test_linhai_worked_example(empty_con):
    insert(
        empty_con,
        [
            dict(
                land_own_mu=20,
                tax=240,
                revenue=5000,
                value_added=1200,
                energy_tce=500,
                emission_t=1.5,
                water_t=15000,
                employees=100,
            )
        ],
    )
    row = by_code(score(empty_con, shipped("linhai-2014"))).loc[code(0)]
    items = {
        k: round(row[f"score_{k}"], 2)
        for k in (
            "tax_per_mu",
            "revenue_per_mu",
            "va_per_energy",
            "va_per_emission",
            "va_per_water",
            "labour_productivity",
        )
    }
    assert items == {
        "tax_per_mu": 32,
        "revenue_per_mu": 8.33,
        "va_per_energy": 16,
        "va_per_emission": 24,
        "va_per_water": 4,
        "labour_productivity": 8,
    }
    assert round(row["total"], 2) == 92.33


# ── ranks and tiers ─────────────────────────────────────────────────────────────────────────


def test_ties_share_a_competition_rank(empty_con):
    insert(empty_con, [dict(land_own_mu=1, tax=t) for t in (50, 40, 40, 30, 20)])
    result = by_code(score(empty_con, from_toml(TAX_ONLY)))
    assert [result.loc[code(i), "rank"] for i in range(5)] == [1, 2, 2, 4, 5]
    assert result["rank"].dtype == "Int64"
    assert (result["pool_size"] == 5).all()
    assert (result["pool"] == "规上·车业").all()


def test_competition_rank_helper_groups_and_ties():
    values = np.array([5.0, 7.0, 7.0, 1.0, 9.0, 9.0, 3.0])
    groups = np.array([0, 0, 0, 0, 1, 1, 1])
    assert scoring.competition_rank(values, groups).tolist() == [3, 1, 1, 4, 1, 1, 3]
    assert scoring.competition_rank(np.array([2.0, 2.0, 2.0])).tolist() == [1, 1, 1]
    assert scoring.competition_rank(np.array([])).tolist() == []


# Expected counts, by hand, for distinct totals and every firm under the 6 万元/亩 line:
#   A: rank·100 ≤ 20n  → rank ≤ ⌊n/5⌋;   B: rank ≤ ⌊4n/5⌋;
#   D: (n − rank + 1)·100 ≤ 2n → the last ⌊n/50⌋ ranks;   C: the rest.
#   n=5:   A ⌊1.0⌋=1,  B ⌊4.0⌋=4 → 3,   D ⌊0.10⌋=0, C 5−4=1
#   n=10:  A 2,        B 8 → 6,         D ⌊0.2⌋=0,  C 2
#   n=49:  A ⌊9.8⌋=9,  B ⌊39.2⌋=39 → 30, D ⌊0.98⌋=0, C 10
#   n=50:  A 10,       B 40 → 30,       D 1,         C 50−40−1=9
#   n=51:  A ⌊10.2⌋=10, B ⌊40.8⌋=40 → 30, D ⌊1.02⌋=1, C 51−40−1=10
#   n=100: A 20,       B 80 → 60,       D 2,         C 18
BAND_COUNTS = {
    5: (1, 3, 1, 0),
    10: (2, 6, 2, 0),
    49: (9, 30, 10, 0),
    50: (10, 30, 9, 1),
    51: (10, 30, 10, 1),
    100: (20, 60, 18, 2),
}


@pytest.mark.parametrize("n", sorted(BAND_COUNTS))
def test_band_boundaries(empty_con, n):
    # 亩均税收 5.90, 5.89, … — distinct totals, all below the D line.
    insert(empty_con, [dict(land_own_mu=1, tax=round(5.9 - 0.01 * i, 2)) for i in range(n)])
    result = score(empty_con, from_toml(TAX_ONLY))
    counts = result["tier"].value_counts()
    assert tuple(int(counts.get(t, 0)) for t in "ABCD") == BAND_COUNTS[n]
    # Display order is rank order here, so tiers read A…A B…B C…C D…D.
    assert result["rank"].tolist() == list(range(1, n + 1))
    assert "".join(result["tier"]) == "".join(
        t * c for t, c in zip("ABCD", BAND_COUNTS[n], strict=True)
    )
    for rank, tier in zip(result["rank"], result["tier"], strict=True):
        assert scoring.tier_for_rank(int(rank), n, 5.0, TierRule()) == tier


def test_band_edges_exactly_at_the_percentages():
    rule = TierRule()
    assert scoring.tier_for_rank(20, 100, 1.0, rule) == "A"  # 2000 ≤ 2000
    assert scoring.tier_for_rank(21, 100, 1.0, rule) == "B"
    assert scoring.tier_for_rank(80, 100, 1.0, rule) == "B"  # 8000 ≤ 8000
    assert scoring.tier_for_rank(81, 100, 1.0, rule) == "C"
    assert scoring.tier_for_rank(98, 100, 1.0, rule) == "C"  # (100−98+1)·100 = 300 > 200
    assert scoring.tier_for_rank(99, 100, 1.0, rule) == "D"  # 200 ≤ 200
    assert scoring.tier_for_rank(1, 4, 1.0, rule) == "B"  # a pool of 4 has no A (100 > 80)
    assert scoring.tier_for_rank(100, 100, float("nan"), rule) == "C"
    assert scoring.tier_for_rank(100, 100, None, rule) == "C"


def test_tier_for_rank_is_assign_tiers_for_one_firm():
    rule = TierRule(a_pct=30, b_pct=70, d_pct=10, d_max_tax_per_mu=6.0)
    for n in range(1, 41):
        ranks = np.arange(1, n + 1)
        for tax in (5.0, 6.0, 0.6 / 0.1, float("nan")):
            many = scoring.assign_tiers(ranks, np.full(n, n), np.full(n, tax), np.zeros(n), rule)
            one = [scoring.tier_for_rank(int(r), n, tax, rule) for r in ranks]
            assert one == many.tolist()


@pytest.mark.parametrize(("last_tax", "tier"), [(6.0, "C"), (5.99, "D")])
def test_d_tax_line_at_exactly_six(empty_con, last_tax, tier):
    firms = [dict(land_own_mu=1, tax=10 + i) for i in range(49)]
    firms.append(dict(land_own_mu=1, tax=last_tax))
    insert(empty_con, firms)
    row = by_code(score(empty_con, from_toml(TAX_ONLY))).loc[code(49)]
    assert row["rank"] == 50
    assert row["tier"] == tier


def test_d_tax_line_is_not_fooled_by_float_noise(empty_con):
    # 0.6 / 0.1 is 5.999999999999999 in floating point; it is 6 万元/亩, so not D.
    firms = [dict(land_own_mu=1, tax=10 + i) for i in range(49)]
    firms.append(dict(land_own_mu=0.1, tax=0.6))
    insert(empty_con, firms)
    prof = from_toml(TAX_ONLY)
    row = by_code(score(empty_con, prof)).loc[code(49)]
    assert row["rank"] == 50 and row["tier"] == "C"
    lower = by_code(score(empty_con, prof.with_tiers(d_max_tax_per_mu=6.5))).loc[code(49)]
    assert lower["tier"] == "D"


def test_veto_drops_a_and_b_to_c_but_keeps_d(empty_con):
    firms = [dict(land_own_mu=1, tax=100 - i) for i in range(49)]
    firms[0]["veto"] = True  # rank 1: A → C
    firms[15]["veto"] = True  # rank 16: B → C
    firms.append(dict(land_own_mu=1, tax=1, veto=True))  # rank 50, tax 1 < 6: D stays D
    insert(empty_con, firms)
    result = by_code(score(empty_con, from_toml(TAX_ONLY)))
    assert result.loc[code(0), ["tier", "tier_before_veto", "rank"]].tolist() == ["C", "A", 1]
    assert result.loc[code(15), ["tier", "tier_before_veto"]].tolist() == ["C", "B"]
    assert result.loc[code(49), ["tier", "tier_before_veto"]].tolist() == ["D", "D"]
    assert result.loc[code(1), ["tier", "tier_before_veto"]].tolist() == ["A", "A"]
    # Vetoed firms keep their rank: the others do not move up.
    assert result.loc[code(1), "rank"] == 2
    tiers = scoring.assign_tiers(
        np.array([1, 2, 50]),
        np.array([50, 50, 50]),
        np.array([9.0, 9.0, 1.0]),
        np.array([True, False, True]),
        TierRule(),
    )
    assert tiers.tolist() == ["C", "A", "D"]


def test_exempt_is_scored_not_ranked_and_left_out_of_benchmarks(empty_con):
    firms = [
        dict(land_own_mu=10, tax=100 * (i + 1), emission_t=1.0, value_added=50) for i in range(5)
    ]
    firms.append(dict(land_own_mu=10, tax=10_000, emission_t=1.0, value_added=50, exempt=True))
    insert(empty_con, firms)
    result = by_code(score(empty_con, from_toml(AVERAGE)))
    exempt = result.loc[code(5)]
    assert exempt["status"] == labels.STATUS_EXEMPT
    assert exempt["reason"] == labels.REASON_EXEMPT
    assert pd.isna(exempt["rank"]) and pd.isna(exempt["tier"])
    # Benchmark = Σtax / Σland of the five non-exempt firms = 1500 / 50 = 30.
    assert exempt["bench_tax_per_mu"] == pytest.approx(30.0)
    assert exempt["score_tax_per_mu"] == pytest.approx(120.0)  # 1000/30 capped at 2 → 60 × 2
    assert not math.isnan(exempt["total"])
    assert result.loc[code(4), "rank"] == 1  # the exempt firm does not push anyone down
    assert (result["pool_size"] == 5).all()
    assert result.attrs["benchmarks"]["规上"]["tax_per_mu"] == pytest.approx(30.0)


def test_missing_emission_gets_average_item_score(empty_con):
    firms = [
        dict(land_own_mu=10, tax=100, value_added=100, emission_t=1.0),  # 100 万元/吨
        dict(land_own_mu=10, tax=100, value_added=300, emission_t=1.0),  # 300
        dict(land_own_mu=10, tax=100, value_added=800, emission_t=2.0),  # 400
        dict(land_own_mu=10, tax=100, value_added=500, emission_t=None),  # missing
        dict(land_own_mu=10, tax=100, value_added=9e6, emission_t=1.0, exempt=True),
    ]
    insert(empty_con, firms)
    result = by_code(score(empty_con, from_toml(AVERAGE)))
    # Benchmark over the three non-exempt defined firms: 1200 / 4 = 300 万元/吨.
    # Items: 40 × (100/300, 300/300, 400/300) = 13.33, 40, 53.33; mean = 35.56.
    expected = 40 * (100 / 300 + 1 + 400 / 300) / 3
    missing = result.loc[code(3)]
    assert missing["score_va_per_emission"] == pytest.approx(expected)
    assert bool(missing["imputed_va_per_emission"]) is True
    assert math.isnan(missing["unit_va_per_emission"])
    assert math.isnan(missing["va_per_emission"])
    assert not result.loc[code(0), "imputed_va_per_emission"]
    assert missing["total"] == pytest.approx(60 + expected, abs=1e-6)


def test_missing_with_zero_policy_scores_zero_and_is_not_imputed(empty_con):
    insert(empty_con, [dict(emission_t=1.0, value_added=10), dict(emission_t=None)])
    prof = from_toml(AVERAGE.replace('missing = "average_score"', 'missing = "zero"'))
    row = by_code(score(empty_con, prof)).loc[code(1)]
    assert row["score_va_per_emission"] == 0
    assert row["unit_va_per_emission"] == 0
    assert not row["imputed_va_per_emission"]


def test_negative_tax_scores_zero_not_negative(empty_con):
    insert(
        empty_con,
        [dict(tax=500, value_added=10, emission_t=1), dict(tax=-50, value_added=10, emission_t=1)],
    )
    result = by_code(score(empty_con, from_toml(AVERAGE)))
    refund = result.loc[code(1)]
    assert refund["tax_per_mu"] == -5.0
    assert refund["score_tax_per_mu"] == 0.0
    assert refund["unit_tax_per_mu"] == 0.0
    assert result.attrs["warnings"] == []


def test_zero_employees(empty_con):
    prof = shipped("yongkang-default")
    insert(
        empty_con,
        [
            dict(value_added=500, employees=0, talents=5),
            dict(value_added=500, employees=100, talents=35),
        ],
    )
    result = by_code(score(empty_con, prof))
    zero = result.loc[code(0)]
    assert math.isnan(zero["labour_productivity"])
    assert zero["score_labour_productivity"] == 0.0
    assert zero["bonus_talent"] == 0.0
    assert result.loc[code(1), "bonus_talent"] == 3.0  # 35 % ≥ 30 %


def test_registered_and_unregistered_leases(empty_con):
    insert(
        empty_con,
        [dict(land_own_mu=20), dict(land_own_mu=4), dict(land_own_mu=6), dict(land_own_mu=5)],
        leases=[
            dict(lessor=code(0), lessee=code(1), land_mu=5, registered=True),
            dict(lessor=code(0), lessee=code(2), land_mu=3, registered=False),
            dict(lessor=code(3), lessee=code(0), land_mu=2, registered=True),
        ],
    )
    result = by_code(score(empty_con, from_toml(TAX_ONLY)))
    got = result[
        ["land_own_mu", "leased_in_mu", "leased_out_mu", "unregistered_lease_mu", "land_mu"]
    ]
    assert got.loc[code(0)].tolist() == [
        20,
        2,
        5,
        3,
        17,
    ]  # 20 − 5 + 2; unregistered 3 moves nothing
    assert got.loc[code(1)].tolist() == [4, 5, 0, 0, 9]
    assert got.loc[code(2)].tolist() == [6, 0, 0, 3, 6]
    assert got.loc[code(3)].tolist() == [5, 0, 2, 0, 3]
    assert result.loc[code(0), "tax_per_mu"] == pytest.approx(100 / 17)


def test_small_firm_land_minimum(empty_con):
    insert(
        empty_con,
        [
            dict(scale="规下", land_own_mu=2.99),
            dict(scale="规下", land_own_mu=3.0),
            dict(scale="规下", land_own_mu=3.3),  # leases 0.3 out → exactly 3 亩
            dict(scale="规上", land_own_mu=1.0),  # no minimum for 规上
            dict(scale="规上", land_own_mu=0.0),
            dict(scale="规下", land_own_mu=5.0),
        ],
        leases=[dict(lessor=code(2), lessee=code(5), land_mu=0.3, registered=True)],
    )
    result = by_code(score(empty_con, from_toml(TAX_ONLY)))
    assert result.loc[code(0), ["status", "reason"]].tolist() == ["不参评", "用地不足3亩"]
    assert pd.isna(result.loc[code(0), "total"]) and pd.isna(result.loc[code(0), "rank"])
    assert pd.isna(result.loc[code(0), "tier"])
    assert result.loc[code(1), "status"] == "评价"
    assert result.loc[code(2), ["status", "land_mu"]].tolist() == ["评价", 3.0]
    assert result.loc[code(3), "status"] == "评价"
    assert result.loc[code(4), ["status", "reason"]].tolist() == ["不参评", "无有效用地"]
    assert (result.loc[[code(1), code(2), code(5)], "pool_size"] == 3).all()


def test_scale_absent_from_profile(empty_con):
    insert(empty_con, [dict(scale="规下", land_own_mu=8, tax=40), dict(scale="规上")])
    result = by_code(score(empty_con, shipped("linhai-2014")))
    small = result.loc[code(0)]
    assert small["status"] == "不参评"
    assert small["reason"] == labels.REASON_SCALE_NOT_IN_PROFILE
    assert math.isnan(small["total"]) and pd.isna(small["tier"])
    assert result.loc[code(1), "status"] == "评价"
    assert set(result.attrs["benchmarks"]) == {"规上"}


def test_benchmark_not_positive_gives_zero_items_and_a_warning(empty_con):
    insert(empty_con, [dict(tax=-10), dict(tax=-30), dict(tax=5)])
    result = score(empty_con, from_toml(AVERAGE))
    assert result.attrs["benchmarks"]["规上"]["tax_per_mu"] < 0
    assert (result["score_tax_per_mu"] == 0).all()
    assert any("亩均税收" in w and "≤ 0" in w for w in result.attrs["warnings"])


def test_bonus_items_and_cap(empty_con):
    prof = shipped("yongkang-default")
    insert(
        empty_con,
        [
            # 上市 5 + investment ⌊3500/1000⌋ = 3 + talent 30 % → 3 + water ×1.5 → 2 = 13 → cap 10
            dict(
                listing="上市",
                investment=3500,
                employees=100,
                talents=30,
                value_added=300,
                water_t=100,
            ),
            # 股改 2 + ⌊999/1000⌋ = 0 + talent 15 % → 1 + water ×1.0 → 1 = 4
            dict(
                listing="股改",
                investment=999,
                employees=100,
                talents=15,
                value_added=200,
                water_t=100,
            ),
            # water ×0.5 → 0, no investment, talent 5 % → 0
            dict(value_added=100, water_t=100, employees=100, talents=5),
            dict(scale="规下", land_own_mu=8, listing="新三板", investment=12000),
        ],
    )
    result = by_code(score(empty_con, prof))
    # Water average of 规上 = Σva / Σwater = 600 / 300 = 2 万元/吨.
    first, second, third = (result.loc[code(i)] for i in range(3))
    assert [first[f"bonus_{k}"] for k in ("listing", "investment", "talent", "water")] == [
        5,
        3,
        3,
        2,
    ]
    assert first["water_multiple"] == pytest.approx(1.5)
    assert first["bonus"] == 10
    assert [second[f"bonus_{k}"] for k in ("listing", "investment", "talent", "water")] == [
        2,
        0,
        1,
        1,
    ]
    assert second["bonus"] == 4
    assert third["bonus"] == 0
    assert result.loc[code(3), "bonus"] == 6  # 新三板 3 + investment capped at 3
    items = sum(first[f"score_{s.key}"] for s in prof.scales["规上"])
    assert first["total"] == pytest.approx(items + 10, abs=1e-6)
    # va_per_water is not a scored indicator of this profile, yet the water bonus uses it.
    assert "score_va_per_water" not in result.columns
    uncapped = by_code(score(empty_con, prof.with_bonus_cap(None))).loc[code(0)]
    assert uncapped["bonus"] == 13


def test_water_bonus_multiple_is_not_fooled_by_float_noise(empty_con):
    # va_per_water 3/5 = 0.6 and 1/5 = 0.2; the 规上 average is 4/10 = 0.4 万元/吨, and
    # 0.6 / 0.4 is 1.4999999999999998 in floating point: by hand it is ×1.5, so 2 points.
    insert(empty_con, [dict(value_added=3, water_t=5), dict(value_added=1, water_t=5)])
    result = by_code(score(empty_con, shipped("yongkang-default")))
    assert result.loc[code(0), "water_multiple"] == 1.5
    assert result.loc[code(0), "bonus_water"] == 2
    assert result.loc[code(1), "water_multiple"] == 0.5
    assert result.loc[code(1), "bonus_water"] == 0


@pytest.mark.parametrize(
    ("investment", "points"),
    # 0.7 / 0.1 = 6.999999999999999 and 0.3 / 0.1 = 2.9999999999999996 in floating point.
    [(0.7, 7), (0.3, 3), (0.69, 6), (0.0999999, 0), (2.5, 10)],
)
def test_investment_points_floor_after_the_tolerance(empty_con, investment, points):
    text = TAX_ONLY + "\n[bonus]\ninvestment_per_point = 0.1\ninvestment_max = 10\n"
    insert(empty_con, [dict(investment=investment)])
    row = by_code(score(empty_con, from_toml(text))).loc[code(0)]
    assert row["bonus_investment"] == points
    assert row["bonus"] == points


@pytest.mark.parametrize(
    ("talents", "employees", "points"),
    [(2, 3, 3), (1, 3, 1), (3, 10, 1), (29, 100, 0)],
)
def test_talent_share_meets_its_rows_at_the_tolerance(empty_con, talents, employees, points):
    # Rows 2/3 and 0.3 written to 6 decimals, as an official computes the share by hand.
    text = TAX_ONLY + "\n[bonus]\ntalent = [[0.666667, 3], [0.3, 1]]\n"
    insert(empty_con, [dict(talents=talents, employees=employees)])
    row = by_code(score(empty_con, from_toml(text))).loc[code(0)]
    assert row["talent_share"] == round(talents / employees, scoring.TOLERANCE_DECIMALS)
    assert row["bonus_talent"] == points


def test_round_tol_is_the_engine_tolerance():
    assert scoring.TOLERANCE_DECIMALS == 6
    assert scoring.round_tol(0.6 / 0.4) == 1.5
    assert scoring.round_tol(np.array([0.7 / 0.1, np.nan]))[0] == 7.0
    assert np.isnan(scoring.round_tol(np.array([0.7 / 0.1, np.nan]))[1])


def test_bonus_and_deduction_scales_restriction(empty_con):
    text = shipped("yongkang-default").to_toml()
    text = text.replace('[bonus]\nscales = ["规上", "规下"]', '[bonus]\nscales = ["规上"]')
    text = text.replace(
        '[deductions]\nscales = ["规上", "规下"]', '[deductions]\nscales = ["规下"]'
    )
    prof = from_toml(text)
    insert(
        empty_con,
        [
            dict(listing="上市", safety_incidents=1),
            dict(scale="规下", land_own_mu=8, listing="上市", safety_incidents=1),
        ],
    )
    result = by_code(score(empty_con, prof))
    assert result.loc[code(0), ["bonus", "deduction"]].tolist() == [5, 0]
    assert result.loc[code(1), ["bonus", "deduction"]].tolist() == [0, 5]


def test_deductions_and_cap(empty_con):
    insert(empty_con, [dict(safety_incidents=2, env_penalties=1), dict()])
    prof = shipped("yongkang-default")
    result = by_code(score(empty_con, prof))
    row = result.loc[code(0)]
    assert row[["deduction_safety", "deduction_env", "deduction"]].tolist() == [10, 5, 15]
    items = sum(row[f"score_{s.key}"] for s in prof.scales["规上"])
    assert row["total"] == pytest.approx(items + row["bonus"] - 15, abs=1e-6)
    capped = from_toml(prof.to_toml().replace("env_penalty = 5.0", "env_penalty = 5.0\ncap = 8"))
    assert by_code(score(empty_con, capped)).loc[code(0), "deduction"] == 8


def test_profile_without_bonus_has_zero_bonus(empty_con):
    insert(empty_con, [dict(listing="上市", investment=9000, safety_incidents=3)])
    row = by_code(score(empty_con, from_toml(TAX_ONLY))).loc[code(0)]
    assert row[["bonus", "deduction"]].tolist() == [0, 0]


def test_average_benchmark_is_ratio_of_sums_not_mean_of_ratios(empty_con):
    insert(empty_con, [dict(land_own_mu=1, tax=10), dict(land_own_mu=9, tax=10)])
    result = score(empty_con, from_toml(AVERAGE))
    assert result.attrs["benchmarks"]["规上"]["tax_per_mu"] == pytest.approx(20 / 10)
    assert result["bench_tax_per_mu"].iloc[0] == pytest.approx(2.0)


def test_pools_by_industry_or_scale(empty_con):
    insert(
        empty_con,
        [
            dict(tax=300, industry="门业"),
            dict(tax=200, industry="车业"),
            dict(tax=100, industry="门业"),
        ],
    )
    prof = from_toml(TAX_ONLY)
    by_industry = by_code(score(empty_con, prof))
    assert by_industry["rank"].tolist() == [1, 1, 2]
    assert by_industry["pool"].tolist() == ["规上·门业", "规上·车业", "规上·门业"]
    whole = by_code(score(empty_con, from_toml(TAX_ONLY + '\n[evaluation]\npool_by = "none"\n')))
    assert whole["rank"].tolist() == [1, 2, 3]
    assert (whole["pool"] == "规上").all() and (whole["pool_size"] == 3).all()


def test_display_order_total_then_tax_then_code(empty_con):
    text = """
[meta]
name = "x"
[scales."规上".indicators]
tax_per_mu = { weight = 50, benchmark = 10, cap = 1.0 }
va_per_mu = { weight = 50, benchmark = 10, cap = 1.0 }
"""
    insert(
        empty_con,
        [
            dict(credit_code="Z2", tax=100, value_added=100),  # 100 points, tax 10
            dict(credit_code="Z1", tax=100, value_added=100),  # 100 points, tax 10
            dict(credit_code="A9", tax=300, value_added=100),  # 100 points (capped), tax 30
            dict(credit_code="B1", tax=10, value_added=100),  # 55 points
            dict(credit_code="C1", scale="规下", land_own_mu=1),  # 不参评: last
        ],
    )
    result = score(empty_con, from_toml(text))
    assert result["credit_code"].tolist() == ["A9", "Z1", "Z2", "B1", "C1"]
    assert result["rank"].tolist()[:4] == [1, 1, 1, 4]
    assert list(result.index) == [0, 1, 2, 3, 4]


def test_display_order_tax_tie_ignores_float_noise(empty_con):
    # 19.1 / 5.2 = 3.6730769230769234 and 1.91 / 0.52 = 3.673076923076923: the same 亩均税收
    # by hand, so equal totals fall back to credit_code ascending.
    insert(
        empty_con,
        [
            dict(credit_code="Z9", land_own_mu=5.2, tax=19.1),
            dict(credit_code="A1", land_own_mu=0.52, tax=1.91),
        ],
    )
    result = score(empty_con, from_toml(TAX_ONLY))
    assert 19.1 / 5.2 != 1.91 / 0.52  # the noise this test is about
    assert result["total"].iloc[0] == result["total"].iloc[1]
    assert result["credit_code"].tolist() == ["A1", "Z9"]
    assert result["rank"].tolist() == [1, 1]


def test_result_columns_and_types(empty_con):
    insert(empty_con, [dict(), dict(scale="规下", land_own_mu=1)])
    prof = shipped("yongkang-default")
    result = score(empty_con, prof)
    enterprise_columns = [
        r[0]
        for r in empty_con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'enterprises'"
        ).fetchall()
    ]
    expected = [
        *enterprise_columns,
        "leased_in_mu",
        "leased_out_mu",
        "unregistered_lease_mu",
        "land_mu",
        "status",
        "reason",
        *scoring.INDICATOR_FORMULAS,
        *scoring.BONUS_COLUMNS,
        "bonus",
        "deduction_safety",
        "deduction_env",
        "deduction",
        "total",
        "pool",
        "pool_size",
        "rank",
        "tier",
        "tier_before_veto",
    ]
    for key in prof.indicator_keys():
        expected += [f"bench_{key}", f"score_{key}", f"imputed_{key}", f"unit_{key}"]
    assert set(expected) <= set(result.columns)
    assert result["imputed_tax_per_mu"].dtype == bool
    assert set(result["status"]) <= set(labels.STATUSES)
    assert set(result["tier"].dropna()) <= set(scoring.TIER_ORDER)
    assert scoring.TIER_ORDER == ("A", "B", "C", "D")


def test_what_if_weights_match_a_profile_with_those_weights(empty_con):
    rng = np.random.default_rng(3)
    insert(
        empty_con,
        [
            dict(
                land_own_mu=float(rng.uniform(3, 50)),
                tax=float(rng.uniform(-5, 900)),
                value_added=float(rng.uniform(10, 5000)),
                employees=int(rng.integers(0, 300)),
                energy_tce=float(rng.uniform(1, 900)),
                rd=float(rng.uniform(0, 50)),
                emission_t=None if i % 4 == 0 else float(rng.uniform(0.1, 5)),
                industry=labels.INDUSTRIES[i % 3],
            )
            for i in range(60)
        ],
    )
    base = shipped("yongkang-default")
    moved = base.with_weights("规上", {"tax_per_mu": 45, "rd_intensity": 0})
    data = scoring.load_year(empty_con, YEAR)
    via_prepared = scoring.score_prepared(data, moved)
    via_file = score(empty_con, from_toml(moved.to_toml()))
    pd.testing.assert_frame_equal(via_prepared, via_file)
    assert not via_prepared["total"].equals(scoring.score_prepared(data, base)["total"])


def test_empty_year(empty_con):
    result = score(empty_con, shipped("yongkang-default"))
    assert len(result) == 0
    assert "total" in result.columns and "tier" in result.columns


# ── properties ──────────────────────────────────────────────────────────────────────────────

PROPERTY_PROFILE = """
[meta]
name = "性质测试方案"

[tiers]
d_max_tax_per_mu = 1e9

[scales."规上".indicators]
tax_per_mu = { weight = 40, benchmark = "average", cap = 2.0 }
va_per_mu = { weight = 30, benchmark = "average", cap = 2.0 }
va_per_emission = { weight = 30, benchmark = "average", cap = 2.0, missing = "average_score" }
"""

firm_strategy = st.fixed_dictionaries(
    {
        "land_own_mu": st.sampled_from([1.0, 2.5, 5.0, 10.0, 40.0]),
        "tax": st.integers(1, 2000).map(float),
        "value_added": st.integers(1, 8000).map(float),
        "emission_t": st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0])),
        "industry": st.sampled_from(["车业", "门业"]),
    }
)
property_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def shared_con():
    con = db.connect(":memory:")
    yield con
    con.close()


def reset(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM enterprises")
    con.execute("DELETE FROM leases")


@property_settings
@given(firms=st.lists(firm_strategy, min_size=1, max_size=60))
def test_tiers_are_monotone_in_total_within_a_pool(shared_con, firms):
    reset(shared_con)
    insert(shared_con, firms)
    result = score(shared_con, from_toml(PROPERTY_PROFILE))
    order = {t: i for i, t in enumerate(scoring.TIER_ORDER)}
    for _, pool in result.groupby("pool"):
        pool = pool.sort_values("total", ascending=False)
        tiers = [order[t] for t in pool["tier"]]
        assert tiers == sorted(tiers)
        ranks = pool["rank"].tolist()
        assert ranks == sorted(ranks)
        assert ranks[0] == 1 and (pool["pool_size"] == len(pool)).all()


@property_settings
@given(
    firms=st.lists(firm_strategy, min_size=2, max_size=40),
    pick=st.integers(0, 10_000),
    factor=st.floats(1.01, 5.0),
)
def test_raising_tax_never_lowers_rank(shared_con, firms, pick, factor):
    i = pick % len(firms)
    prof = shipped("yongkang-default")
    reset(shared_con)
    insert(shared_con, firms)
    before = by_code(score(shared_con, prof)).loc[code(i), "rank"]
    raised = [dict(f) for f in firms]
    raised[i]["tax"] = firms[i]["tax"] * factor
    reset(shared_con)
    insert(shared_con, raised)
    after = by_code(score(shared_con, prof)).loc[code(i), "rank"]
    assert after <= before


@property_settings
@given(firms=st.lists(firm_strategy, min_size=1, max_size=40), seed=st.integers(0, 2**16))
def test_scores_invariant_to_row_order(shared_con, firms, seed):
    prof = shipped("yongkang-default")
    numbered = [{**f, "credit_code": code(i), "name": f"企业{i}"} for i, f in enumerate(firms)]
    reset(shared_con)
    insert(shared_con, numbered)
    first = score(shared_con, prof)
    shuffled = [numbered[j] for j in np.random.default_rng(seed).permutation(len(numbered))]
    reset(shared_con)
    insert(shared_con, shuffled)
    second = score(shared_con, prof)
    pd.testing.assert_frame_equal(first, second)


# ── memory: what a 200,000-firm year costs while it is scored ──────────────────────────────


def random_firms(n: int, seed: int = 5) -> list[dict]:
    """Firms with missing values, zero and negative denominators and two scales, in random
    credit-code order."""
    rng = np.random.default_rng(seed)
    firms = []
    for i in rng.permutation(n):
        firms.append(
            dict(
                credit_code=code(int(i)),
                scale=str(rng.choice(["规上", "规下"])),
                industry=labels.INDUSTRIES[int(i) % 3],
                land_own_mu=float(rng.choice([0.0, 0.4, 3.3, 12.5])),
                tax=float(rng.uniform(-5, 900)),
                value_added=None if i % 5 == 0 else float(rng.uniform(10, 5000)),
                employees=int(rng.integers(0, 300)),
                energy_tce=float(rng.choice([0.0, -1.0, rng.uniform(1, 900)])),
                emission_t=None if i % 4 == 0 else float(rng.uniform(0.1, 5)),
                rd=float(rng.uniform(0, 50)),
                water_t=None if i % 3 == 0 else float(rng.uniform(1, 90)),
                electricity_10k_kwh=float(rng.uniform(1, 90)),
                talents=int(rng.integers(0, 30)),
                safety_incidents=int(rng.integers(0, 2)),
            )
        )
    return firms


def test_numerators_and_denominators_are_the_zero_filled_columns(empty_con):
    """They are computed on access from the raw columns, for the year and for year − 1."""
    firms = random_firms(300)
    insert(empty_con, firms)
    insert(empty_con, [{**f, "year": YEAR - 1, "tax": f["tax"] / 2} for f in firms])
    data = scoring.load_year(empty_con, YEAR)
    assert data.prior is not None
    for year in (data, data.prior):
        assert list(year.numerators) == list(scoring.INDICATOR_FORMULAS)
        assert len(year.denominators) == len(scoring.INDICATOR_FORMULAS)
        for key, (num_col, den_col) in scoring.INDICATOR_FORMULAS.items():
            num, den = year.columns[num_col], year.columns[den_col]
            defined = ~np.isnan(num) & (den > 0)
            assert np.array_equal(year.numerators[key], np.where(defined, num, 0.0))
            assert np.array_equal(year.denominators[key], np.where(defined, den, 0.0))
    energy = data.denominators["va_per_energy"]
    assert np.array_equal(~np.isnan(data.values["va_per_energy"]), energy > 0)


@pytest.mark.parametrize("seed", range(6))
def test_sums_over_a_mask_read_only_the_masked_rows(seed):
    """`_ratio_of_sums` sums the raw columns where the indicator is defined: the same bits as
    summing the zero-filled numerators and denominators (numpy's `where=` sum adds the runs of
    the mask, pairwise within each run, and never reads the other rows)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5_000))
    num = np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(3, 2, n))
    den = np.where(rng.random(n) < 0.2, rng.choice([0.0, -2.0, np.nan], n), rng.uniform(0, 9, n))
    columns = {"tax": num, "land_mu": den}
    defined = ~np.isnan(num) & (den > 0)
    mask = defined & (rng.random(n) < rng.uniform(0.3, 1.0))
    filled_num, filled_den = np.where(defined, num, 0.0), np.where(defined, den, 0.0)
    expected = float(np.sum(filled_num, where=mask)) / float(np.sum(filled_den, where=mask))
    prior = scoring.PriorYear(YEAR, np.zeros(n, dtype=np.int64), den, defined, columns)
    got = scoring._ratio_of_sums(prior, "tax_per_mu", mask)
    assert np.float64(got).tobytes() == np.float64(expected).tobytes()


def test_rows_and_year_before_come_in_credit_code_order(empty_con):
    """The query has no ORDER BY (DuckDB would hold a sorted copy of every column): the rows
    are sorted in Arrow, so year − 1's sums add up in the same order whatever the import's."""
    firms = random_firms(200)
    insert(empty_con, firms)
    insert(empty_con, [{**f, "year": YEAR - 1} for f in reversed(firms)])
    data = scoring.load_year(empty_con, YEAR)
    codes = data.frame["credit_code"].tolist()
    assert codes == sorted(codes) == sorted(f["credit_code"] for f in firms)
    tax = {f["credit_code"]: f["tax"] for f in firms}
    assert data.prior is not None
    assert data.prior.columns["tax"].tolist() == [tax[c] for c in codes]


@pytest.mark.parametrize("order", ["as coded", "reversed", "shuffled"])
def test_a_year_comes_sorted_whether_or_not_it_was_imported_in_code_order(empty_con, order):
    """Rows already in code order are kept as read (no reordering copy); any other import
    order is sorted, so the check that decides between the two cannot let one through."""
    firms = sorted(random_firms(300), key=lambda f: f["credit_code"])
    if order == "reversed":
        firms.reverse()
    elif order == "shuffled":
        firms = [firms[i] for i in np.random.default_rng(7).permutation(len(firms))]
    insert(empty_con, firms)
    insert(empty_con, [{**f, "year": YEAR - 1} for f in firms])
    data = scoring.load_year(empty_con, YEAR)
    codes = data.frame["credit_code"].tolist()
    assert codes == sorted(f["credit_code"] for f in firms)
    land = [{f["credit_code"]: f["land_own_mu"] for f in firms}[c] for c in codes]
    assert data.frame["land_own_mu"].tolist() == land
    assert data.prior is not None  # year − 1 is never re-sorted later: this check alone decides
    assert data.prior.land.tolist() == land


def test_scoring_a_year_holds_each_new_column_once(empty_con):
    """The transient memory of `score_prepared` (numpy's allocations, which tracemalloc sees):
    the float columns are filled in the block the result keeps, not gathered and then copied
    into one by pandas, so the peak stays close to what the result keeps (it was 2.4×)."""
    import tracemalloc

    insert(empty_con, random_firms(3_000))
    data = scoring.load_year(empty_con, YEAR)
    prof = shipped("yongkang-default")
    expected = scoring.score_prepared(data, prof)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = scoring.score_prepared(data, prof)
        kept, peak = (m - before for m in tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
    assert peak < 1.3 * kept, (peak, kept)


# ── `python -m muyun score` ─────────────────────────────────────────────────────────────────


def bureau_files(tmp_path):
    """A small enterprises CSV (Chinese headers, 是/否 flags) and a leases CSV, valid per §5."""
    import random

    from muyun import creditcode

    rng = random.Random(5)
    codes = [creditcode.make_code(rng) for _ in range(12)]
    headers = labels.TABLE_HEADERS["enterprises"]
    rows = []
    for i, c in enumerate(codes):
        rows.append(
            {
                "year": YEAR,
                "credit_code": c,
                "name": f"文件企业{i}",
                "industry": "门业" if i % 2 else "车业",
                "town": "芝英镇",
                "scale": "规下" if i >= 9 else "规上",
                "land_own_mu": 2.5 if i == 11 else 10 + i,
                "tax": 50 + 20 * i,
                "value_added": 300 + i,
                "revenue": 2000 + 10 * i,
                "employees": 40 + i,
                "energy_tce": 100 + i,
                "electricity_10k_kwh": 200 + i,
                "emission_t": "-",
                "veto": "是" if i == 0 else "否",
                "exempt": "是" if i == 5 else "否",
            }
        )
    enterprises = tmp_path / "企业.csv"
    pd.DataFrame(rows).rename(columns=headers).to_csv(enterprises, index=False)
    leases = tmp_path / "租赁.csv"
    pd.DataFrame(
        [
            {
                "year": YEAR,
                "lessor_code": codes[1],
                "lessee_code": codes[2],
                "land_mu": 4,
                "registered": "是",
                "record_no": "YK-1",
            },
            {
                "year": YEAR,
                "lessor_code": codes[3],
                "lessee_code": codes[4],
                "land_mu": 2,
                "registered": "否",
                "record_no": "",
            },
        ]
    ).rename(columns=labels.TABLE_HEADERS["leases"]).to_csv(leases, index=False)
    return enterprises, leases, codes


def run_cli(*argv: str) -> int:
    from muyun.cli import main

    return main(["score", *argv])


def test_cli_input_files_to_csv(tmp_path, capsys):
    from muyun import importer

    enterprises, leases, codes = bureau_files(tmp_path)
    out = tmp_path / "结果.csv"
    profile_file = str(profile.profile_path("yongkang-default"))
    rc = run_cli(
        "--input",
        str(enterprises),
        "--leases",
        str(leases),
        "--profile",
        profile_file,
        "--out",
        str(out),
    )
    printed = capsys.readouterr().out
    assert rc == 0
    assert "共 12 家企业" in printed and "A 类" in printed and "秒" in printed
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"tier": "str"})
    required = [
        "year",
        "credit_code",
        "name",
        "industry",
        "scale",
        "town",
        "status",
        "land_mu",
        "total",
        "rank",
        "pool_size",
        "tier",
        "bonus",
        "deduction",
        *scoring.INDICATOR_FORMULAS,
        *(f"score_{s.key}" for specs in shipped("yongkang-default").scales.values() for s in specs),
    ]
    assert set(required) <= set(table.columns)
    assert len(table) == 12
    # The same files imported by hand and scored in the engine give the same numbers.
    con = db.connect(":memory:")
    importer.import_file(con, enterprises, "enterprises")
    importer.import_file(con, leases, "leases")
    expected = score(con, shipped("yongkang-default"))
    con.close()
    assert table["credit_code"].tolist() == expected["credit_code"].tolist()
    np.testing.assert_allclose(table["total"], expected["total"], rtol=1e-12)
    got = table.set_index("credit_code")
    assert got.loc[codes[1], "land_mu"] == 11 - 4 and got.loc[codes[2], "land_mu"] == 12 + 4
    assert got.loc[codes[3], "land_mu"] == 13  # unregistered lease moves nothing
    assert got.loc[codes[11], "status"] == "不参评" and pd.isna(got.loc[codes[11], "tier"])
    assert got.loc[codes[5], "status"] == "不定级" and pd.isna(got.loc[codes[5], "rank"])
    assert got.loc[codes[0], "tier"] in {"C", "D"}  # vetoed
    assert set(table["tier"].dropna()) <= {"A", "B", "C", "D"}
    assert (table["status"] == "评价").sum() == table["tier"].notna().sum()


def test_cli_database_to_xlsx_leaves_the_file_alone(tmp_path, capsys):
    path = tmp_path / "store.duckdb"
    con = db.connect(path)
    insert(con, [dict(tax=100 + i, industry="杯业") for i in range(6)])
    con.close()
    before = path.read_bytes()
    out = tmp_path / "结果.xlsx"
    assert (
        run_cli(
            "--db", str(path), "--year", str(YEAR), "--profile", "huangyan-2022", "--out", str(out)
        )
        == 0
    )
    assert path.read_bytes() == before
    sheet = pd.read_excel(out, engine="calamine")
    headers = set(sheet.columns)
    assert {"统一社会信用代码", "综合得分（分）", "行业排名", "分类", "评价状态"} <= headers
    assert "亩均税收得分（分）" in sheet.columns and "亩均税收（万元/亩）" in sheet.columns
    assert set(sheet["一票否决"]) == {"否"}
    assert sheet["行业排名"].tolist() == [1, 2, 3, 4, 5, 6]
    assert "黄岩区" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--db", "x.duckdb", "--out", "o.csv"], "--year"),
        (["--input", "x.csv", "--out", "o.csv"], "--profile"),
        (["--db", "missing.duckdb", "--year", "2024", "--out", "o.csv"], "missing.duckdb"),
        (["--db", "x.duckdb", "--year", "2024", "--out", "o.pdf"], ".pdf"),
        (
            ["--db", "x.duckdb", "--year", "2024", "--profile", "nope.toml", "--out", "o.csv"],
            "nope.toml",
        ),
    ],
)
def test_cli_usage_errors(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.duckdb").write_bytes(b"")
    assert run_cli(*argv) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_cli_rejected_input_file_reports_rows(tmp_path, capsys):
    enterprises, _, _ = bureau_files(tmp_path)
    text = enterprises.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace("芝英镇", "火星镇")
    enterprises.write_text("\n".join(text) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    rc = run_cli("--input", str(enterprises), "--profile", "yongkang-default", "--out", str(out))
    assert rc == 1
    err = capsys.readouterr().err
    assert "第4行" in err and "火星镇" in err
    assert not out.exists()

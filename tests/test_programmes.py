"""muyun.programmes: the matched difference-in-differences recovers a planted effect and finds
none where none was planted; the demo city's N+X programme."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from muyun import demo, labels, programmes, scoring
from muyun.profile import load_profile, profile_path

PROFILE = load_profile(profile_path("yongkang-default"))
N_FIRMS = 800
N_TREATED = 80


def synthetic(effect: float, seed: int) -> tuple[dict[int, pd.DataFrame], pd.DataFrame]:
    """Three years of firms in three industries; participants chosen with a bias towards weak
    firms (as real programmes are), their 2024 亩均税收 raised by `effect`."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"F{i:04d}" for i in range(N_FIRMS)])
    industry = rng.choice(["车业", "门业", "杯业"], N_FIRMS)
    level = np.exp(rng.normal(2.5, 0.6, N_FIRMS))
    weak = 1.0 / level
    treated = rng.choice(N_FIRMS, N_TREATED, replace=False, p=weak / weak.sum())
    is_treated = np.isin(np.arange(N_FIRMS), treated)
    trend = {2022: 1.0, 2023: 1.03, 2024: 1.07}  # growth proportional to the level

    def year(y: int, bump: np.ndarray) -> pd.DataFrame:
        values = level * trend[y] + rng.normal(0, 1.2, N_FIRMS) + bump
        tiers = np.where(values > 15, "A", np.where(values > 8, "B", "C"))
        return pd.DataFrame(
            {
                "credit_code": codes,
                "industry": industry,
                "scale": labels.SCALE_ABOVE,
                "status": labels.STATUS_EVALUATED,
                "tier": tiers,
                "total": values * 5,
                "tax_per_mu": values,
                "va_per_mu": values * 6,
            }
        )

    zero = np.zeros(N_FIRMS)
    history = {
        2022: year(2022, zero),
        2023: year(2023, zero),
        2024: year(2024, effect * is_treated),
    }
    participation = pd.DataFrame(
        {
            "year": 2023,
            "programme": "试点",
            "credit_code": codes[treated],
            "funds_10k": 10.0,
            "project": "改造",
        }
    )
    return history, participation


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_a_planted_effect_within_its_interval(seed):
    history, participation = synthetic(effect=2.5, seed=seed)
    effect = programmes.evaluate(history, participation, "试点", "tax_per_mu", seed=seed)
    assert effect.evaluated == N_TREATED and effect.not_evaluable == 0
    assert effect.ci_low <= 2.5 <= effect.ci_high
    assert effect.significant
    assert effect.did == pytest.approx(2.5, abs=4 * effect.se)
    assert effect.cohorts == (2023,)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_reports_no_effect_when_none_was_planted(seed):
    history, participation = synthetic(effect=0.0, seed=seed)
    effect = programmes.evaluate(history, participation, "试点", "tax_per_mu", seed=seed)
    assert effect.ci_low <= 0.0 <= effect.ci_high
    assert not effect.significant


def test_naive_comparison_would_be_fooled_by_who_joins():
    """Weak firms join; matching on the starting point is what makes the comparison fair."""
    history, participation = synthetic(effect=0.0, seed=7)
    pairs = programmes.matched_differences(history, participation, "试点", "tax_per_mu")
    assert pairs["pre"].mean() == pytest.approx(pairs["control_pre"].mean(), rel=0.05)
    everyone = history[2022]["tax_per_mu"].mean()
    assert pairs["pre"].mean() < 0.8 * everyone


def test_controls_share_industry_and_scale_and_exclude_participants():
    history, participation = synthetic(effect=0.0, seed=8)
    history[2022].loc[
        history[2022]["credit_code"] == participation["credit_code"].iloc[0], ["industry"]
    ] = "无对照行业"
    effect = programmes.evaluate(history, participation, "试点", "tax_per_mu")
    assert effect.not_evaluable == 1 and effect.evaluated == N_TREATED - 1


def test_the_evaluation_reads_only_the_years_around_each_cohort():
    history, participation = synthetic(effect=2.5, seed=10)
    assert programmes.evaluation_years(participation, "试点") == [2022, 2024]
    around = {y: history[y] for y in (2022, 2024)}
    for outcome in programmes.OUTCOMES:
        pd.testing.assert_frame_equal(
            programmes.matched_differences(around, participation, "试点", outcome),
            programmes.matched_differences(history, participation, "试点", outcome),
            check_exact=True,
        )
    later = pd.DataFrame(
        {
            "year": [2022, 2023, 2023, 2020],
            "programme": ["甲", "甲", "甲", "乙"],
            "credit_code": ["X", "X", "Y", "X"],
            "funds_10k": 1.0,
            "project": "p",
        }
    )
    # X's cohort is its first year (2022), Y's 2023; the other programme is not read.
    assert programmes.evaluation_years(later, "甲") == [2021, 2022, 2023, 2024]


def test_a_cohort_without_a_year_after_is_not_evaluable():
    history, participation = synthetic(effect=1.0, seed=9)
    del history[2024]
    effect = programmes.evaluate(history, participation, "试点", "tax_per_mu")
    assert effect.evaluated == 0 and np.isnan(effect.did)
    assert not effect.significant


def test_bootstrap_is_deterministic_for_a_seed():
    history, participation = synthetic(effect=1.0, seed=10)
    first = programmes.evaluate(history, participation, "试点", "va_per_mu", seed=3)
    again = programmes.evaluate(history, participation, "试点", "va_per_mu", seed=3)
    assert first == again


def test_summary_counts_firms_and_funds():
    part = pd.DataFrame(
        {
            "year": [2023, 2023, 2024],
            "programme": ["甲", "甲", "甲"],
            "credit_code": ["1", "2", "1"],
            "funds_10k": [10.0, 20.0, 5.0],
            "project": ["a", "b", "a"],
        }
    )
    table = programmes.summary(part)
    assert table.to_dict("records") == [
        {"programme": "甲", "year": 2023, "firms": 2, "funds_10k": 30.0, "projects": 2},
        {"programme": "甲", "year": 2024, "firms": 1, "funds_10k": 5.0, "projects": 1},
    ]


def test_demo_nx_programme_is_calibrated_and_its_effect_found(demo_db_path: Path):
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        part = programmes.load_participation(con)
        history = {y: scoring.score_year(con, y, PROFILE) for y in (2022, 2023, 2024)}
    finally:
        con.close()
    nx = part[part["programme"] == demo.PROGRAMME_NX]
    assert len(nx) == 60 and nx["credit_code"].is_unique
    assert nx["funds_10k"].sum() == pytest.approx(800.0)
    assert set(nx["year"]) == {2023}
    effects = {e.outcome: e for e in programmes.evaluate_all(history, part, demo.PROGRAMME_NX)}
    va = effects["va_per_mu"]
    assert va.evaluated == 60
    assert va.significant and va.did > 0
    planted = demo.PROGRAMME_EFFECT["value_added"] * va.treated_pre
    assert va.ci_low <= planted <= va.ci_high
    frame = programmes.effects_frame(list(effects.values()))
    assert list(frame["outcome"]) == [labels.PROGRAMME_OUTCOMES[k] for k in programmes.OUTCOMES]
    # The page keeps each year as a copy of HISTORY_COLUMNS only: the same evaluation.
    slim = {y: f[list(programmes.HISTORY_COLUMNS)].copy() for y, f in history.items()}
    slim_frame = programmes.effects_frame(programmes.evaluate_all(slim, part, demo.PROGRAMME_NX))
    pd.testing.assert_frame_equal(slim_frame, frame)

"""The policy money of methodology §9: hand-computed formulas, the repeat rule, totals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from spec_examples import SPEC_POLICY_TOML

from muyun import labels, policy, scoring
from muyun.profile import load_profile, profile_from_toml, profile_path

POLICY_TOML = (
    """
[scales."规上".indicators]
tax_per_mu = { weight = 100, benchmark = "average" }
"""
    + SPEC_POLICY_TOML
)
PROFILE = profile_from_toml(POLICY_TOML, "test.toml")
EVAL = labels.STATUS_EVALUATED


def frame(rows: list[dict], year: int = 2024) -> pd.DataFrame:
    """Scored-like rows: only the columns the money reads."""
    base = {
        "year": year,
        "status": EVAL,
        "tier": None,
        "industry": "五金制品",
        "town": "东城街道",
        "electricity_10k_kwh": np.nan,
        "water_t": np.nan,
        "land_own_mu": np.nan,
    }
    out = pd.DataFrame([{**base, "credit_code": f"C{i:02d}", **row} for i, row in enumerate(rows)])
    return out


def history(**years: dict[str, str | None]) -> dict[int, pd.Series]:
    return {int(y[1:]): pd.Series(tiers, dtype=object) for y, tiers in years.items()}


def money(rows: list[dict], prior: dict[int, pd.Series] | None = None) -> pd.DataFrame:
    return policy.policy_columns(frame(rows), PROFILE, prior or {})


def test_electricity_surcharge_per_tier():
    # D: 100 万千瓦时 × 0.30 元/千瓦时 = 30 万元; C: 40 × 0.05 = 2 万元.
    out = money(
        [
            {"tier": "D", "electricity_10k_kwh": 100.0},
            {"tier": "C", "electricity_10k_kwh": 40.0},
        ]
    )
    assert out["electricity_surcharge"].tolist() == pytest.approx([30.0, 2.0])
    assert out["policy_net"].tolist() == pytest.approx([-30.0, -2.0])


def test_water_surcharge():
    # D: 10,000 吨 × 4.5 元/吨 × 30 % / 10,000 = 1.35 万元; C: 20,000 × 4.5 × 15 % = 1.35 万元.
    out = money([{"tier": "D", "water_t": 10_000.0}, {"tier": "C", "water_t": 20_000.0}])
    assert out["water_surcharge"].tolist() == pytest.approx([1.35, 1.35])
    assert out["electricity_surcharge"].tolist() == [0.0, 0.0]


def test_land_tax_relief_on_own_land():
    # A: 15 亩 = 10,000 m² × 6 元/m² × 100 % = 60,000 元 = 6 万元; B: 30 亩 × 50 % = 6 万元.
    out = money(
        [
            {"tier": "A", "land_own_mu": 15.0, "land_mu": 1.0},
            {"tier": "B", "land_own_mu": 30.0, "land_mu": 99.0},
        ]
    )
    assert out["land_tax_relief"].tolist() == pytest.approx([6.0, 6.0])
    assert out["policy_net"].tolist() == pytest.approx([6.0, 6.0])


def test_net_is_relief_minus_surcharges():
    # C firm: 40 × 0.05 = 2; 20,000 t → 1.35; no relief for C → net −3.35.
    out = money(
        [{"tier": "C", "electricity_10k_kwh": 40.0, "water_t": 20_000.0, "land_own_mu": 30.0}]
    )
    row = out.iloc[0]
    assert row["land_tax_relief"] == 0.0
    assert row["policy_net"] == pytest.approx(-3.35)
    assert row["policy_net"] == pytest.approx(
        row["land_tax_relief"] - row["electricity_surcharge"] - row["water_surcharge"]
    )


def test_tier_absent_from_a_table_means_zero():
    # B has no electricity or water rate, D has no relief rate.
    out = money(
        [
            {"tier": "B", "electricity_10k_kwh": 500.0, "water_t": 9e4, "land_own_mu": 15.0},
            {"tier": "D", "electricity_10k_kwh": 0.0, "water_t": 0.0, "land_own_mu": 150.0},
        ]
    )
    assert out.loc[0, "electricity_surcharge"] == 0.0
    assert out.loc[0, "water_surcharge"] == 0.0
    assert out.loc[0, "land_tax_relief"] == pytest.approx(3.0)
    assert out.loc[1, "land_tax_relief"] == 0.0


def test_missing_electricity_or_water_counts_zero():
    out = money(
        [
            {"tier": "D", "electricity_10k_kwh": np.nan, "water_t": 10_000.0},
            {"tier": "D", "electricity_10k_kwh": 10.0, "water_t": np.nan},
        ]
    )
    assert out["electricity_surcharge"].tolist() == pytest.approx([0.0, 3.0])
    assert out["water_surcharge"].tolist() == pytest.approx([1.35, 0.0])
    assert not out.isna().any().any()


def test_firms_without_a_tier_get_nothing():
    rich = {"electricity_10k_kwh": 100.0, "water_t": 1e5, "land_own_mu": 50.0}
    out = money(
        [
            {**rich, "status": labels.STATUS_EXEMPT, "tier": None},
            {**rich, "status": labels.STATUS_NOT_EVALUATED, "tier": None},
            {**rich, "status": labels.STATUS_NOT_EVALUATED, "tier": "D"},  # stray letter
        ]
    )
    assert (out.to_numpy() == 0.0).all()


def test_repeat_escalation_after_consecutive_years():
    # Three years in D running (2022, 2023, 2024): 100 × 0.40 = 40 万元 instead of 30.
    prior = history(y2023={"C00": "D", "C01": "D"}, y2022={"C00": "D", "C01": "C"})
    out = money(
        [{"tier": "D", "electricity_10k_kwh": 100.0}, {"tier": "D", "electricity_10k_kwh": 100.0}],
        prior,
    )
    assert out["electricity_surcharge"].tolist() == pytest.approx([40.0, 30.0])


def test_a_year_without_a_tier_breaks_the_run():
    rows = [{"tier": "D", "electricity_10k_kwh": 100.0}] * 3
    prior = history(
        y2023={"C00": "D", "C01": None, "C02": "D"},
        y2022={"C00": None, "C01": "D"},  # C02 absent in 2022: no tier either
    )
    out = money(rows, prior)
    assert out["electricity_surcharge"].tolist() == pytest.approx([30.0, 30.0, 30.0])


def test_a_missing_year_breaks_the_run():
    out = money([{"tier": "D", "electricity_10k_kwh": 100.0}], history(y2023={"C00": "D"}))
    assert out["electricity_surcharge"].iloc[0] == pytest.approx(30.0)
    gap_year = history(y2023={"C00": "D"}, y2021={"C00": "D"})
    out = money([{"tier": "D", "electricity_10k_kwh": 100.0}], gap_year)
    assert out["electricity_surcharge"].iloc[0] == pytest.approx(30.0)


def test_repeat_only_for_the_repeat_tier():
    prior = history(y2023={"C00": "C"}, y2022={"C00": "C"})
    out = money([{"tier": "C", "electricity_10k_kwh": 100.0}], prior)
    assert out["electricity_surcharge"].iloc[0] == pytest.approx(5.0)


def test_several_years_in_one_frame_use_their_own_prior_years():
    rows = pd.concat(
        [
            frame([{"tier": "D", "electricity_10k_kwh": 10.0}], 2023),
            frame([{"tier": "D", "electricity_10k_kwh": 10.0}], 2024),
        ],
        ignore_index=True,
    )
    prior = history(y2021={"C00": "D"}, y2022={"C00": "D"}, y2023={"C00": "C"})
    out = policy.policy_columns(rows, PROFILE, prior)
    assert out["electricity_surcharge"].tolist() == pytest.approx([4.0, 3.0])


def test_no_policy_section_gives_no_columns():
    plain = profile_from_toml(POLICY_TOML.split("[policy]")[0], "plain.toml")
    scored = frame([{"tier": "D", "electricity_10k_kwh": 100.0}])
    out = policy.policy_columns(scored, plain, {})
    assert list(out.columns) == []
    assert out.index.equals(scored.index)
    assert policy.with_money(scored, plain, {}) is scored


def test_columns_align_to_the_scored_index():
    scored = frame([{"tier": "A", "land_own_mu": 15.0}, {"tier": "D"}]).set_axis([7, 3])
    out = policy.policy_columns(scored, PROFILE, {})
    assert list(out.index) == [7, 3]
    assert list(out.columns) == list(policy.COLUMNS)


def test_next_tier_gain():
    prior = history(y2023={"C01": "D"}, y2022={"C01": "D"})
    rows = [
        {"tier": "A", "land_own_mu": 15.0},  # top: nothing to gain
        {"tier": "D", "electricity_10k_kwh": 100.0, "water_t": 10_000.0},  # escalated D → C
        {"tier": "B", "land_own_mu": 15.0},  # B → A: relief 3 → 6
        {"tier": "C", "land_own_mu": 15.0, "electricity_10k_kwh": 20.0},  # C → B: +1 +3
        {"tier": None, "status": labels.STATUS_EXEMPT},
    ]
    gain = policy.next_tier_gain(frame(rows), PROFILE, prior)
    assert math.isnan(gain.iloc[0]) and math.isnan(gain.iloc[4])
    # D escalated: pays 40 + 1.35; as C: 5 + 0.675 → gains 35.675.
    assert gain.iloc[1] == pytest.approx(41.35 - 5.675)
    assert gain.iloc[2] == pytest.approx(3.0)
    assert gain.iloc[3] == pytest.approx(1.0 + 3.0)


def test_totals_are_sums_of_the_firms():
    rng = np.random.default_rng(3)
    n = 300
    rows = [
        {
            "tier": rng.choice(["A", "B", "C", "D", None]),
            "industry": rng.choice(list(labels.INDUSTRIES[:4])),
            "town": rng.choice(["东城街道", "古山镇", "芝英镇"]),
            "electricity_10k_kwh": rng.uniform(0, 500),
            "water_t": rng.choice([np.nan, rng.uniform(0, 1e5)]),
            "land_own_mu": rng.uniform(3, 80),
        }
        for _ in range(n)
    ]
    scored = frame(rows)
    with_money = policy.with_money(scored, PROFILE, {})
    overall = policy.total(with_money)
    tiered = with_money[with_money["tier"].notna()]
    for column in policy.COLUMNS:
        assert getattr(overall, column) == pytest.approx(with_money[column].sum())
    assert overall.firms == len(tiered)
    for by in policy.GROUPS:
        table = policy.totals_by(with_money, by)
        for column in policy.COLUMNS:
            assert table[column].sum() == pytest.approx(getattr(overall, column))
        assert table["firms"].sum() == overall.firms
        for _, row in table.iterrows():
            behind = policy.firms_behind(with_money, by, row["group"])
            assert len(behind) == row["firms"]
            for column in policy.COLUMNS:
                assert behind[column].sum() == pytest.approx(row[column])
            assert row["surcharges"] == pytest.approx(
                behind["electricity_surcharge"].sum() + behind["water_surcharge"].sum()
            )
    assert list(policy.totals_by(with_money, "tier")["group"]) == list(labels.TIERS)


def test_firms_behind_a_figure_with_a_few_columns_are_the_same_firms_in_the_same_order():
    rng = np.random.default_rng(5)
    rows = [
        {
            "tier": rng.choice(["A", "B", "C", "D", None]),
            "industry": rng.choice(list(labels.INDUSTRIES[:3])),
            "town": rng.choice(["东城街道", "古山镇"]),
            "electricity_10k_kwh": rng.uniform(0, 500),
            "water_t": rng.uniform(0, 1e5),
            "land_own_mu": rng.uniform(3, 80),
        }
        for _ in range(120)
    ]
    with_money = policy.with_money(frame(rows), PROFILE, {})
    columns = ["town", "tier", "policy_net"]
    for group in (None, "古山镇"):
        whole = policy.firms_behind(with_money, "town", group)
        few = policy.firms_behind(with_money, "town", group, columns)
        assert list(few.columns) == columns
        pd.testing.assert_frame_equal(few, whole[columns])
        assert few["policy_net"].is_monotonic_increasing  # most paid first
    assert set(policy.firms_behind(with_money, "town", "古山镇", columns)["town"]) == {"古山镇"}


def test_net_by_tier_matches_money_at_each_tier():
    prior = history(y2023={"C00": "D"}, y2022={"C00": "D"})
    scored = frame([{"tier": "D", "electricity_10k_kwh": 100.0, "land_own_mu": 15.0}])
    table = policy.net_by_tier(scored, PROFILE.policy, prior)
    assert table[0].tolist() == pytest.approx([6.0, 3.0, -5.0, -40.0])


def test_rates_round_trip_through_params():
    rates = PROFILE.policy
    params = policy.rate_params(rates)
    assert params == {
        "r_elec_C": 0.05,
        "r_elec_D": 0.30,
        "r_elec_repeat": 0.40,
        "r_water_C": 15.0,
        "r_water_D": 30.0,
        "r_relief_A": 100.0,
        "r_relief_B": 50.0,
    }
    assert policy.with_rates(rates, params) == rates
    changed = policy.with_rates(rates, {"r_elec_D": 0.5, "r_relief_B": 0.0, "junk": 3})
    assert changed.electricity == {"C": 0.05, "D": 0.5}
    assert changed.land_relief == {"A": 100.0, "B": 0.0}
    assert policy.rate_label("r_elec_repeat", rates) == "连续D类电价加价（元/千瓦时）"


def test_engine_result_carries_money_for_tiered_firms_only(demo_db_path):
    from muyun import db

    prof = load_profile(profile_path("yongkang-default"))
    con = db.connect(demo_db_path, read_only=True)
    try:
        years = [2022, 2023, 2024]
        scored = {y: scoring.score_year(con, y, prof) for y in years}
    finally:
        con.close()
    prior = policy.tier_history({y: scored[y] for y in years[:-1]})
    out = policy.with_money(scored[2024], prof, prior)
    untiered = out["tier"].isna().to_numpy()
    assert (out.loc[untiered, list(policy.COLUMNS)].to_numpy() == 0).all()
    a = out.loc[out["tier"] == "A"]
    own = a["land_own_mu"].fillna(0.0)
    assert a["land_tax_relief"].to_numpy() == pytest.approx(
        (own * 10_000 / 15 * 6.0 / 1e4).to_numpy()
    )
    escalated = out["repeat_escalated"].to_numpy()
    assert (out.loc[escalated, "tier"] == "D").all()
    d_codes = out.loc[escalated, "credit_code"]
    for year in (2022, 2023):
        assert (prior[year].reindex(d_codes) == "D").all()
    # Scoring itself is untouched by the money.
    assert "policy_net" not in scored[2024].columns


def test_report_states_the_money_and_the_next_tier_gain(demo_db_path):
    from muyun import db, formatting, report

    prof = load_profile(profile_path("yongkang-default"))
    con = db.connect(demo_db_path, read_only=True)
    try:
        ctx = report.prepare_context(con, 2024, prof)
    finally:
        con.close()
    b_firms = ctx.scored[(ctx.scored["tier"] == "B") & ~ctx.scored["veto"].astype(bool)]
    data = code = None
    for code in b_firms["credit_code"].astype(str).head(20):
        data = report.build_report(ctx, code)
        if data.gap.extra_tax is not None:
            break
    row = ctx.row(code)
    relief = float(row["land_own_mu"]) * 10_000 / 15 * 6.0 * 0.5 / 1e4
    assert data.money[0].startswith(
        labels.POLICY_TEXT["firm_pays"].format(
            tier="B",
            electricity="0.00",
            water="0.00",
            relief=formatting.number(relief, 2),
            net=formatting.number(relief, 2),
        )
    )
    # B → A doubles the relief: the gain is the B relief again, next to the gap's tax amount.
    assert data.gap.extra_tax is not None
    assert formatting.number(data.gap.extra_tax, 2) in data.money[1]
    assert f"每年多得 {formatting.number(relief, 2)} 万元" in data.money[1]
    assert data.money[-1] == labels.POLICY_TEXT["illustrative"]
    from muyun.report_templates import html_report

    html = html_report.render(data)
    assert data.money[0] in html and data.money[1] in html

"""Profiles by year and the §3 benchmark rules "prior_year_average" and benchmark_multiplier."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from muyun import db, labels, profile, scoring
from tests.test_scoring import FIRM_DEFAULTS, by_code, code, from_toml, run_cli

PRIOR = """
[meta]
name = "上年度平均基准方案"
years = [2025, 2024]

[scales."规上".indicators]
tax_per_mu = { weight = 100, benchmark = "prior_year_average" }

[scales."规下".indicators]
tax_per_mu = { weight = 100, benchmark = "prior_year_average", benchmark_multiplier = 2.0 }
"""

SAME_YEAR = PRIOR.replace('"prior_year_average"', '"average"')


def put(con, year: int, firms: list[dict], leases: list[dict] = ()) -> None:
    rows = [
        {**FIRM_DEFAULTS, "year": year, "credit_code": code(i), "name": f"企业{i}", **firm}
        for i, firm in enumerate(firms)
    ]
    frame = pd.DataFrame(rows, columns=[*FIRM_DEFAULTS, "credit_code", "name"])
    for column in frame.columns:
        if frame[column].isna().all():
            frame[column] = frame[column].astype("float64")
    con.register("rows", frame)
    con.execute("INSERT INTO enterprises BY NAME SELECT * FROM rows")
    con.unregister("rows")
    for lease in leases:
        con.execute(
            "INSERT INTO leases (year, lessor_code, lessee_code, land_mu, registered, record_no) "
            "VALUES (?, ?, ?, ?, ?, 'R')",
            [year, lease["lessor"], lease["lessee"], lease["land_mu"], lease["registered"]],
        )


def two_years(con) -> None:
    """2023: 规上 tax 100 + 300 on 10 + 10 亩, except T00000 leases 5 亩 (registered) to T00001
    → land 5 and 15, average 400 / 20 = 20; an exempt firm and a 规下 firm under the land
    minimum stay out. 规下 2023: 60 on 20 亩 → 3. 2024: values 10, 40 (规上) and 6 (规下)."""
    put(
        con,
        2023,
        [
            dict(tax=100.0),
            dict(tax=300.0),
            dict(tax=5000.0, exempt=True),
            dict(tax=900.0, scale="规下", land_own_mu=2.0),
            dict(tax=60.0, scale="规下", land_own_mu=20.0),
        ],
        [dict(lessor=code(0), lessee=code(1), land_mu=5.0, registered=True)],
    )
    put(
        con,
        2024,
        [dict(tax=100.0), dict(tax=400.0), dict(tax=60.0, scale="规下", land_own_mu=10.0)],
    )


def test_prior_year_average_on_a_hand_built_two_year_case(empty_con):
    two_years(empty_con)
    result = by_code(scoring.score_year(empty_con, 2024, from_toml(PRIOR)))
    # 规上: benchmark 20 (year 2023, registered lease counted, exempt firm left out).
    assert result.loc[code(0), "bench_tax_per_mu"] == 20.0
    assert result.loc[code(0), "score_tax_per_mu"] == pytest.approx(100 * 10 / 20)
    assert result.loc[code(1), "score_tax_per_mu"] == pytest.approx(100 * 40 / 20)
    # 规下: 2023's evaluated 规下 (the 2-亩 firm is below the minimum) average 3, × 2.
    assert result.loc[code(2), "bench_tax_per_mu"] == 6.0
    assert result.loc[code(2), "score_tax_per_mu"] == pytest.approx(100.0)
    same = by_code(scoring.score_year(empty_con, 2024, from_toml(SAME_YEAR)))
    assert same.loc[code(0), "bench_tax_per_mu"] == 500 / 20  # the plain same-year average


def test_prior_year_statuses_follow_the_scoring_profile(empty_con):
    two_years(empty_con)
    lower_minimum = PRIOR.replace("[meta]", "[evaluation]\nbelow_min_land_mu = 1.0\n\n[meta]")
    result = by_code(scoring.score_year(empty_con, 2024, from_toml(lower_minimum)))
    # With a 1-亩 minimum the 2-亩 firm counts in 2023: (900 + 60) / 22, × 2.
    assert result.loc[code(2), "bench_tax_per_mu"] == pytest.approx(2 * 960 / 22)


def test_missing_prior_year_is_refused_naming_indicator_and_year(empty_con):
    two_years(empty_con)
    with pytest.raises(scoring.PriorYearMissing) as refused:
        scoring.score_year(empty_con, 2023, from_toml(PRIOR))
    message = str(refused.value)
    assert "2022" in message and "亩均税收" in message and "2023" in message


def test_prior_year_without_the_scale_is_refused(empty_con):
    put(empty_con, 2023, [dict(tax=100.0)])
    put(empty_con, 2024, [dict(tax=100.0), dict(tax=50.0, scale="规下")])
    with pytest.raises(scoring.PriorYearMissing, match="规下"):
        scoring.score_year(empty_con, 2024, from_toml(PRIOR))


def test_multiplier_one_changes_nothing_and_water_bonus_keeps_same_year_average(empty_con):
    water = """
[meta]
name = "倍数方案"

[scales."规上".indicators]
tax_per_mu = { weight = 100, benchmark = "average", benchmark_multiplier = MULT }
va_per_water = { weight = 0, benchmark = "average", benchmark_multiplier = MULT }

[bonus]
scales = ["规上"]
water = [[1.5, 2.0]]
"""
    put(
        empty_con,
        2024,
        [
            dict(tax=100.0, value_added=300.0, water_t=1.0),
            dict(tax=300.0, value_added=100.0, water_t=1.0),
        ],
    )
    one = scoring.score_year(empty_con, 2024, from_toml(water.replace("MULT", "1")))
    plain = scoring.score_year(
        empty_con, 2024, from_toml(water.replace(", benchmark_multiplier = MULT", ""))
    )
    pd.testing.assert_frame_equal(one, plain)
    two = by_code(scoring.score_year(empty_con, 2024, from_toml(water.replace("MULT", "2"))))
    assert two.loc[code(0), "bench_tax_per_mu"] == 2 * 400 / 20
    assert two.loc[code(0), "water_multiple"] == 1.5  # 300 / (400 / 2), not against 2 × it
    assert two.loc[code(0), "bonus_water"] == 2.0


def test_profile_years_and_multiplier_round_trip():
    prof = from_toml(PRIOR)
    assert prof.years == (2024, 2025)
    assert prof.applies_to(2025) and not prof.applies_to(2023)
    assert prof.needs_prior_year()
    assert prof.indicators("规下")[0].multiplier == 2.0
    again = profile.profile_from_toml(prof.to_toml(), "again.toml")
    assert again == prof
    assert not from_toml(SAME_YEAR.replace("years = [2025, 2024]\n", "")).years


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (PRIOR.replace("[2025, 2024]", "[2024, 2024]"), "meta.years"),
        (PRIOR.replace("[2025, 2024]", '["2024"]'), "meta.years"),
        (PRIOR.replace("[2025, 2024]", "2024"), "meta.years"),
        (PRIOR.replace("= 2.0", "= 0"), "benchmark_multiplier"),
        (PRIOR.replace('"prior_year_average" }', '"last_year" }', 1), "benchmark"),
    ],
)
def test_bad_years_and_rules_are_named(text, key):
    with pytest.raises(profile.ProfileError) as error:
        from_toml(text)
    assert key in error.value.key


def test_cli_refuses_a_year_whose_prior_year_is_missing(tmp_path, capsys):
    path = tmp_path / "store.duckdb"
    con = db.connect(path)
    two_years(con)
    con.close()
    prof_file = tmp_path / "prior.toml"
    prof_file.write_text(PRIOR, encoding="utf-8")
    out = tmp_path / "out.csv"
    args = ["--db", str(path), "--profile", str(prof_file), "--out", str(out)]
    assert run_cli(*args, "--year", "2023") == 1
    err = capsys.readouterr().err
    assert "2022" in err and "亩均税收" in err
    assert not out.exists()
    assert run_cli(*args, "--year", "2024") == 0
    table = pd.read_csv(out)
    assert table.loc[table["credit_code"] == code(0), "bench_tax_per_mu"].item() == 20.0


def test_prepared_year_carries_the_prior_year_and_report_rescore_keeps_it(empty_con):
    two_years(empty_con)
    data = scoring.load_year(empty_con, 2024)
    assert data.prior is not None and data.prior.year == 2023
    assert scoring.load_year(empty_con, 2023).prior is None
    again = scoring.prepare_frame(data.frame, 2024, prior=data.prior)
    prof = from_toml(PRIOR)
    pd.testing.assert_frame_equal(
        scoring.score_prepared(again, prof), scoring.score_prepared(data, prof)
    )


def test_resolved_profile_freezes_the_prior_average():
    con = db.connect(":memory:")
    two_years(con)
    data = scoring.load_year(con, 2024)
    resolved = scoring.resolve_prior_benchmarks(data, from_toml(PRIOR))
    assert not resolved.needs_prior_year()
    assert resolved.indicators("规上")[0].benchmark == 20.0
    assert resolved.indicators("规下")[0].multiplier == 2.0
    alone = scoring.prepare_frame(data.frame, 2024)  # no year − 1 any more
    frozen = scoring.score_prepared(alone, resolved)
    live = scoring.score_prepared(data, from_toml(PRIOR))
    assert frozen["total"].tolist() == live["total"].tolist()
    assert math.isclose(frozen["bench_tax_per_mu"].iloc[0], live["bench_tax_per_mu"].iloc[0])
    con.close()


def test_labels_name_the_rule():
    assert "{indicator}" in labels.PRIOR_YEAR_MISSING and "{prior}" in labels.PRIOR_YEAR_MISSING

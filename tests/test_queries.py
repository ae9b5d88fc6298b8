"""muyun.queries: store reads and the aggregates the dashboard pages show, on hand-built data."""

from __future__ import annotations

import math
import random

import duckdb
import numpy as np
import pandas as pd
import pytest

from muyun import creditcode, db, labels, queries, scoring
from muyun.profile import load_profile, profile_path

PROFILE = load_profile(profile_path("yongkang-default"))
RNG = random.Random(4)
CODES = [creditcode.make_code(RNG) for _ in range(40)]


def _firm(code: str, name: str, industry: str, scale: str, land: float, tax: float, **extra):
    row = {
        "credit_code": code,
        "name": name,
        "industry": industry,
        "town": "东城街道",
        "scale": scale,
        "land_own_mu": land,
        "tax": tax,
        "value_added": tax * 5,
        "revenue": tax * 20,
        "employees": 50,
        "energy_tce": 100.0,
        "electricity_10k_kwh": 40.0,
        "emission_t": 1.0,
        "rd": tax * 0.5,
        "exempt": False,
    }
    row.update(extra)
    return row


def _insert(con: duckdb.DuckDBPyConnection, year: int, firms: list[dict]) -> None:
    frame = pd.DataFrame(firms).assign(year=year)
    con.register("incoming", frame)
    columns = ", ".join(frame.columns)
    con.execute(f"INSERT INTO enterprises ({columns}) SELECT {columns} FROM incoming")
    con.unregister("incoming")


@pytest.fixture
def city(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Two years: 12 门业 and 3 车业 规上 firms, two 规下 firms, one exempt, leases both ways."""
    for year, growth in ((2023, 1.0), (2024, 1.1)):
        firms = [
            _firm(CODES[i], f"门业{i}号", "门业", "规上", 10.0 + i, (30 + 7 * i) * growth)
            for i in range(12)
        ]
        firms += [
            _firm(CODES[20 + i], f"车业{i}号", "车业", "规上", 20.0, 100.0 + 10 * i)
            for i in range(3)
        ]
        firms.append(_firm(CODES[30], "小厂<b>甲</b>", "门业", "规下", 5.0, 20.0))
        firms.append(_firm(CODES[31], "小厂乙", "门业", "规下", 2.0, 9.0))  # under 3 亩
        firms.append(_firm(CODES[32], "新设丙", "车业", "规上", 15.0, 50.0, exempt=True))
        _insert(empty_con, year, firms)
    empty_con.execute(
        "INSERT INTO leases VALUES (2024, ?, ?, 2.0, 1300.0, TRUE, 'BA-1'), "
        "(2024, ?, ?, 1.5, NULL, FALSE, NULL)",
        [CODES[0], CODES[1], CODES[2], CODES[0]],
    )
    return empty_con


@pytest.fixture
def scored(city: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return scoring.score_year(city, 2024, PROFILE)


def test_years_and_towns(city: duckdb.DuckDBPyConnection) -> None:
    assert queries.available_years(city) == [2023, 2024]
    towns_csv = pd.read_csv("data/reference/towns.csv")
    assert queries.town_names(city) == list(towns_csv["name"])
    assert list(queries.towns(city).columns) == ["name", "lat", "lon"]


def test_dataset_info_and_demo_flag(city: duckdb.DuckDBPyConnection) -> None:
    assert not queries.is_demo(queries.dataset_info(city))
    city.execute("INSERT INTO dataset_info VALUES ('demo', 'true'), ('seed', '1')")
    info = queries.dataset_info(city)
    assert info["seed"] == "1"
    assert queries.is_demo(info)


def test_ratio_of_sums_skips_missing_and_zero_denominators() -> None:
    frame = pd.DataFrame(
        {"tax": [10.0, 30.0, None, 5.0], "land_mu": [1.0, 3.0, 2.0, 0.0]},
    )
    assert queries.ratio_of_sums(frame, "tax", "land_mu") == pytest.approx(40.0 / 4.0)
    assert math.isnan(queries.ratio_of_sums(frame.iloc[2:], "tax", "land_mu"))


def test_kpis_are_ratios_of_sums_over_participating_firms(scored: pd.DataFrame) -> None:
    k = queries.summary_kpis(queries.year_summary(scored), "规上")
    taking_part = scored[scored["status"].isin([labels.STATUS_EVALUATED, labels.STATUS_EXEMPT])]
    upper = taking_part[taking_part["scale"] == "规上"]
    assert k.firms_by_scale == {"规上": 16, "规下": 1}  # 15 ranked + 1 exempt; 规下 under 3 亩 out
    assert k.ranked_firms == 15
    assert k.land_mu == pytest.approx(upper["land_mu"].sum())
    assert k.tax_per_mu == pytest.approx(upper["tax"].sum() / upper["land_mu"].sum())
    assert k.va_per_mu == pytest.approx(upper["value_added"].sum() / upper["land_mu"].sum())
    assert k.land_hectare == pytest.approx(k.land_mu / 15)
    assert sum(k.tiers.values()) == 15
    assert k.tiers == queries.tier_counts(queries.filter_scored(scored, scale="规上"))


def test_filters_and_search(scored: pd.DataFrame) -> None:
    doors = queries.filter_scored(scored, industries=["门业"])
    assert set(doors["industry"]) == {"门业"}
    by_code = queries.filter_scored(scored, search=CODES[3].lower())
    assert list(by_code["credit_code"]) == [CODES[3]]
    by_name = queries.filter_scored(scored, search="车业1")
    assert list(by_name["name"]) == ["车业1号"]
    tier_a = queries.filter_scored(scored, tiers=["A"])
    assert len(tier_a) > 0
    assert set(tier_a["tier"]) == {"A"}
    assert queries.filter_scored(scored, towns=["西溪镇"]).empty


def test_tier_mix_shares_sum_to_one_per_industry(scored: pd.DataFrame) -> None:
    mix = queries.summary_tier_mix(
        queries.year_summary(queries.filter_scored(scored, scale="规上"))
    )
    assert list(mix["industry"].unique()) == ["车业", "门业"]  # official order
    assert mix.groupby("industry")["share"].sum().to_dict() == pytest.approx(
        {"车业": 1.0, "门业": 1.0}
    )
    assert mix["firms"].sum() == 15


def test_pool_sizes_flag_small_pools(scored: pd.DataFrame) -> None:
    pools = queries.pool_sizes(scored)
    sizes = dict(zip(pools["pool"], pools["pool_size"], strict=True))
    assert sizes["规上·门业"] == 12
    assert sizes["规上·车业"] == 3
    small = dict(zip(pools["pool"], pools["small"], strict=True))
    assert not small["规上·门业"]
    assert small["规上·车业"]


def test_ranking_table_has_every_item_and_value(scored: pd.DataFrame) -> None:
    table = queries.ranking_table(queries.ranked(scored), PROFILE, "规上")
    for spec in PROFILE.indicators("规上"):
        assert f"score_{spec.key}" in table.columns
        assert spec.key in table.columns
    doors = table[table["industry"] == "门业"]
    assert list(doors["rank"]) == sorted(doors["rank"])
    assert table["tier_class"].iloc[0] == labels.TIER_CLASS[table["tier"].iloc[0]]


def test_trend_has_one_row_per_year(city: duckdb.DuckDBPyConnection) -> None:
    summaries = {
        y: queries.year_summary(scoring.score_year(city, y, PROFILE)) for y in (2023, 2024)
    }
    trend = queries.summary_trend(summaries, "规上")
    assert list(trend["year"]) == [2023, 2024]
    assert trend.loc[1, "tax_per_mu"] > trend.loc[0, "tax_per_mu"]  # door taxes grew 10 %
    assert (trend[list(labels.TIERS)].sum(axis=1) == 15).all()


def test_firm_leases_both_directions(city: duckdb.DuckDBPyConnection) -> None:
    leases = queries.firm_leases(city, 2024, CODES[0])
    assert len(leases) == 2
    out = leases[leases["direction"] == labels.LEASE_OUT].iloc[0]
    assert out["counterpart_code"] == CODES[1]
    assert out["counterpart_name"] == "门业1号"
    assert bool(out["registered"])
    inbound = leases[leases["direction"] == labels.LEASE_IN].iloc[0]
    assert inbound["counterpart_name"] == "门业2号"
    assert not bool(inbound["registered"])
    assert queries.firm_leases(city, 2023, CODES[0]).empty


def test_computation_table_recomputes_the_total(scored: pd.DataFrame) -> None:
    for _, row in queries.ranked(scored).iterrows():
        table = queries.computation_table(row, PROFILE)
        items = table[table["kind"] == "indicator"]
        for _, line in items[~items["imputed"].astype(bool)].iterrows():
            ratio = min(max(line["value"] / line["benchmark"], 0.0), line["cap"])
            assert line["score"] == pytest.approx(line["weight"] * ratio, abs=1e-9)
        summary = dict(zip(table["item"], table["score"], strict=True))
        bonus = summary[labels.COMPUTATION_BONUS_CAPPED.format(cap=PROFILE.bonus.cap)]
        deduction = summary[labels.COMPUTATION_DEDUCTION]
        assert summary[labels.COMPUTATION_ITEM_SUM] == pytest.approx(items["score"].sum())
        assert items["score"].sum() + bonus - deduction == pytest.approx(row["total"], abs=1e-6)
        assert summary[labels.SCORE_HEADERS["total"]] == pytest.approx(row["total"])


def test_computation_shows_ratios_in_percent(scored: pd.DataFrame) -> None:
    row = queries.firm_row(scored, CODES[5])
    table = queries.computation_table(row, PROFILE)
    rd = table[table["item"] == labels.INDICATORS["rd_intensity"].name].iloc[0]
    assert rd["unit"] == "%"
    assert rd["value"] == pytest.approx(row["rd_intensity"] * 100)
    assert rd["benchmark"] == pytest.approx(row["bench_rd_intensity"] * 100)


def test_a_entry_is_the_lower_quartile_of_the_a_firms() -> None:
    pool = pd.DataFrame(
        {
            "tier": ["A", "A", "A", "A", "A", "B"],
            "tax_per_mu": [40.0, 10.0, None, 30.0, 20.0, 1.0],
        }
    )
    # A firms with a value: 10, 20, 30, 40 → lower quartile 17.5 (linear), no firm's own figure
    assert queries.a_entry_value(pool, "tax_per_mu") == pytest.approx(17.5)
    too_few = pool.iloc[:3]  # two A firms with a value: one would be readable from the other
    assert queries.A_ENTRY_MIN_FIRMS == 3
    assert math.isnan(queries.a_entry_value(too_few, "tax_per_mu"))
    assert math.isnan(queries.a_entry_value(pool[pool["tier"] == "B"], "tax_per_mu"))


def test_comparison_uses_pool_ratio_of_sums_and_the_a_quartile(
    scored: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = queries.firm_row(scored, CODES[0])
    pool = scored[(scored["pool"] == row["pool"]) & (scored["status"] == labels.STATUS_EVALUATED)]
    pd.testing.assert_frame_equal(queries.pool_rows(scored, row["pool"]), pool)
    a_firms = pool[pool["tier"] == "A"]
    assert len(a_firms) == 2  # 20 % of 12: under the minimum, so nothing is shown
    comparison = queries.firm_comparison(scored, row, PROFILE).set_index("key")
    expected = pool["tax"].sum() / pool["land_mu"].sum()
    assert comparison.loc["tax_per_mu", "industry_average"] == pytest.approx(expected)
    assert comparison["a_entry"].isna().all()
    assert comparison["a_entry_rate"].isna().all()
    weight = PROFILE.weights("规上")["tax_per_mu"]
    assert comparison.loc["tax_per_mu", "rate"] == pytest.approx(row["score_tax_per_mu"] / weight)

    monkeypatch.setattr(queries, "A_ENTRY_MIN_FIRMS", 2)
    comparison = queries.firm_comparison(scored, row, PROFILE).set_index("key")
    low, high = sorted(a_firms["tax_per_mu"])
    assert comparison.loc["tax_per_mu", "a_entry"] == pytest.approx(low + 0.25 * (high - low))
    rd_low, rd_high = sorted(a_firms["rd_intensity"])
    rd_entry = comparison.loc["rd_intensity", "a_entry"]
    assert rd_entry == pytest.approx((rd_low + 0.25 * (rd_high - rd_low)) * 100)  # in %
    score_low, score_high = sorted(a_firms["score_tax_per_mu"])
    expected_rate = (score_low + 0.25 * (score_high - score_low)) / weight
    assert comparison.loc["tax_per_mu", "a_entry_rate"] == pytest.approx(expected_rate)


def test_previous_total_and_unregistered_leases(city: duckdb.DuckDBPyConnection) -> None:
    frames = {y: scoring.score_year(city, y, PROFILE) for y in (2023, 2024)}
    history = queries.firm_history(frames, CODES[11])
    assert queries.previous_total(history, 2024) == pytest.approx(history.iloc[0]["total"])
    assert queries.previous_total(history, 2023) is None
    assert queries.previous_total(history.iloc[0:0], 2024) is None
    leases = queries.firm_leases(city, 2024, CODES[0])
    assert queries.unregistered_leases(leases) == (1, pytest.approx(1.5))
    assert queries.unregistered_leases(leases.iloc[0:0]) == (0, 0.0)


def test_industry_order_follows_the_official_list() -> None:
    order = queries.industry_order(pd.Series(["门业", "车业", "不存在"]))
    assert order.iloc[1] < order.iloc[0]
    assert order.iloc[0] == labels.INDUSTRIES.index("门业")
    assert math.isnan(order.iloc[2])


def test_history_follows_the_firm_across_years(city: duckdb.DuckDBPyConnection) -> None:
    frames = {y: scoring.score_year(city, y, PROFILE) for y in (2023, 2024)}
    history = queries.firm_history(frames, CODES[11])
    assert list(history["year"]) == [2023, 2024]
    assert list(history["rank"]) == [1, 1]  # the biggest taxpayer of the door pool both years
    assert list(history["tier_class"]) == [labels.TIER_CLASS["A"]] * 2
    assert queries.firm_history(frames, "NOT-A-CODE").empty


def test_map_points_keep_names_verbatim_and_stay_near_the_town(
    city: duckdb.DuckDBPyConnection, scored: pd.DataFrame
) -> None:
    centres = queries.towns(city)
    points = queries.map_points(scored, centres)
    assert len(points) == 16  # every ranked firm, both scales
    centre = centres.set_index("name").loc["东城街道"]
    assert np.all(np.abs(points["lat"] - centre["lat"]) <= queries.MAP_JITTER_DEG)
    assert np.all(np.abs(points["lon"] - centre["lon"]) <= queries.MAP_JITTER_DEG)
    again = queries.map_points(scored, centres)
    assert points["lat"].tolist() == again["lat"].tolist()  # deterministic
    assert "小厂<b>甲</b>" in set(points["name"])  # data, not markup: the chart escapes it


def test_firm_choices_put_ranked_firms_first(scored: pd.DataFrame) -> None:
    choices = queries.firm_choices(scored)
    statuses = list(choices["status"])
    assert statuses[0] == labels.STATUS_EVALUATED
    assert statuses[-1] == labels.STATUS_NOT_EVALUATED


def test_row_counts_and_import_log(city: duckdb.DuckDBPyConnection) -> None:
    counts = queries.table_row_counts(city)
    assert counts["enterprises"] == 36
    assert counts["leases"] == 2
    assert queries.import_log(city).empty


@pytest.mark.parametrize("dtype", ["str", object, "string"])
def test_among_answers_as_isin_does_with_missing_codes_and_any_index(dtype: object) -> None:
    rng = np.random.default_rng(7)
    codes = [None if rng.random() < 0.05 else f"C{rng.integers(0, 300)}" for _ in range(2000)]
    values = pd.Series(codes, dtype=dtype, index=rng.permutation(2000))
    pools: list[object] = [
        pd.Series([f"C{i}" for i in range(0, 300, 3)], dtype=dtype),
        {f"C{i}" for i in range(0, 300, 7)},
        [],
    ]
    for pool in pools:
        got = queries.among(values, pool)
        assert got.equals(values.isin(pool))
    assert queries.among(values, pools[0]).any()


@pytest.mark.parametrize("dtype", ["str", object, "string"])
def test_text_is_answers_as_isin_does_with_missing_values(dtype: object) -> None:
    rng = np.random.default_rng(8)
    tiers = [None if rng.random() < 0.1 else "ABCD"[rng.integers(0, 4)] for _ in range(1000)]
    values = pd.Series(tiers, dtype=dtype, index=rng.permutation(1000))
    for chosen in (("D",), ("A", "B", "C"), ("E",)):
        got = queries.text_is(values, *chosen)
        assert isinstance(got, np.ndarray) and got.dtype == bool
        np.testing.assert_array_equal(got, values.isin(chosen).to_numpy())
    assert queries.text_is(values, "D").any()


def test_take_rows_keeps_each_columns_dtype_and_numbers_rows_from_zero() -> None:
    frame = pd.DataFrame(
        {
            "code": pd.Series(["a", "b", None, "d"], dtype="str"),
            "tax": [1.0, np.nan, 3.0, 4.0],
            "year": pd.array([2024, None, 2024, 2024], dtype="Int64"),
        },
        index=[10, 11, 12, 13],
    )
    got = queries.take_rows(frame, ["code", "tax", "year"], np.array([3, 0, 2]))
    expected = frame.iloc[[3, 0, 2]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert list(queries.take_rows(frame, ["tax"], np.array([], dtype=int)).columns) == ["tax"]


def test_largest_year_counts_the_firms_of_the_fullest_year(city) -> None:
    empty = db.connect(":memory:")
    assert queries.largest_year(empty) == 0
    empty.close()
    counts = city.execute("SELECT count(*) FROM enterprises GROUP BY year").fetchall()
    assert queries.largest_year(city) == max(n for (n,) in counts) > 0


def test_position_in_finds_each_code_first_place_and_minus_one_when_absent() -> None:
    values = pd.Series(["B", "X", None, "A", "B"], dtype="str")
    pool = pd.Series(["A", "B", "A"], dtype="str")
    assert queries.position_in(values, pool).tolist() == [1, -1, -1, 0, 1]
    assert queries.position_in(values, pool.iloc[:0]).tolist() == [-1] * 5
    as_objects = pd.Series(["A"], dtype=object)  # a frame built by hand, not read from Arrow
    assert queries.position_in(pd.Series(["Z", "A"]), as_objects).tolist() == [-1, 0]
    assert queries.position_in(pool, pd.Series([], dtype=object)).tolist() == [-1, -1, -1]


def test_first_position_is_the_first_equal_row_or_none() -> None:
    values = pd.Series(["B", None, "A", "B"], dtype="str")
    assert queries.first_position(values, "B") == 0
    assert queries.first_position(values, "A") == 2
    assert queries.first_position(values, "X") is None
    assert queries.first_position(values.iloc[:0], "A") is None

"""The demo city: calibration to yongkang-facts §2, the exact published figures of §1, validity of
every table against the data dictionary, determinism, and the `demo-data` command."""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from muyun import creditcode, db, demo, labels
from muyun.cli import main

UP, DOWN = labels.SCALES
YEARS = list(demo.YEARS)


@pytest.fixture(scope="module")
def con(demo_db_path: Path):
    connection = duckdb.connect(str(demo_db_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def firms(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM enterprises").df()


def per_year(frame: pd.DataFrame, scale: str) -> dict[int, pd.DataFrame]:
    return {y: g for y, g in frame[frame["scale"] == scale].groupby("year")}


# --- Calibration (yongkang-facts §2) --------------------------------------------------------------


def test_up_firms_per_year_with_entries_and_exits(firms):
    up = per_year(firms, UP)
    assert sorted(up) == YEARS
    counts = [len(up[y]) for y in YEARS]
    assert all(945 <= n <= 1155 for n in counts), counts
    assert abs(statistics.mean(counts) - 1050) <= 20
    for prev, year in itertools.pairwise(YEARS):
        before, now = set(up[prev]["credit_code"]), set(up[year]["credit_code"])
        assert 80 <= len(now - before) <= 120, (year, len(now - before))
        assert 55 <= len(before - now) <= 85, (year, len(before - now))


def test_down_firms_per_year(firms):
    for year, down in per_year(firms, DOWN).items():
        evaluated = (down["land_own_mu"] >= 3).sum()
        assert 2700 <= evaluated <= 3300, (year, evaluated)
        assert 200 <= (down["land_own_mu"] < 3).sum() <= 500


def test_up_tax_per_mu_ratio_of_sums_and_median(firms):
    for year, up in per_year(firms, UP).items():
        owned = up[up["land_own_mu"] > 0]
        ratio = owned["tax"].sum() / owned["land_own_mu"].sum()
        assert 15 <= ratio <= 19, (year, ratio)
        median = (owned["tax"] / owned["land_own_mu"]).median()
        assert 9 <= median <= 13, (year, median)


def test_up_land_distribution(firms):
    for year, up in per_year(firms, UP).items():
        land = up["land_own_mu"]
        assert 10 <= land.median() <= 14, (year, land.median())
        assert 21 <= land.mean() <= 29, (year, land.mean())
        assert land.max() >= 300


def test_down_land_and_tax_per_mu(firms):
    for year, down in per_year(firms, DOWN).items():
        evaluated = down[down["land_own_mu"] >= 3]
        assert 4 <= evaluated["land_own_mu"].median() <= 6, year
        ratio = evaluated["tax"].sum() / evaluated["land_own_mu"].sum()
        assert 5 <= ratio <= 7, (year, ratio)
        per_mu = evaluated["tax"] / evaluated["land_own_mu"]
        assert 3 <= per_mu.median() <= 4.5, (year, per_mu.median())
        assert 0.2 <= (per_mu < 2).mean() <= 0.35
        assert (evaluated["revenue"] < demo.UP_MIN_REVENUE).all()


def test_up_value_added_productivity_energy(firms):
    for year, up in per_year(firms, UP).items():
        owned = up[up["land_own_mu"] > 0]
        assert 83 <= owned["value_added"].sum() / owned["land_own_mu"].sum() <= 107, year
        assert 14 <= up["value_added"].sum() / up["employees"].sum() <= 20, year
        city_tce = up["value_added"].sum() / up["energy_tce"].sum()
        assert 2 <= city_tce <= 3, (year, city_tce)
        metals = up[up["industry"] == "金属材料"]
        assert metals["value_added"].sum() / metals["energy_tce"].sum() < city_tce / 2
        assert (up["revenue"] >= demo.UP_MIN_REVENUE).all()


def test_rd_intensity(firms):
    for year, up in per_year(firms, UP).items():
        share = up["rd"] / up["revenue"]
        assert 0.019 <= share.mean() <= 0.027, (year, share.mean())
        assert 0.14 <= (share < 0.01).mean() <= 0.21, (year, (share < 0.01).mean())


def test_2022_tax_dip_2023_rebound_value_added_rising(firms):
    up = per_year(firms, UP)
    tax = {y: up[y]["tax"].sum() for y in YEARS}
    assert -0.10 <= tax[2022] / tax[2021] - 1 <= -0.05
    assert tax[2023] / tax[2022] - 1 >= 0.05
    va = [up[y]["value_added"].sum() for y in YEARS]
    assert va == sorted(va)
    stayers = up[2021].merge(up[2022], on="credit_code", suffixes=("_21", "_22"))
    assert len(stayers) > 900
    assert stayers["tax_22"].sum() < stayers["tax_21"].sum()


def test_nine_industries_with_their_counts(firms):
    up = firms[(firms["year"] == 2022) & (firms["scale"] == UP)]
    counts = up["industry"].value_counts()
    assert set(counts.index) == set(labels.INDUSTRIES)
    for industry, profile in demo.INDUSTRY_PROFILES.items():
        assert abs(counts[industry] - profile.up) <= 0.35 * profile.up, industry
    per_mu = up.groupby("industry")[["tax", "land_own_mu"]].sum()
    per_mu = per_mu["tax"] / per_mu["land_own_mu"]
    assert per_mu.idxmin() == "金属材料"


def test_special_cases_present(firms):
    up, down = firms[firms["scale"] == UP], firms[firms["scale"] == DOWN]
    for year in YEARS:
        of_year = firms[firms["year"] == year]
        assert 1 <= of_year["exempt"].sum() <= 80
        assert 1 <= of_year["veto"].sum() <= 40
        assert (of_year["tax"] < 0).sum() >= 5
        assert of_year["safety_incidents"].gt(0).sum() >= 5
        assert of_year["env_penalties"].gt(0).sum() >= 10
    assert up["emission_t"].isna().mean() == pytest.approx(0.07, abs=0.04)
    assert up["value_added"].notna().all() and up["employees"].notna().all()
    assert (up["employees"] > 0).all()
    assert (down["employees"] == 0).sum() > 0
    assert firms["electricity_10k_kwh"].notna().all() and firms["water_t"].notna().all()
    assert set(firms["listing"]) == set(labels.LISTING_STATUSES)
    listed = up[up["year"] == 2024]["listing"].value_counts()
    assert 3 <= listed["上市"] <= 30 and listed["新三板"] >= 5 and listed["股改"] >= 20
    assert (firms["talents"].fillna(0) <= firms["employees"].fillna(0)).all()
    assert (up["investment"] > 1000).sum() > 0


def test_renters_without_own_land(con):
    rows = con.execute(
        """SELECT e.year, e.credit_code, count(l.lessee_code) AS leases,
                  bool_or(coalesce(l.registered, false)) AS registered
           FROM enterprises e
           LEFT JOIN leases l ON l.year = e.year AND l.lessee_code = e.credit_code
           WHERE e.scale = '规上' AND e.land_own_mu = 0 GROUP BY ALL"""
    ).df()
    assert len(rows) >= 5
    assert rows["registered"].sum() >= 1 and (~rows["registered"]).sum() >= 1


# --- Identity: codes, names, towns ----------------------------------------------------------------


def test_credit_codes_valid_and_unique_per_year(firms):
    codes = firms["credit_code"].unique()
    assert all(creditcode.is_valid(c) for c in codes)
    assert all(c[2:8] == creditcode.YONGKANG_DIVISION for c in codes)
    assert not firms.duplicated(["year", "credit_code"]).any()


def test_firms_keep_their_identity_across_years(firms):
    identity = firms.groupby("credit_code")[["name", "industry", "town"]].nunique()
    assert (identity == 1).all().all()
    assert firms.groupby("name")["credit_code"].nunique().max() == 1
    assert (firms.groupby("credit_code")["year"].nunique() == 5).sum() > 2000


def test_names_are_fictional_and_plausible(firms):
    names = pd.Series(firms["name"].unique())
    assert names.str.match(r"^(永康市|浙江).+(有限公司|厂)$").all()
    for brand in demo.WELL_KNOWN_TRADE_NAMES:
        assert not names.str.contains(brand, regex=False).any(), brand


def test_towns_known_and_weighted(con, firms):
    towns = {r[0] for r in con.execute("SELECT name FROM towns").fetchall()}
    assert set(firms["town"]) <= towns
    shares = firms["town"].value_counts(normalize=True)
    assert shares.index[0] == "经济开发区"
    assert shares[["经济开发区", "东城街道", "江南街道", "芝英镇", "古山镇"]].sum() > 0.55


# --- Leases ---------------------------------------------------------------------------------------


def test_leases_valid(con):
    leases = con.execute("SELECT * FROM leases").df()
    firms = con.execute("SELECT year, credit_code, land_own_mu FROM enterprises").df()
    per_year_count = leases.groupby("year").size()
    assert list(per_year_count.index) == YEARS
    assert per_year_count.between(200, 450).all()
    assert 0.7 <= leases["registered"].mean() <= 0.95
    assert (leases["lessor_code"] != leases["lessee_code"]).all()
    assert (leases["land_mu"] > 0).all()
    for side in ("lessor_code", "lessee_code"):
        joined = leases.merge(
            firms, left_on=["year", side], right_on=["year", "credit_code"], how="left"
        )
        assert joined["credit_code"].notna().all(), side
    registered = leases[leases["registered"]]
    assert registered["record_no"].notna().all()
    assert leases.loc[~leases["registered"], "record_no"].isna().all()
    assert not registered.duplicated(["year", "record_no"]).any()
    out = registered.groupby(["year", "lessor_code"])["land_mu"].sum().reset_index()
    out = out.merge(firms, left_on=["year", "lessor_code"], right_on=["year", "credit_code"])
    assert (out["land_mu"] <= out["land_own_mu"] + 1e-9).all()


# --- Published land figures (yongkang-facts §1), stored exactly ----------------------------------


PUBLISHED_2022 = dict(
    zip(labels.RECTIFICATION_CATEGORIES, (2600, 7155, 132, 856, 885), strict=True)
)


def test_2022_rectification_sums_exactly(con):
    sums = dict(
        con.execute(
            "SELECT category, sum(area_mu) FROM rectification_projects WHERE year = 2022 GROUP BY 1"
        ).fetchall()
    )
    assert sums == PUBLISHED_2022
    total = con.execute(
        "SELECT sum(area_mu) FROM rectification_projects WHERE year = 2022"
    ).fetchone()[0]
    assert total == 11628
    assert labels.mu_to_hectare(total) == pytest.approx(775.2)
    statuses = con.execute(
        "SELECT DISTINCT status FROM rectification_projects WHERE year = 2022"
    ).fetchall()
    assert statuses == [("已完成",)]


def test_2023_published_figures_and_targets(con):
    sums = dict(
        con.execute(
            "SELECT category, sum(area_mu) FROM rectification_projects WHERE year = 2023 GROUP BY 1"
        ).fetchall()
    )
    targets = dict(
        con.execute(
            "SELECT category, target_mu FROM rectification_targets WHERE year = 2023"
        ).fetchall()
    )
    contiguous, enterprise, _, unused, _ = labels.RECTIFICATION_CATEGORIES
    assert (sums[contiguous], sums[unused], sums[enterprise]) == (1814, 551, 4947)
    assert round(100 * sums[contiguous] / targets[contiguous]) == 101
    assert round(100 * sums[unused] / targets[unused]) == 184
    assert round(100 * sums[enterprise] / targets[enterprise]) == 124
    blocks = con.execute(
        "SELECT count(*), count(DISTINCT town) FROM rectification_projects "
        "WHERE year = 2023 AND category = ?",
        [contiguous],
    ).fetchone()
    assert blocks == (18, 8)


def test_targets_met_in_2022_and_mid_year_share(con):
    targets = dict(
        con.execute(
            "SELECT category, target_mu FROM rectification_targets WHERE year = 2022"
        ).fetchall()
    )
    assert set(targets) == set(PUBLISHED_2022)
    assert all(targets[c] <= PUBLISHED_2022[c] for c in PUBLISHED_2022)
    assert round(100 * 845 / targets[labels.RECTIFICATION_CATEGORIES[0]]) == 47
    years = con.execute("SELECT DISTINCT year FROM rectification_targets ORDER BY 1").fetchall()
    assert [y for (y,) in years] == YEARS


def test_projects_plausible(con):
    projects = con.execute("SELECT * FROM rectification_projects").df()
    assert not projects.duplicated(["year", "project_id"]).any()
    assert set(projects["path"]) <= set(labels.RECTIFICATION_PATHS)
    assert set(projects["category"]) == set(labels.RECTIFICATION_CATEGORIES)
    assert projects["area_mu"].gt(0).all() and projects["area_mu"].max() < 1000
    assert set(projects.loc[projects["year"] == 2024, "status"]) == set(
        labels.RECTIFICATION_STATUSES
    )
    linked = projects.dropna(subset=["credit_code"])
    assert len(linked) > 100
    firms = con.execute("SELECT year, credit_code, land_own_mu FROM enterprises").df()
    joined = linked.merge(firms, on=["year", "credit_code"])
    assert len(joined) == len(linked) and (joined["area_mu"] <= joined["land_own_mu"]).all()


def test_parks_match_published_figures(con):
    parks = con.execute("SELECT * FROM parks").df()
    assert len(parks) == 35 and parks["planned_floor_area_m2"].sum() == 3_250_000
    by_status = parks.groupby("status")["planned_floor_area_m2"].agg(["count", "sum"])
    assert tuple(by_status.loc["已建成"]) == (26, 2_140_000)
    assert tuple(by_status.loc["在建"]) == (9, 1_110_000)
    assert parks["on_cleared_land"].mean() > 0.8
    provincial = parks["provincial_year"].dropna()
    assert (provincial <= 2022).sum() == 14 and (provincial == 2022).sum() == 1
    stars = parks.dropna(subset=["star_year"])
    assert (stars["star_year"] <= 2022).sum() == 6 and (stars["star_year"] == 2022).sum() == 3
    assert stars["provincial_year"].notna().all()
    assert (stars["star_year"] >= stars["provincial_year"]).all()
    assert stars["star_rating"].between(1, 5).all()
    assert parks["name"].is_unique
    assert (parks.loc[parks["status"] == "已建成", "firms"] > 0).all()


def test_funds_sum_to_published_totals(con):
    funds = con.execute("SELECT * FROM funds").df()
    assert funds["extracted_10k"].sum() == 12_000
    assert funds["spent_10k"].sum() == 9_400
    assert set(funds["use"]) == set(labels.FUND_USES)
    assert (funds["spent_10k"] <= funds["extracted_10k"]).all()


def test_plot_ratio_upgrades(con):
    upgrades = con.execute("SELECT * FROM plot_ratio_upgrades").df()
    case = upgrades[
        (upgrades["floor_before_m2"] == 47_500) & (upgrades["floor_after_m2"] == 99_000)
    ]
    assert len(case) == 1 and "电线电缆" in case["name"].iloc[0]
    assert "报告" in case["source"].iloc[0]
    assert len(upgrades) >= 5
    assert (upgrades["reward_10k"] <= 1000).all()
    assert (upgrades["floor_after_m2"] > upgrades["floor_before_m2"]).all()


def test_published_facts_with_sources(con):
    facts = con.execute("SELECT * FROM published_facts").df()
    assert facts["source"].str.len().gt(0).all()
    value = {(r.fact_key, r.year): r.value for r in facts.itertuples()}
    assert value[("rectified_total", 2022)] == 11628
    assert value[("rectified_total_ha", 2022)] == 775.2
    assert value[("rectified_temporary_use_m2", 2022)] == 88_000
    category_facts = facts[(facts["year"] == 2022) & facts["label"].isin(PUBLISHED_2022)]
    assert (
        dict(zip(category_facts["label"], category_facts["value"], strict=True)) == PUBLISHED_2022
    )
    assert value[("rectified_contiguous_demolition", 2023)] == 1814
    assert value[("rectified_supplied_unused_pct", 2023)] == 184
    assert value[("parks_total", 2022)] == 35
    assert value[("parks_provincial_cumulative", 2022)] == 14
    assert value[("parks_star_cumulative", 2022)] == 6
    assert value[("fund_extracted_total", 2022)] == 12_000
    assert value[("fund_spent_total", 2022)] == 9_400
    assert value[("midyear_demolished", 2022)] == 845
    assert value[("plot_ratio_reward_cap", 2022)] == 1000
    texts = " ".join(facts["text"].dropna())
    for phrase in ("金华市第一", "金华市第二", "金华市第三", "提前一个月", "最佳实践"):
        assert phrase in texts
    assert {"本地新闻报道（2023年）", demo.SOURCE_REPORT} <= set(facts["source"])


def test_dataset_info_marks_demo(con):
    info = dict(con.execute("SELECT key, value FROM dataset_info").fetchall())
    assert info["demo"] == "true"
    assert info["seed"] == str(demo.DEFAULT_SEED)
    assert info["description"] == labels.DEMO_NOTICE
    assert pd.Timestamp(info["built_at"]).year >= 2024


# --- Building: determinism, scale, overwrite, ensure, command line ------------------------------


DATA_TABLES = (
    "enterprises",
    "leases",
    "rectification_projects",
    "rectification_targets",
    "parks",
    "funds",
    "plot_ratio_upgrades",
    "published_facts",
    "dataset_info",
)


def table_contents(path: Path) -> dict[str, pd.DataFrame]:
    """Every data table of a database, sorted, without the build time."""
    with duckdb.connect(str(path), read_only=True) as c:
        out = {}
        for table in DATA_TABLES:
            frame = c.execute(f"SELECT * FROM {table}").df()
            if table == "dataset_info":
                frame = frame[frame["key"] != "built_at"]
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    first, second, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    demo.build_demo_database(first, enterprises=400, seed=7)
    demo.build_demo_database(second, enterprises=400, seed=7)
    demo.build_demo_database(other, enterprises=400, seed=8)
    a, b, c = table_contents(first), table_contents(second), table_contents(other)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    assert not a["enterprises"]["credit_code"].equals(c["enterprises"]["credit_code"])


def test_enterprises_option_scales_the_city(tmp_path):
    summary = demo.build_demo_database(tmp_path / "big.duckdb", enterprises=9000, seed=3)
    per_year = [
        sum(v for k, v in counts.items() if k in (UP, DOWN)) for counts in summary.firms.values()
    ]
    assert sorted(summary.firms) == YEARS
    assert statistics.mean(per_year) == pytest.approx(9000, rel=0.02)
    up_share = statistics.mean(c[UP] for c in summary.firms.values()) / 9000
    assert up_share == pytest.approx(1050 / demo.DEFAULT_FIRMS_PER_YEAR, rel=0.05)
    assert summary.leases > 2 * 5 * 260


def test_build_replaces_an_existing_file(tmp_path):
    path = tmp_path / "muyun.duckdb"
    path.write_bytes(b"not a database")
    summary = demo.build_demo_database(path, enterprises=200, seed=1)
    assert summary.enterprise_rows > 0
    with db.connect(path) as c:
        assert (
            c.execute("SELECT count(*) FROM enterprises").fetchone()[0] == summary.enterprise_rows
        )
        assert db.schema_version(c) == db.SCHEMA_VERSION
    assert not list(tmp_path.glob("*.building*"))


def test_ensure_builds_only_when_missing(tmp_path):
    path = tmp_path / "sub" / "muyun.duckdb"
    assert demo.ensure_demo_database(path) is True
    stamp = path.stat().st_mtime_ns
    assert demo.ensure_demo_database(path) is False
    assert path.stat().st_mtime_ns == stamp


def test_cli_builds_and_prints_summary(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    code = main(["demo-data", "--db", str(path), "--enterprises", "300", "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 0 and path.exists()
    assert str(path) in out and "用时" in out and "build time" in out and "2024" in out
    with duckdb.connect(str(path), read_only=True) as c:
        assert c.execute("SELECT value FROM dataset_info WHERE key = 'seed'").fetchone() == ("5",)


def test_cli_rejects_tiny_enterprise_counts(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo-data", "--db", str(tmp_path / "x.duckdb"), "--enterprises", "10"])
    assert exc.value.code == 2
    assert "50" in capsys.readouterr().err

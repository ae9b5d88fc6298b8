"""The method lab: copy-and-diff of profiles, saved versions, data quality, redundancy and
sensitivity (muyun/method_lab)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from muyun import accounts, db, profile, scoring
from muyun.method_lab import profiles, quality, redundancy, sensitivity, year_audit
from tests.test_prior_year import put
from tests.test_scoring import code, from_toml

FIXED = """
[meta]
name = "测试区 2023 年方案"
years = [2023]

[tiers]
a_pct = 20
b_pct = 80

[scales."规上".indicators]
tax_per_mu = { weight = 60, benchmark = 10, cap = 2.0 }
va_per_mu = { weight = 40, benchmark = "average", cap = 2.0 }

[policy]
illustrative = true

[policy.electricity_surcharge]
C = 0.1
D = 0.3
"""


def firms_2023(con) -> scoring.YearData:
    put(con, 2023, [dict(tax=100.0 * (i + 1), value_added=50.0 * (i + 2)) for i in range(5)])
    return scoring.load_year(con, 2023)


# ── profiles: copy, diff, save with history ───────────────────────────────────────────────


def test_copy_and_diff_round_trip(empty_con):
    data = firms_2023(empty_con)
    old = from_toml(FIXED)
    new = profiles.next_year_profile(old, data)
    assert new.years == (2024,) and new.name == "测试区 2024 年方案"
    # The fixed base becomes 2023's average (1500 / 50 亩 = 30); rules stay rules.
    assert new.indicators("规上")[0].benchmark == 30.0
    assert new.indicators("规上")[1].benchmark == "average"
    # Then the bureau changes a weight and a rate by hand.
    edited_text = (
        new.to_toml()
        .replace("weight = 60", "weight = 55")
        .replace("weight = 40", "weight = 45")
        .replace("D = 0.3", "D = 0.35")
    )
    edited = profile.profile_from_toml(edited_text, "edited.toml")
    diff = profiles.diff_profiles(old, edited)
    items = dict(zip(diff["item"], zip(diff["before"], diff["after"], strict=True), strict=True))
    assert items["meta.years"] == ("2023", "2024")
    assert items["规上 · 亩均税收 · 基准值"] == ("10", "30")
    assert items["规上 · 亩均税收 · 权重"] == ("60", "55")
    assert items["规上 · 亩均增加值 · 权重"] == ("40", "45")
    assert items["policy.electricity_surcharge.D"] == ("0.3", "0.35")
    assert set(diff["section"]) >= {"适用年度", "权重", "基准值与计分", "政策费率"}
    # Round trip: the TOML written back reads to the same profile, with no difference.
    again = profile.profile_from_toml(edited.to_toml(), "again.toml")
    assert again == edited
    assert profiles.diff_profiles(edited, again).empty
    # And the diff goes out through muyun.export (Chinese headers, formula-safe).
    from muyun import export

    assert export.to_excel_bytes(diff, lambda c: c)[:2] == b"PK"


def test_diff_names_added_and_removed_settings():
    old = from_toml(FIXED)
    new = from_toml(FIXED.replace(", cap = 2.0 }\nva", " }\nva", 1).replace("D = 0.3\n", ""))
    diff = profiles.diff_profiles(old, new).set_index("item")
    assert diff.loc["规上 · 亩均税收 · 封顶倍数", "after"] == "—"
    assert diff.loc["policy.electricity_surcharge.D", "before"] == "0.3"


@pytest.fixture
def store(tmp_path):
    database = db.Database(tmp_path / "lab.duckdb")
    accounts.create_account(database, "admin", "correct horse battery", "管理员", "管理员甲")
    accounts.create_account(database, "clerk", "correct horse battery", "经办", "经办乙")
    return database


def test_saved_profiles_keep_every_version(store):
    admin = accounts.get_account(store.reader(), "admin")
    clerk = accounts.get_account(store.reader(), "clerk")
    assert admin is not None and clerk is not None
    first = profiles.save_profile(store, "test-2024", FIXED, actor=admin, note="初稿")
    second = profiles.save_profile(
        store, "test-2024", FIXED.replace("weight = 60", "weight = 50"), actor=admin
    )
    assert (first, second) == (1, 2)
    assert profiles.saved_profiles(store.reader()) == {"test-2024": (2, "测试区 2023 年方案")}
    versions = profiles.history(store.reader(), "test-2024")
    assert [v.version for v in versions] == [2, 1] and versions[1].note == "初稿"
    assert versions[0].saved_by == "admin"
    assert profiles.load_saved(store.reader(), "test-2024").weights("规上")["tax_per_mu"] == 50
    assert profiles.load_saved(store.reader(), "test-2024", 1).weights("规上")["tax_per_mu"] == 60
    with pytest.raises(profiles.ProfileSaveError, match="管理员"):
        profiles.save_profile(store, "test-2024", FIXED, actor=clerk)
    with pytest.raises(profiles.ProfileSaveError, match="weight"):
        profiles.save_profile(
            store, "test-2024", FIXED.replace("weight = 60", "weight = -1"), actor=admin
        )
    with pytest.raises(profiles.ProfileSaveError, match="无效"):
        profiles.save_profile(store, "Bad Stem", FIXED, actor=admin)
    assert len(profiles.history(store.reader(), "test-2024")) == 2  # nothing half-saved


# ── data quality ───────────────────────────────────────────────────────────────────────────

ONE = """
[meta]
name = "质量检查方案"

[scales."规上".indicators]
tax_per_mu = { weight = 50, benchmark = "average" }
va_per_mu = { weight = 30, benchmark = "average" }
rd_intensity = { weight = 20, benchmark = "average" }
"""
CLEAN = dict(tax=50.0, value_added=200.0, revenue=1000.0, rd=20.0, employees=10)


def flagged(con, year: int, firms: list[dict], leases=(), before=None) -> pd.DataFrame:
    if before is not None:
        put(con, year - 1, before)
    put(con, year, firms, leases)
    data = scoring.load_year(con, year)
    report = quality.check_year(data, from_toml(ONE), quality.prior_land(con, year))
    return report.flags


@pytest.mark.parametrize(
    ("rule", "bad"),
    [
        (quality.RULE_TAX, dict(tax=1200.0)),
        (quality.RULE_VA, dict(value_added=1500.0)),
        (quality.RULE_RD, dict(rd=1001.0)),
        (quality.RULE_EMPLOYEES, dict(employees=0)),
    ],
)
def test_each_row_rule_fires_on_a_built_row_only(empty_con, rule, bad):
    flags = flagged(empty_con, 2024, [CLEAN, {**CLEAN, **bad}])
    rows = flags[flags["rule"] == rule]
    assert rows["credit_code"].tolist() == [code(1)]
    assert rows["detail"].iloc[0]


def test_land_jump_rule(empty_con):
    before = [dict(CLEAN, land_own_mu=10.0), dict(CLEAN, land_own_mu=10.0)]
    now = [dict(CLEAN, land_own_mu=14.0), dict(CLEAN, land_own_mu=16.0)]
    flags = flagged(empty_con, 2024, now, before=before)
    rows = flags[flags["rule"] == quality.RULE_LAND]
    assert rows["credit_code"].tolist() == [code(1)]  # +60 % flagged, +40 % not


def test_lease_out_more_than_held_rule(empty_con):
    leases = [
        dict(lessor=code(0), lessee=code(1), land_mu=4.0, registered=True),
        dict(lessor=code(1), lessee=code(2), land_mu=20.0, registered=True),
    ]
    firms = [CLEAN, CLEAN, CLEAN]  # 10 亩 each: T1 holds 10 + 4 and leases out 20
    flags = flagged(empty_con, 2024, firms, leases)
    rows = flags[flags["rule"] == quality.RULE_LEASE]
    assert rows["credit_code"].tolist() == [code(1)]


def test_clean_rows_raise_no_flag(empty_con):
    firms = [dict(CLEAN, tax=50.0 + i, value_added=200.0 + i) for i in range(12)]
    flags = flagged(empty_con, 2024, firms, before=firms)
    assert flags.empty


def test_outliers_skew_and_coverage(empty_con):
    firms = [dict(CLEAN, tax=50.0 + i % 5) for i in range(30)]
    firms[7] = dict(CLEAN, tax=900.0)
    for i in range(20):  # R&D reported by 10 of 30 firms: 33 % coverage
        firms[i] = dict(firms[i], rd=None)
    put(empty_con, 2024, firms)
    report = quality.check_year(scoring.load_year(empty_con, 2024), from_toml(ONE))
    outliers = report.flags[report.flags["rule"] == quality.RULE_OUTLIER]
    assert outliers["credit_code"].tolist() == [code(7)]
    assert abs(outliers["robust_z"].iloc[0]) > 3.5
    coverage = report.indicator_coverage.set_index("indicator")
    assert bool(coverage.loc["rd_intensity", "low"]) and not bool(coverage.loc["tax_per_mu", "low"])
    shape = report.shape.set_index("indicator")
    assert bool(shape.loc["tax_per_mu", "skewed"]) and not bool(shape.loc["va_per_mu", "skewed"])
    # Firms with only 2 of 3 indicators (67 %) are fine; none is below 65 %.
    assert report.firm_coverage.empty
    assert report.counts()[quality.RULE_OUTLIER] == 1


def test_robust_z_without_spread():
    assert quality.robust_z(np.array([1.0, 1.0, 1.0])).tolist() == [0.0, 0.0, 0.0]
    z = quality.robust_z(np.array([1.0, 1.0, 1.0, 1.0, 9.0]))  # MAD 0: mean-deviation fallback
    assert z[-1] > 3.5 and z[0] == 0.0


# ── redundancy ─────────────────────────────────────────────────────────────────────────────


def test_collinear_pair_and_size_driven_indicator_are_flagged(empty_con):
    rng = np.random.default_rng(3)
    firms = []
    for _ in range(40):
        revenue = float(rng.uniform(500, 5000))
        land = float(rng.integers(5, 50))  # 100 × land / land is exactly 100
        firms.append(
            dict(
                revenue=revenue,
                tax=revenue * 0.05,  # 亩均税收 and 亩均营业收入: the same order
                value_added=100.0 * land,  # 亩均增加值 = 100 for all: no spread
                land_own_mu=land,
                rd=float(rng.uniform(1, 50)),
            )
        )
    put(empty_con, 2024, firms)
    prof = from_toml(
        ONE.replace(
            "rd_intensity", 'revenue_per_mu = { weight = 10, benchmark = "average" }\nrd_intensity'
        )
    )
    result = redundancy.check_year(scoring.load_year(empty_con, 2024), prof)
    pairs = result.pairs
    assert [(p.first, p.second) for p in pairs.itertuples()] == [("tax_per_mu", "revenue_per_mu")]
    matrix = result.matrices["规上"]
    assert matrix.at["tax_per_mu", "revenue_per_mu"] == pytest.approx(1.0)
    assert np.isnan(matrix.at["va_per_mu", "tax_per_mu"])  # a constant has no rank order
    assert not result.denominators.set_index("indicator").loc["rd_intensity", "strong"]


def test_spearman_matches_pandas():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    frame.loc[::7, "b"] = np.nan
    ours = redundancy.spearman(frame)
    theirs = frame.corr(method="spearman")
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-12)


# ── sensitivity ────────────────────────────────────────────────────────────────────────────


def test_jansen_on_toy_models_with_known_indices():
    a, b = sensitivity.saltelli(3, 4096)
    n = len(a)

    def run(f):
        y_ab = np.array([f(sensitivity._swap(a, b, i)) for i in range(3)])
        return sensitivity.jansen(f(a), f(b), y_ab)

    # y = x1: only x1 matters (x2, x3 have zero weight).
    first, total = run(lambda x: x[:, 0])
    assert first[0] == pytest.approx(1.0, abs=0.02) and total[0] == pytest.approx(1.0, abs=0.02)
    assert np.allclose(total[1:], 0.0) and np.allclose(first[1:], 0.0, atol=0.05)
    # y = 2 x1 + x2 (uniform x): S = 4/5 and 1/5, additive so first == total.
    first, total = run(lambda x: 2 * x[:, 0] + x[:, 1])
    assert first[:2] == pytest.approx([0.8, 0.2], abs=0.03)
    assert total[:2] == pytest.approx([0.8, 0.2], abs=0.03)
    assert total[2] == 0.0
    assert n == 4096


TOY = """
[meta]
name = "敏感性玩具模型"

[scales."规上".indicators]
tax_per_mu = { weight = 80, benchmark = 10 }
va_per_mu = { weight = 0, benchmark = 10 }

[bonus]
scales = ["规上"]

[bonus.listing]
"上市" = 30
"新三板" = 15
"""


def toy_scored(con, text: str) -> pd.DataFrame:
    """Ten firms on 10 亩; A is the top 2. T00001 (80 f points + 30 listed) and T00002 (112 f)
    swap places when the tax weight's factor f falls below 0.9375, so the tiers of both depend
    on that weight alone; the rest stay far apart (and 亩均增加值 differs from firm to firm)."""
    taxes = [400.0, 100.0, 140.0, 60.0, 55.0, 50.0, 45.0, 40.0, 35.0, 30.0]
    firms = [
        dict(tax=tax, value_added=500.0 - 40 * i, listing="上市" if i == 1 else "无")
        for i, tax in enumerate(taxes)
    ]
    put(con, 2024, firms)
    return scoring.score_year(con, 2024, from_toml(text))


def test_zero_weight_indicator_has_no_effect_and_a_single_one_explains_all(empty_con):
    scored = toy_scored(empty_con, TOY)
    result = sensitivity.analyse(scored, from_toml(TOY), "规上", samples=256)
    idx = result.indices.set_index(["factor", "output"])
    # 亩均增加值 has weight 0: scaling it changes nothing, its indices are 0.
    for output in ("rank", "tier"):
        assert idx.loc[("va_per_mu", output), "total_effect"] == 0.0
        assert abs(idx.loc[("va_per_mu", output), "first_order"]) < 0.1
        # The only weight that matters (against the listing bonus) explains everything.
        assert idx.loc[("tax_per_mu", output), "first_order"] == pytest.approx(1.0, abs=0.1)
        assert idx.loc[("tax_per_mu", output), "total_effect"] == pytest.approx(1.0, abs=0.1)
    assert "cap" not in result.indices["factor"].tolist()  # no cap in the toy: no such factor
    assert result.runs == result.samples * 4
    # Drop-one: dropping the zero weight moves nobody.
    drop = result.drop_one.set_index("indicator")
    assert drop.loc["va_per_mu", "moved"] == 0
    assert drop.loc["tax_per_mu", "moved"] > 0
    firms = result.firms
    assert (firms["rank_p5"] <= firms["rank"]).all() and (firms["rank"] <= firms["rank_p95"]).all()
    probs = firms[[f"prob_{t}" for t in "ABCD"]].sum(axis=1)
    np.testing.assert_allclose(probs, 1.0)
    assert (sensitivity.borderline(result)["prob_current"] < 0.8).all()


def test_single_indicator_model_gives_index_one(empty_con):
    text = TOY.replace("va_per_mu = { weight = 0, benchmark = 10 }\n", "")
    scored = toy_scored(empty_con, text)
    result = sensitivity.analyse(scored, from_toml(text), "规上", samples=64)
    idx = result.indices.set_index(["factor", "output"])
    assert idx.loc[("tax_per_mu", "rank"), "first_order"] == pytest.approx(1.0)
    assert idx.loc[("tax_per_mu", "rank"), "total_effect"] == pytest.approx(1.0, abs=0.15)


def test_cap_is_a_factor_and_nominal_run_matches_the_engine(empty_con):
    capped = TOY.replace("benchmark = 10 }", "benchmark = 10, cap = 1.5 }")
    scored = toy_scored(empty_con, capped)
    model = sensitivity.build_model(scored, from_toml(capped), "规上")
    assert model.factors() == ("tax_per_mu", "va_per_mu", "cap")
    ranks, _ = sensitivity.ranks_and_tiers(model, model.weights[None, :], np.ones(1))
    engine = scored[scored["status"] == "评价"]["rank"].to_numpy(dtype=np.int64)
    assert ranks[0].tolist() == engine.tolist()
    result = sensitivity.analyse(scored, from_toml(capped), "规上", samples=64)
    cap_rows = result.indices[result.indices["factor"] == "cap"]
    assert len(cap_rows) == 2 and (cap_rows["total_effect"] > 0).all()


def one_run_at_a_time(
    model: sensitivity.Model, weight_sets: np.ndarray, cap_factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The plain reading of the method: each run scored, ranked per pool and tiered alone."""
    n = len(model.firms)
    ranks = np.empty((len(weight_sets), n), dtype=np.int64)
    codes = np.empty((len(weight_sets), n), dtype=np.int64)
    for run, weights in enumerate(weight_sets):
        total = np.zeros(n)
        for k in range(len(model.keys)):
            units = np.minimum(model.ratio[:, k], model.caps[k] * cap_factors[run])
            missing = np.isnan(units)
            fill = units[~missing].mean() if model.impute[k] else 0.0
            total += weights[k] * np.where(missing, fill, units)
        ranks[run] = scoring.competition_rank(scoring.round_tol(total + model.base), model.pools)
        codes[run] = scoring.tier_code_array(
            ranks[run], model.pool_size, model.tax, model.veto, model.tiers
        )
    return ranks, codes


@pytest.mark.parametrize("capped", [True, False])
def test_all_runs_ranked_and_tiered_at_once_as_one_at_a_time(empty_con, capped):
    scored = toy_scored(empty_con, TOY)
    toy = sensitivity.build_model(scored, from_toml(TOY), "规上")
    rng = np.random.default_rng(7)
    n, k = 300, 3
    ratio = rng.lognormal(size=(n, k)).round(2)  # rounded: many ties
    ratio[rng.random((n, k)) < 0.1] = np.nan
    pools = rng.integers(0, 4, n)
    model = dataclasses.replace(
        toy,
        firms=pd.DataFrame(index=range(n)),
        keys=("a", "b", "c"),
        weights=np.array([50.0, 30.0, 20.0]),
        ratio=ratio,
        caps=np.array([2.0, np.inf, 1.5]) if capped else np.full(3, np.inf),
        impute=np.array([True, True, False]),
        base=rng.choice([0.0, 5.0, -3.0], n),
        pools=pools,
        pool_size=np.bincount(pools)[pools],
        tax=rng.uniform(0, 10, n),
        veto=rng.random(n) < 0.05,
    )
    weight_sets = model.weights * rng.uniform(0.75, 1.25, (37, k))
    cap_factors = rng.uniform(0.75, 1.25, 37)
    ranks, codes = sensitivity.ranks_and_tiers(model, weight_sets, cap_factors)
    expected_ranks, expected_codes = one_run_at_a_time(model, weight_sets, cap_factors)
    np.testing.assert_array_equal(ranks, expected_ranks)
    np.testing.assert_array_equal(codes, expected_codes)
    assert set(np.unique(codes)) >= {0, 1, 2}


def test_plan_counts_the_firms_and_runs_before_scoring(empty_con):
    capped = TOY.replace("benchmark = 10 }", "benchmark = 10, cap = 1.5 }")
    scored = toy_scored(empty_con, capped)
    data = scoring.load_year(empty_con, 2024)
    result = sensitivity.analyse(scored, from_toml(capped), "规上")
    assert sensitivity.plan(data, from_toml(capped), "规上") == (len(result.firms), result.runs)
    assert sensitivity.plan(data, from_toml(TOY), "规上")[1] == result.samples * 4  # no cap


def test_base_samples_adapt_to_the_pool():
    assert sensitivity.base_samples(1_000, 7) == sensitivity.MAX_SAMPLES
    assert sensitivity.base_samples(200_000, 7) == 16
    assert sensitivity.base_samples(0, 3) == sensitivity.MIN_SAMPLES


def test_audit_year_runs_every_check(empty_con):
    scored = toy_scored(empty_con, TOY)
    data = scoring.load_year(empty_con, 2024)
    audit = year_audit.audit_year(data, from_toml(TOY), scored, samples=16)
    assert set(audit.sensitivity) == {"规上"}
    assert len(audit.redundancy.matrices["规上"]) == 2
    assert list(audit.quality.counts().index)[:6] == list(quality.ROW_RULES)

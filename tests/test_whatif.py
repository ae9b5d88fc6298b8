"""muyun.whatif: scenarios re-score as the engine does; migration, stored settings, robustness."""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muyun import db, labels, policy, profile, scoring, whatif

YEAR = 2023


def _firm(i: int, industry: str, scale: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "year": YEAR,
        "credit_code": f"TEST{i:014d}",
        "name": f"测试企业{i}",
        "industry": industry,
        "town": "东城街道",
        "scale": scale,
        "land_own_mu": 20.0,
        "tax": 200.0,
        "value_added": 1000.0,
        "revenue": 5000.0,
        "employees": 100,
        "energy_tce": 500.0,
        "electricity_10k_kwh": 400.0,
        "emission_t": 2.0,
        "rd": 150.0,
        "listing": "无",
        "safety_incidents": 0,
        "env_penalties": 0,
        "veto": False,
        "exempt": False,
    }
    row.update(values)
    return row


def _insert(con, rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows)
    con.register("new_rows", frame)
    con.execute("INSERT INTO enterprises BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")


def _varied_pool(con) -> None:
    """60 规上 firms in two industries with ties, missing emissions (imputed), bonus items,
    deductions, a veto and an exempt firm, plus 12 规下 firms; deterministic."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        industry = "车业" if i % 2 else "门业"
        f = rng.uniform(0.3, 1.8, size=6)
        rows.append(
            _firm(
                i,
                industry,
                "规上",
                tax=round(200 * f[0], 1),
                value_added=round(1000 * f[1], 1),
                energy_tce=round(500 / f[2], 1),
                emission_t=None if i % 7 == 0 else round(2.0 / f[3], 2),
                employees=int(100 / f[4]),
                rd=round(150 * f[5], 1),
                listing=("上市", "股改", "无", "无")[i % 4],
                investment=float(1000 * (i % 5)),
                talents=int(i % 40),
                safety_incidents=1 if i == 11 else 0,
                veto=i == 3,
                exempt=i == 5,
            )
        )
    rows.append(_firm(60, "车业", "规上"))
    rows.append(_firm(61, "车业", "规上"))  # identical to 60: a tie
    for i in range(62, 74):
        rows.append(
            _firm(i, "杯业", "规下", land_own_mu=5.0 + i % 4, tax=10.0 + i, value_added=None)
        )
    _insert(con, rows)


@pytest.fixture
def default_profile() -> profile.Profile:
    return profile.load_profile(profile.profile_path("yongkang-default"))


@pytest.fixture
def varied_con(empty_con):
    _varied_pool(empty_con)
    return empty_con


def test_moving_one_weight_rescores_exactly_as_score_year(varied_con, default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    moved = whatif.Settings(
        weights=tuple((k, 45.0 if k == "tax_per_mu" else w) for k, w in base.weights),
        a_pct=base.a_pct,
        b_pct=base.b_pct,
        d_pct=base.d_pct,
        d_max_tax_per_mu=base.d_max_tax_per_mu,
        bonus_cap=base.bonus_cap,
    )
    data = scoring.load_year(varied_con, YEAR)
    got = whatif.rescore(data, default_profile, "规上", moved)
    want = scoring.score_year(
        varied_con, YEAR, default_profile.with_weights("规上", {"tax_per_mu": 45.0})
    )
    columns = ["credit_code", "total", "rank", "tier", "tier_before_veto", "pool_size"]
    pd.testing.assert_frame_equal(got[columns], want[columns])
    baseline = scoring.score_year(varied_con, YEAR, default_profile)
    merged = got[["credit_code", "total"]].merge(
        baseline[["credit_code", "total"]], on="credit_code"
    )
    assert (merged["total_x"].dropna() != merged["total_y"].dropna()).any()


def test_bands_d_line_and_bonus_cap_reach_the_engine(varied_con, default_profile) -> None:
    settings = whatif.Settings(
        weights=tuple(default_profile.weights("规上").items()),
        a_pct=30,
        b_pct=70,
        d_pct=10,
        d_max_tax_per_mu=12.5,
        bonus_cap=2.0,
    )
    derived = whatif.apply(default_profile, "规上", settings)
    assert derived.tiers == profile.TierRule(30, 70, 10, 12.5)
    assert derived.bonus is not None and derived.bonus.cap == 2.0
    got = whatif.rescore(scoring.load_year(varied_con, YEAR), default_profile, "规上", settings)
    want = scoring.score_year(varied_con, YEAR, derived)
    pd.testing.assert_series_equal(got["tier"], want["tier"])
    assert got["bonus"].max() == 2.0


def test_a_above_b_is_refused(default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    bad = whatif.Settings(base.weights, 90, 80, 2, 6.0, 10.0)
    with pytest.raises(whatif.SettingsError):
        whatif.apply(default_profile, "规上", bad)


def test_migration_matrix_sums_to_the_pool(varied_con, default_profile) -> None:
    data = scoring.load_year(varied_con, YEAR)
    before = scoring.score_prepared(data, default_profile)
    settings = whatif.settings_from_profile(default_profile, "规上")
    after = whatif.rescore(
        data,
        default_profile,
        "规上",
        whatif.Settings(
            tuple((k, 60.0 if k == "rd_intensity" else w) for k, w in settings.weights),
            25,
            75,
            5,
            8.0,
            10.0,
        ),
    )
    pairs = whatif.paired(before, after, "规上")
    matrix = whatif.migration_matrix(pairs)
    pool = int(((before["status"] == "评价") & (before["scale"] == "规上")).sum())
    assert pool == 61  # 62 规上 firms minus the exempt one
    assert int(matrix.to_numpy().sum()) == pool
    counts = whatif.tier_counts(pairs)
    assert counts["before"].sum() == counts["after"].sum() == pool
    assert (counts["after"].to_numpy() == matrix.sum(axis=0).to_numpy()).all()
    assert (counts["before"].to_numpy() == matrix.sum(axis=1).to_numpy()).all()
    off_diagonal = int(matrix.to_numpy().sum() - np.trace(matrix.to_numpy()))
    assert off_diagonal > 0
    assert len(whatif.movers(pairs)) == off_diagonal
    assert whatif.moved_count(pairs) == off_diagonal
    a_to_b = whatif.movers(pairs, "A", "B")
    assert len(a_to_b) == matrix.loc["A", "B"]
    assert set(a_to_b["tier_before"]) <= {"A"} and set(a_to_b["tier_after"]) <= {"B"}
    into, out_of = whatif.d_changes(pairs)
    assert len(into) == matrix["D"].sum() - matrix.loc["D", "D"]
    assert len(out_of) == matrix.loc["D"].sum() - matrix.loc["D", "D"]
    industries = whatif.industry_changes(pairs)
    assert list(industries["industry"]) == ["车业", "门业"]
    assert industries["firms"].sum() == pool
    assert industries["up"].sum() + industries["down"].sum() == off_diagonal


def test_params_round_trip_and_validation(default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    settings = whatif.Settings(tuple((k, w + 2.5) for k, w in base.weights), 15, 85, 3, 7.5, 6.0)
    query = whatif.to_query(settings)
    assert all(isinstance(v, str) for v in query.values())
    assert query["w_tax_per_mu"] == "32.5" and query["a_pct"] == "15"
    back, problems = whatif.from_params(query, default_profile, "规上")
    assert back == settings and problems == []
    stored = json.loads(json.dumps(whatif.to_params(settings)))
    assert whatif.from_params(stored, default_profile, "规上") == (settings, [])

    hostile = {
        "w_tax_per_mu": "1e3",
        "w_va_per_mu": "nan",
        "w_rd_intensity": "-5",
        "w_tax_per_kwh": "40",  # not a 规上 indicator: ignored
        "a_pct": "12.5",
        "d_tax": "999",
        "bonus_cap": "__import__('os')",
        "w_labour_productivity": "15",
    }
    got, problems = whatif.from_params(hostile, default_profile, "规上")
    assert got.weight_map()["tax_per_mu"] == 30.0
    assert got.weight_map()["labour_productivity"] == 15.0
    assert "tax_per_kwh" not in got.weight_map()
    assert got.a_pct == 20 and got.d_max_tax_per_mu == 6.0 and got.bonus_cap == 10.0
    assert len(problems) == 6


def test_scenarios_are_saved_and_loaded(default_profile) -> None:
    store = db.Database(":memory:")
    con = store.reader()
    base = whatif.settings_from_profile(default_profile, "规下")
    settings = whatif.Settings(tuple((k, 40.0) for k, _ in base.weights), 10, 90, 5, 4.0, 8.0)
    first = whatif.save_scenario(
        store,
        name="  税收加权 ",
        author="张三",
        base_profile="yongkang-default",
        year=2024,
        scale="规下",
        settings=settings,
    )
    second = whatif.save_scenario(
        store,
        name="<script>alert(1)</script>",
        author="",
        base_profile="yongkang-default",
        year=2024,
        scale="规上",
        settings=whatif.settings_from_profile(default_profile, "规上"),
    )
    assert second > first
    loaded = whatif.get_scenario(con, first)
    assert loaded is not None and loaded.name == "税收加权" and loaded.author == "张三"
    assert whatif.from_params(loaded.params, default_profile, "规下") == (settings, [])
    only_small = whatif.list_scenarios(con, base_profile="yongkang-default", scale="规下")
    assert [s.id for s in only_small] == [first]
    assert len(whatif.list_scenarios(con)) == 2
    assert whatif.get_scenario(con, 999) is None
    with pytest.raises(whatif.SettingsError):
        whatif.save_scenario(
            store,
            name="   ",
            author="",
            base_profile="yongkang-default",
            year=2024,
            scale="规下",
            settings=settings,
        )
    assert len(whatif.list_scenarios(con)) == 2, "a refused scenario writes nothing"
    store.close()


def test_scenario_exports_as_a_profile_that_scores_the_same(varied_con, default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    settings = whatif.Settings(
        tuple((k, 25.0 if k == "va_per_mu" else w) for k, w in base.weights), 20, 80, 4, 6.5, 8.0
    )
    exported = whatif.scenario_profile(default_profile, "规上", settings, "增加值加权")
    text = exported.to_toml()
    back = profile.profile_from_toml(text, "scenario.toml")
    assert "增加值加权" in back.name
    assert back.weights("规上")["va_per_mu"] == 25.0
    data = scoring.load_year(varied_con, YEAR)
    pd.testing.assert_series_equal(
        scoring.score_prepared(data, back)["total"],
        whatif.rescore(data, default_profile, "规上", settings)["total"],
    )


def test_unperturbed_run_reproduces_the_engine(varied_con, default_profile) -> None:
    for scale in labels.SCALES:
        scored = scoring.score_year(varied_con, YEAR, default_profile)
        own = np.array([[s.weight for s in default_profile.indicators(scale)]])
        pool, ranks, tiers = whatif.simulate(scored, default_profile, scale, own)
        assert len(pool) > 0
        assert (ranks[0] == pool["rank"].to_numpy(dtype=np.int64)).all()
        want = pool["tier"].map({t: i for i, t in enumerate(labels.TIERS)}).to_numpy()
        assert (tiers[0] == want).all()
    scored = scoring.score_year(varied_con, YEAR, default_profile)
    tied = scored.set_index("name").loc[["测试企业60", "测试企业61"], "rank"]
    assert tied.iloc[0] == tied.iloc[1]


def test_robustness_shares_and_a_dominant_firm(empty_con, default_profile) -> None:
    rng = np.random.default_rng(3)
    rows = [
        _firm(
            i,
            "电动工具",
            "规上",
            tax=round(200 * rng.uniform(0.6, 1.4), 1),
            value_added=round(1000 * rng.uniform(0.6, 1.4), 1),
            energy_tce=round(500 * rng.uniform(0.6, 1.4), 1),
            emission_t=round(2.0 * rng.uniform(0.6, 1.4), 2),
            employees=int(100 * rng.uniform(0.6, 1.4)),
            rd=round(150 * rng.uniform(0.6, 1.4), 1),
        )
        for i in range(40)
    ]
    # First on every indicator by a wide margin: 5× the others' values (capped at 2× the mean).
    rows.append(
        _firm(
            99,
            "电动工具",
            "规上",
            tax=1000.0,
            value_added=5000.0,
            energy_tce=100.0,
            emission_t=0.4,
            employees=20,
            rd=750.0,
        )
    )
    _insert(empty_con, rows)
    scored = scoring.score_year(empty_con, YEAR, default_profile)
    result = whatif.robustness(scored, default_profile, "规上", runs=500, spread=0.3, seed=1)
    firms = result.firms.set_index("credit_code")
    shares = firms[[f"share_{t}" for t in labels.TIERS]]
    assert np.allclose(shares.sum(axis=1), 1.0)
    top = firms.loc["TEST00000000000099"]
    assert top["share_A"] == 1.0 and top["rank_p5"] == 1 and top["rank_p95"] == 1
    assert not top["borderline"]
    assert (firms["rank_p5"] <= firms["rank"]).all() and (firms["rank"] <= firms["rank_p95"]).all()
    assert result.summary["firms"].sum() == len(firms) == 41
    assert (result.summary["stable"] + result.summary["unstable"] == result.summary["firms"]).all()
    assert firms["borderline"].any(), "with ±30% some firm near a band edge must be unstable"
    assert (firms["borderline"] == (firms["share_current"] < whatif.STABLE_SHARE)).all()
    listed = whatif.borderline(result)
    assert set(listed["credit_code"]) == set(firms.index[firms["borderline"]])
    assert listed["share_current"].is_monotonic_increasing, "least stable first"
    tier = listed["tier"].iloc[0]
    only = whatif.borderline(result, tiers=(tier,))
    assert set(only["tier"]) == {tier} and len(only) == (listed["tier"] == tier).sum()
    assert whatif.borderline(result, towns=("不存在的镇",)).empty


def test_perturbed_weights_keep_the_sum_and_are_deterministic() -> None:
    weights = np.array([30.0, 20.0, 20.0, 10.0, 10.0, 0.0])
    sets = whatif.perturbed_weights(weights, 1000, 0.2, seed=5)
    assert sets.shape == (1000, 6)
    assert np.allclose(sets.sum(axis=1), weights.sum())
    assert (sets[:, 5] == 0).all()
    ratio = sets[:, 0] / sets[:, 1]
    assert ratio.min() >= 1.5 * 0.8 / 1.2 - 1e-9 and ratio.max() <= 1.5 * 1.2 / 0.8 + 1e-9
    assert np.array_equal(sets, whatif.perturbed_weights(weights, 1000, 0.2, seed=5))
    assert not np.array_equal(sets, whatif.perturbed_weights(weights, 1000, 0.2, seed=6))


def test_narrow_filters_lists_only(varied_con, default_profile) -> None:
    scored = scoring.score_year(varied_con, YEAR, default_profile)
    pairs = whatif.paired(scored, scored, "规上")
    assert (pairs["move"] == 0).all()
    assert whatif.moved_count(pairs) == 0
    only = whatif.narrow(pairs, industries=("门业",))
    assert set(only["industry"]) == {"门业"} and 0 < len(only) < len(pairs)
    assert whatif.narrow(pairs, towns=("不存在的镇",)).empty


def test_demo_city_unperturbed_run_and_full_robustness(demo_db_path, default_profile) -> None:

    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        scored = scoring.score_year(con, year, default_profile)
    for scale in labels.SCALES:
        own = np.array([[s.weight for s in default_profile.indicators(scale)]])
        pool, ranks, tiers = whatif.simulate(scored, default_profile, scale, own)
        assert len(pool) > 500
        assert (ranks[0] == pool["rank"].to_numpy(dtype=np.int64)).all()
        codes = pool["tier"].map({t: i for i, t in enumerate(labels.TIERS)}).to_numpy()
        assert (tiers[0] == codes).all()
    result = whatif.robustness(scored, default_profile, "规上")
    shares = result.firms[[f"share_{t}" for t in labels.TIERS]].to_numpy()
    assert result.runs == 1000 and np.allclose(shares.sum(axis=1), 1.0)
    assert result.summary["firms"].sum() == len(whatif.evaluated(scored, "规上"))


# ── fiscal effect of a scenario (methodology §9, issue 12) ──────────────────────────────────


def _fiscal(con, prof, before: whatif.Settings, after: whatif.Settings):
    from muyun import policy

    data = scoring.load_year(con, YEAR)
    first = whatif.rescore(data, prof, "规上", before)
    second = whatif.rescore(data, prof, "规上", after)
    pairs = whatif.paired(first, second, "规上")
    rates = [whatif.apply(prof, "规上", s).policy for s in (before, after)]
    effect = whatif.fiscal_effect(pairs, rates[0], rates[1], {})
    money = [
        policy.with_money(frame, whatif.apply(prof, "规上", s), {})
        for frame, s in ((first, before), (second, after))
    ]
    return effect, money


def test_fiscal_delta_is_scenario_minus_baseline(varied_con, default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    moved = whatif.Settings(
        weights=tuple((k, 60.0 if k == "tax_per_mu" else w) for k, w in base.weights),
        a_pct=30,
        b_pct=70,
        d_pct=10,
        d_max_tax_per_mu=12.0,
        bonus_cap=base.bonus_cap,
    )
    effect, (first, second) = _fiscal(varied_con, default_profile, base, moved)
    ranked = [whatif.evaluated(frame, "规上") for frame in (first, second)]
    for name in ("land_tax_relief", "electricity_surcharge", "water_surcharge", "policy_net"):
        assert getattr(effect.before, name) == pytest.approx(ranked[0][name].sum())
        assert getattr(effect.after, name) == pytest.approx(ranked[1][name].sum())
        assert effect.delta(name) == pytest.approx(ranked[1][name].sum() - ranked[0][name].sum())
    assert effect.delta("surcharges") == pytest.approx(
        effect.delta("electricity_surcharge") + effect.delta("water_surcharge")
    )
    per_firm = effect.firms.set_index("credit_code")
    assert per_firm["change"].sum() == pytest.approx(effect.delta("policy_net"))
    nets = [frame.set_index("credit_code")["policy_net"] for frame in ranked]
    want = (nets[1] - nets[0]).reindex(per_firm.index)
    np.testing.assert_allclose(per_firm["change"], want, atol=1e-9)
    assert effect.paying_more == int((want < -1e-9).sum()) > 0
    assert effect.paying_less == int((want > 1e-9).sum()) > 0


def test_baseline_against_itself_has_no_effect(varied_con, default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    effect, _ = _fiscal(varied_con, default_profile, base, base)
    assert effect.before == effect.after
    assert effect.paying_more == effect.paying_less == 0


def test_rates_are_part_of_a_scenario(varied_con, default_profile) -> None:
    base = whatif.settings_from_profile(default_profile, "规上")
    assert base.rates == ()
    values = whatif.rate_values(default_profile, base)
    assert values["r_relief_A"] == 100.0 and values["r_elec_D"] == 0.30
    cheaper = whatif.Settings(
        *base.scoring_key(),
        rates=whatif.rate_overrides(default_profile, {**values, "r_relief_A": 40.0}),
    )
    assert cheaper.rates == (("r_relief_A", 40.0),)
    assert cheaper.scoring_key() == base.scoring_key() and cheaper.key() != base.key()
    assert whatif.Settings.from_key(cheaper.key()) == cheaper
    back, problems = whatif.from_params(whatif.to_query(cheaper), default_profile, "规上")
    assert back == cheaper and problems == []
    _, problems = whatif.from_params({"r_relief_A": "140"}, default_profile, "规上")
    assert problems and "r_relief_A" in problems[0]
    assert whatif.apply(default_profile, "规上", cheaper).policy.land_relief["A"] == 40.0
    effect, _ = _fiscal(varied_con, default_profile, base, cheaper)
    # Same tiers, A relief cut from 100 % to 40 %: Δ relief = −60 % of the A firms' relief.
    assert effect.delta("land_tax_relief") == pytest.approx(
        -0.6 * effect.firms.loc[effect.firms["tier_before"] == "A", "net_before"].sum()
    )
    assert effect.delta("surcharges") == pytest.approx(0.0)
    assert effect.paying_more == int((effect.firms["tier_before"] == "A").sum())


def test_robustness_reports_the_spread_of_the_net(varied_con, default_profile) -> None:
    from muyun import policy

    scored = scoring.score_year(varied_con, YEAR, default_profile)
    result = whatif.robustness(scored, default_profile, "规上", runs=200, seed=3)
    spread = result.fiscal
    assert spread is not None
    ranked = whatif.evaluated(policy.with_money(scored, default_profile, {}), "规上")
    assert spread.current == pytest.approx(ranked["policy_net"].sum())
    assert spread.p5 <= spread.p50 <= spread.p95
    assert spread.p5 < spread.p95  # re-weighting moves firms between tiers, hence money
    plain = profile.profile_from_toml(default_profile.to_toml().split("[policy]")[0], "x.toml")
    assert whatif.robustness(scored, plain, "规上", runs=20).fiscal is None


# ── the slider step: re-ranking one scale from reused item scores (issue 15) ───────────────

SHIPPED = list(profile.shipped_profiles())  # every data/profiles/*.toml
# A profile with the rules the shipped ones lack: a prior-year benchmark with a multiplier, one
# pool per scale, capped deductions.
VARIANT_TOML = (
    profile.profile_path("yongkang-default")
    .read_text(encoding="utf-8")
    .replace(
        'tax_per_mu = { weight = 30, benchmark = "average", cap = 2.0, missing = "zero" }',
        'tax_per_mu = { weight = 30, benchmark = "prior_year_average", '
        'benchmark_multiplier = 1.5, cap = 2.0, missing = "zero" }',
    )
    .replace('pool_by = "industry"', 'pool_by = "none"')
    .replace("env_penalty = 5      # 每次环保处罚扣分", "env_penalty = 5\ncap = 7")
)
step_settings = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _profiles() -> dict[str, profile.Profile]:
    out = {stem: profile.load_profile(profile.profile_path(stem)) for stem in SHIPPED}
    out["variant"] = profile.profile_from_toml(VARIANT_TOML, "variant.toml")
    assert out["variant"].needs_prior_year() and out["variant"].pool_by == "none"
    return out


PROFILES = _profiles()
CASES = [(name, scale) for name, prof in PROFILES.items() for scale in prof.scales]


@pytest.fixture(scope="module")
def demo_year(demo_db_path):
    """The demo city's latest year and, per profile, the tiers of the years before (§9)."""
    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        data = scoring.load_year(con, year)
        history = {
            name: policy.tier_history(
                {y: scoring.score_year(con, y, prof) for y in policy.prior_years(prof, year)}
            )
            for name, prof in PROFILES.items()
            if prof.policy is not None
        }
    return data, history


@pytest.fixture(scope="module")
def prepared(demo_year):
    data, history = demo_year
    scored = {name: scoring.score_prepared(data, prof) for name, prof in PROFILES.items()}
    return {
        (name, scale): whatif.prepare(data, PROFILES[name], scale, history.get(name), scored[name])
        for name, scale in CASES
    }


@st.composite
def scenarios(draw, prof: profile.Profile, scale: str) -> whatif.Settings:
    """Any setting the sliders allow: weights (0 included), bands, D line, cap and rates."""
    base = whatif.settings_from_profile(prof, scale)
    limits = whatif.bounds(prof, scale)

    def value(name: str) -> float:
        bound = limits[name]
        steps = round((bound.high - bound.low) / bound.step)
        return bound.low + draw(st.integers(0, steps)) * bound.step

    keep = st.booleans()
    weights = tuple(
        (key, w if draw(keep) else value(f"{whatif.WEIGHT_PREFIX}{key}")) for key, w in base.weights
    )
    a_pct = draw(st.integers(0, 100))
    rates = {name: value(name) for name in whatif.rate_values(prof, base) if not draw(keep)}
    return whatif.Settings(
        weights=weights,
        a_pct=a_pct,
        b_pct=draw(st.integers(a_pct, 100)),
        d_pct=draw(st.integers(0, 100)),
        d_max_tax_per_mu=value(whatif.PARAM_D_TAX),
        bonus_cap=None if base.bonus_cap is None else value(whatif.PARAM_BONUS_CAP),
        rates=whatif.rate_overrides(prof, rates),
    )


def no_engine() -> scoring.YearData:
    pytest.fail("the fast path re-scored through the engine")


def _engine_pairs(data, prof, scale, before, after) -> pd.DataFrame:
    return whatif.paired(
        whatif.rescore(data, prof, scale, before), whatif.rescore(data, prof, scale, after), scale
    )


def _assert_same_pairs(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same rows in the same order, every value equal (no tolerance); dtypes may differ
    (Arrow strings against object arrays)."""
    pd.testing.assert_frame_equal(
        got[list(want.columns)], want, check_dtype=False, check_exact=True
    )


@pytest.mark.parametrize(("name", "scale"), CASES)
@step_settings
@given(data=st.data())
def test_fast_step_is_the_engine(demo_year, prepared, name, scale, data) -> None:
    """Totals, ranks, tiers and the order of the rows equal `score_prepared`'s, both ways."""
    year, _ = demo_year
    prof, ranked = PROFILES[name], prepared[(name, scale)]
    assert ranked.exact
    base = whatif.settings_from_profile(prof, scale)
    scenario = data.draw(scenarios(prof, scale))
    fast = whatif.outcome(ranked, prof, scenario, no_engine)
    _assert_same_pairs(
        whatif.pair(ranked, ranked.baseline, fast), _engine_pairs(year, prof, scale, base, scenario)
    )
    _assert_same_pairs(
        whatif.pair(ranked, fast, ranked.baseline),
        _engine_pairs(year, prof, scale, scenario, base),
    )


@pytest.mark.parametrize("name", [n for n in PROFILES if PROFILES[n].policy is not None])
@step_settings
@given(data=st.data())
def test_fast_money_is_the_engine(demo_year, prepared, name, data) -> None:
    """The fiscal effect from the fast path (baseline priced once, repeat history kept per
    firm) equals `policy.with_money` of the engine's results, to the last bit."""
    year, history = demo_year
    prof, scale = PROFILES[name], "规上"
    ranked = prepared[(name, scale)]
    assert ranked.held is not None and ranked.held.any(), "some firms were in D for two years"
    base = whatif.settings_from_profile(prof, scale)
    scenario = data.draw(scenarios(prof, scale))
    rates = [whatif.apply(prof, scale, s).policy for s in (base, scenario)]
    baseline = whatif.pair(ranked, ranked.baseline, ranked.baseline)
    priced = whatif.side_money(baseline, rates[0], "before", {}, baseline[whatif.HELD].to_numpy())
    pairs = whatif.pair(ranked, ranked.baseline, whatif.outcome(ranked, prof, scenario, no_engine))
    effect = whatif.fiscal_effect(
        pairs, rates[0], rates[1], {}, pairs[whatif.HELD].to_numpy(), priced
    )
    for side, chosen, got in (
        ("before", base, effect.before),
        ("after", scenario, effect.after),
    ):
        derived = whatif.apply(prof, scale, chosen)
        money = whatif.evaluated(
            policy.with_money(whatif.rescore(year, prof, scale, chosen), derived, history[name]),
            scale,
        )
        for column in policy.COLUMNS:
            assert getattr(got, column) == math.fsum(money[column]), (side, column)
        nets = money.set_index("credit_code")["policy_net"]
        firms = effect.firms.set_index("credit_code")[f"net_{side}"]
        assert (firms.to_numpy() == nets.loc[firms.index].to_numpy()).all()
    slow = whatif.fiscal_effect(pairs, rates[0], rates[1], history[name])
    assert (slow.before, slow.after) == (effect.before, effect.after)
    assert (slow.paying_more, slow.paying_less) == (effect.paying_more, effect.paying_less)


def test_an_untrusted_fast_path_goes_through_the_engine(demo_year, monkeypatch) -> None:
    """If the reused item scores ever disagree with the engine, `prepare` says so and every
    scenario is re-scored by the engine instead — with the same result."""
    year, _ = demo_year
    prof = PROFILES["yongkang-default"]
    items = whatif._item_scores
    monkeypatch.setattr(whatif, "_item_scores", lambda r, d: (x + 1e-7 for x in items(r, d)))
    ranked = whatif.prepare(year, prof, "规上")
    assert not ranked.exact
    monkeypatch.undo()
    scenario = whatif.from_params({"w_tax_per_mu": 55.0, "bonus_cap": 2.5}, prof, "规上")[0]
    read = []
    got = whatif.outcome(ranked, prof, scenario, lambda: read.append(1) or year)
    assert read == [1], "the engine re-scored the year"
    base = whatif.settings_from_profile(prof, "规上")
    _assert_same_pairs(
        whatif.pair(ranked, ranked.baseline, got), _engine_pairs(year, prof, "规上", base, scenario)
    )


def test_fast_step_on_the_varied_pool(varied_con, default_profile) -> None:
    """Ties, an imputed indicator, bonus items, a deduction, a veto and an exempt firm."""
    data = scoring.load_year(varied_con, YEAR)
    ranked = whatif.prepare(data, default_profile, "规上")
    assert ranked.exact and ranked.imputed.any()
    base = whatif.settings_from_profile(default_profile, "规上")
    for weights, cap in (({"va_per_emission": 60.0}, 0.0), ({"tax_per_mu": 0.0}, 30.0)):
        scenario = whatif.Settings(
            tuple((k, weights.get(k, w)) for k, w in base.weights), 10, 60, 20, 12.0, cap
        )
        got = whatif.pair(
            ranked, ranked.baseline, whatif.outcome(ranked, default_profile, scenario, no_engine)
        )
        want = _engine_pairs(data, default_profile, "规上", base, scenario)
        _assert_same_pairs(got, want)
        assert (got["move"] != 0).any()


def test_an_invalid_scenario_fails_like_apply(prepared) -> None:
    prof = PROFILES["yongkang-default"]
    base = whatif.settings_from_profile(prof, "规上")
    bad = whatif.Settings(base.weights, 90, 80, 2, 6.0, 10.0)
    with pytest.raises(whatif.SettingsError) as fast:
        whatif.outcome(prepared[("yongkang-default", "规上")], prof, bad, no_engine)
    with pytest.raises(whatif.SettingsError) as engine:
        whatif.apply(prof, "规上", bad)
    assert str(fast.value) == str(engine.value)


def test_d_counts_count_d_changes(varied_con, default_profile) -> None:
    data = scoring.load_year(varied_con, YEAR)
    scenario = whatif.Settings(
        tuple(default_profile.weights("规上").items()), 20, 80, 30, 50.0, 10.0
    )
    pairs = _engine_pairs(
        data,
        default_profile,
        "规上",
        whatif.settings_from_profile(default_profile, "规上"),
        scenario,
    )
    into, out_of = whatif.d_changes(pairs)
    assert whatif.d_counts(pairs) == (len(into), len(out_of)) and len(into) > 0


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300, deadline=None)
@given(
    values=st.one_of(
        st.lists(finite, max_size=80),
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=80),
        st.lists(st.sampled_from([0.1, 0.2, 0.3, -0.3, 1e16, -1e16, 5e-324, -0.0]), max_size=80),
    )
)
def test_exact_sum_is_fsum(values: list[float]) -> None:
    try:
        want = math.fsum(values)
    except OverflowError:
        return
    got = whatif.exact_sum(np.array(values, dtype=float))
    assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


def test_exact_sum_of_many_values() -> None:
    rng = np.random.default_rng(11)
    for values in (
        rng.random(200_000) * 3,
        np.round(rng.normal(0, 50, 150_000), 4),
        np.full(2**21 - 1, 1 - 2**-53),
    ):
        assert whatif.exact_sum(values) == math.fsum(values)

"""Profiles: the shipped files say what the spec says, bad files fail loudly, copies are safe."""

from __future__ import annotations

import dataclasses

import pytest
from spec_examples import SPEC_POLICY_TOML

from muyun import labels, profile
from muyun.profile import IndicatorSpec, ProfileError, TierRule

MINIMAL = """
[meta]
name = "测试方案"

[scales."规上".indicators]
tax_per_mu = { weight = 60, benchmark = "average", cap = 2.0 }
va_per_mu = { weight = 40, benchmark = 100 }
"""


def shipped(stem: str) -> profile.Profile:
    return profile.load_profile(profile.profile_path(stem))


def test_shipped_profiles_default_first_with_display_names():
    names = profile.shipped_profiles()
    assert next(iter(names)) == "yongkang-default"
    assert set(names) >= {"yongkang-default", "huangyan-2022", "linhai-2014"}
    assert names["huangyan-2022"] == "黄岩区 2022 年方案"
    assert names["yongkang-default"] == shipped("yongkang-default").name


def test_default_profile_is_spec_section_6():
    p = shipped("yongkang-default")
    assert p.illustrative is True
    header = profile.profile_path("yongkang-default").read_text(encoding="utf-8")[:400]
    assert "示意" in header and "Illustrative" in header
    assert p.weights("规上") == {
        "tax_per_mu": 30,
        "va_per_mu": 20,
        "va_per_energy": 20,
        "va_per_emission": 10,
        "labour_productivity": 10,
        "rd_intensity": 10,
    }
    assert p.weights("规下") == {"tax_per_mu": 50, "tax_per_kwh": 50}
    for specs in p.scales.values():
        for spec in specs:
            assert spec.benchmark == "average" and spec.cap == 2.0
            expected = "average_score" if spec.key == "va_per_emission" else "zero"
            assert spec.missing == expected
    assert p.tiers == TierRule(20, 80, 2, 6.0)
    assert p.pool_by == "industry"
    assert p.below_min_land_mu == 3.0
    assert p.low_efficiency_tax_per_mu == 3.0
    assert p.bonus is not None and p.bonus.cap == 10
    assert p.bonus.listing == {"上市": 5, "新三板": 3, "股改": 2}
    assert (p.bonus.investment_per_point, p.bonus.investment_max) == (1000, 3)
    assert p.bonus.talent == ((0.30, 3), (0.20, 2), (0.10, 1))
    assert p.bonus.water == ((1.5, 2), (1.0, 1))
    assert p.deductions is not None
    assert (p.deductions.safety_incident, p.deductions.env_penalty) == (5, 5)
    assert p.deductions.cap is None
    assert set(p.policies) == {"A", "B", "C", "D"}
    assert "100" in p.policies["A"] and "50" in p.policies["B"]


def test_huangyan_profile_is_spec_section_7():
    p = shipped("huangyan-2022")
    got = {
        scale: {s.key: (s.weight, s.benchmark, s.cap) for s in specs}
        for scale, specs in p.scales.items()
    }
    assert got == {
        "规上": {
            "tax_per_mu": (30, 24.097, None),
            "va_per_mu": (20, 136.16, None),
            "va_per_energy": (20, 2.694, None),
            "va_per_emission": (10, 4929.81, None),
            "labour_productivity": (10, 18.14, None),
            "rd_intensity": (10, 0.0302, None),
        },
        "规下": {"tax_per_mu": (50, 11.5932, None), "tax_per_kwh": (50, 0.2352, None)},
    }
    emission = next(s for s in p.scales["规上"] if s.key == "va_per_emission")
    assert emission.missing == "average_score"
    assert p.bonus is None and p.deductions is None and p.illustrative is False


def test_linhai_profile_is_spec_section_7():
    p = shipped("linhai-2014")
    assert list(p.scales) == ["规上"]
    assert {s.key: (s.weight, s.benchmark, s.cap) for s in p.scales["规上"]} == {
        "tax_per_mu": (40, 15, None),
        "revenue_per_mu": (10, 300, None),
        "va_per_energy": (20, 3, None),
        "va_per_emission": (15, 500, None),
        "va_per_water": (5, 0.1, None),
        "labour_productivity": (10, 15, None),
    }
    assert p.bonus is None and p.deductions is None


@pytest.mark.parametrize("stem", ["yongkang-default", "huangyan-2022", "linhai-2014"])
def test_to_toml_round_trips(stem):
    p = shipped(stem)
    again = profile.profile_from_toml(p.to_toml(), "round-trip.toml")
    assert again == p
    assert again.to_toml() == p.to_toml()


def test_round_trip_keeps_overrides():
    p = (
        shipped("yongkang-default")
        .with_weights("规上", {"tax_per_mu": 42.5, "rd_intensity": 0})
        .with_tiers(a_pct=25, d_max_tax_per_mu=4.5)
        .with_bonus_cap(None)
    )
    again = profile.profile_from_toml(p.to_toml(), "x.toml")
    assert again == p
    assert again.weights("规上")["tax_per_mu"] == 42.5
    assert again.bonus.cap is None
    assert again.tiers == TierRule(25, 80, 2, 4.5)


def test_overrides_return_new_profiles_and_leave_the_original():
    base = shipped("yongkang-default")
    moved = base.with_weights("规下", {"tax_per_kwh": 70})
    assert moved.weights("规下") == {"tax_per_mu": 50, "tax_per_kwh": 70}
    assert base.weights("规下") == {"tax_per_mu": 50, "tax_per_kwh": 50}
    assert moved.scales["规上"] is base.scales["规上"]
    assert base.with_tiers(b_pct=70).tiers.b_pct == 70 and base.tiers.b_pct == 80
    assert base.with_bonus_cap(6).bonus.cap == 6 and base.bonus.cap == 10
    assert shipped("linhai-2014").with_bonus_cap(6).bonus is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.pool_by = "none"


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda p: p.with_weights("规上", {"no_such": 1}), "scales.规上.indicators.no_such"),
        (lambda p: p.with_weights("规上", {"tax_per_mu": "30"}), "tax_per_mu.weight"),
        (lambda p: p.with_weights("规上", {"tax_per_mu": -1}), "tax_per_mu.weight"),
        (lambda p: p.with_weights("规中", {"tax_per_mu": 1}), "scales.规中"),
        (lambda p: p.with_tiers(a_pct=90), "tiers.b_pct"),
        (lambda p: p.with_tiers(a_pct=20.5), "tiers.a_pct"),
        (lambda p: p.with_tiers(e_pct=3), "tiers.e_pct"),
        (lambda p: p.with_bonus_cap(-1), "bonus.cap"),
    ],
)
def test_bad_overrides_are_profile_errors(call, key):
    with pytest.raises(ProfileError) as info:
        call(shipped("yongkang-default"))
    assert info.value.key.endswith(key) or key in str(info.value)


def test_minimal_profile_defaults():
    p = profile.profile_from_toml(MINIMAL, "minimal.toml")
    assert p.name == "测试方案"
    assert p.tiers == TierRule()
    assert p.pool_by == "industry" and p.below_min_land_mu == 3.0
    assert p.scales["规上"] == (
        IndicatorSpec("tax_per_mu", 60.0, "average", 2.0, "zero"),
        IndicatorSpec("va_per_mu", 40.0, 100.0, None, "zero"),
    )
    assert p.bonus is None and p.deductions is None and p.policies == {}
    assert p.indicator_keys() == ("tax_per_mu", "va_per_mu")


BAD_PROFILES = [
    # (replace this, with that, expected key in the message)
    ("tax_per_mu = {", "tax_per_mu2 = {", "scales.规上.indicators.tax_per_mu2"),
    ("weight = 60", 'weight = "60"', "scales.规上.indicators.tax_per_mu.weight"),
    ("weight = 60", "weight = true", "scales.规上.indicators.tax_per_mu.weight"),
    ("weight = 60", "weight = -5", "scales.规上.indicators.tax_per_mu.weight"),
    ("weight = 60,", "wieght = 60,", "scales.规上.indicators.tax_per_mu.wieght"),
    ('benchmark = "average"', 'benchmark = "median"', "tax_per_mu.benchmark"),
    ("benchmark = 100", "benchmark = 0", "va_per_mu.benchmark"),
    ("benchmark = 100", "benchmark = [1]", "va_per_mu.benchmark"),
    ("cap = 2.0", "cap = 0", "tax_per_mu.cap"),
    ("cap = 2.0", 'cap = 2.0, missing = "mean"', "tax_per_mu.missing"),
    ('[scales."规上".indicators]', '[scales."规中".indicators]', "scales.规中"),
    (
        '[meta]\nname = "测试方案"',
        '[meta]\nname = "测试方案"\n[evaluation]\npool_by = "town"',
        "evaluation.pool_by",
    ),
    (
        '[meta]\nname = "测试方案"',
        '[meta]\nname = "测试方案"\n[tiers]\na_pct = 20.5',
        "tiers.a_pct",
    ),
    ('[meta]\nname = "测试方案"', '[meta]\nname = "测试方案"\n[tiers]\na_pct = 101', "tiers.a_pct"),
    ('[meta]\nname = "测试方案"', '[meta]\nname = "测试方案"\n[tiers]\nd_pct = -1', "tiers.d_pct"),
    (
        '[meta]\nname = "测试方案"',
        '[meta]\nname = "测试方案"\n[tiers]\na_pct = 50\nb_pct = 40',
        "tiers.b_pct",
    ),
    (
        '[meta]\nname = "测试方案"',
        '[meta]\nname = "测试方案"\n[tiers]\nd_max_tax_per_mu = "6"',
        "tiers.d_max_tax_per_mu",
    ),
    ('[meta]\nname = "测试方案"', '[meta]\nname = "测试方案"\n[tier]\na_pct = 20', "tier"),
    (
        '[meta]\nname = "测试方案"',
        '[meta]\nname = "测试方案"\n[evaluation]\nbelow_min_land_mu = -3',
        "evaluation.below_min_land_mu",
    ),
]


@pytest.mark.parametrize(("old", "new", "key"), BAD_PROFILES)
def test_bad_profiles_name_file_and_key(old, new, key):
    assert old in MINIMAL
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL.replace(old, new, 1), "bad-profile.toml")
    message = str(info.value)
    assert "bad-profile.toml" in message
    assert key in message
    assert info.value.key.endswith(key)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[bonus]\ntalent = [[0.1, 1], [0.2, 2]]", "bonus.talent[1]"),
        ("[bonus]\nwater = [[1.5]]", "bonus.water[0]"),
        ('[bonus]\nscales = ["规中"]', "bonus.scales"),
        ("[bonus]\ninvestment_per_point = 0", "bonus.investment_per_point"),
        ('[bonus.listing]\n"主板" = 5', "bonus.listing.主板"),
        ("[bonus]\ncapp = 10", "bonus.capp"),
        ('[deductions]\nsafety_incident = "5"', "deductions.safety_incident"),
        ("[deductions]\ncap = -1", "deductions.cap"),
        ('[[policies]]\ntier = "E"\ntext = "x"', "policies[0].tier"),
        (
            '[[policies]]\ntier = "A"\ntext = "x"\n[[policies]]\ntier = "A"\ntext = "y"',
            "policies[1].tier",
        ),
    ],
)
def test_bad_bonus_deductions_policies(extra, key):
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL + "\n" + extra + "\n", "p.toml")
    assert info.value.key == key
    assert "p.toml" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[meta]\nname = "x"\n', "scales"),
        ('[meta]\nname = "x"\n[scales]\n', "scales"),
        ('[meta]\nname = "x"\n[scales."规上".indicators]\n', "scales.规上.indicators"),
        ('[meta]\nname = "x"\n[scales."规上"]\nweights = 1\n', "scales.规上.weights"),
        ("this is = not [toml", "(语法)"),
    ],
)
def test_missing_scales_or_indicators(text, key):
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(text, "empty.toml")
    assert info.value.key == key
    assert "empty.toml" in str(info.value)


def test_load_profile_missing_file_and_unknown_stem(tmp_path):
    with pytest.raises(ProfileError, match=r"nope\.toml"):
        profile.load_profile(tmp_path / "nope.toml")
    with pytest.raises(ProfileError):
        profile.profile_path("../../etc/passwd")
    good = tmp_path / "mine.toml"
    good.write_text(MINIMAL, encoding="utf-8")
    assert profile.load_profile(good).name == "测试方案"


def test_defaults_are_the_spec_defaults_defined_once():
    # methodology §5 (20 / 80 / 2, 6 万元/亩), §1 (规下 from 3 亩), §6 (list line 3 万元/亩).
    assert TierRule() == TierRule(20, 80, 2, 6.0)
    assert TierRule() == TierRule(
        profile.DEFAULT_A_PCT,
        profile.DEFAULT_B_PCT,
        profile.DEFAULT_D_PCT,
        profile.DEFAULT_D_MAX_TAX_PER_MU,
    )
    assert profile.DEFAULT_BELOW_MIN_LAND_MU == 3.0
    assert profile.DEFAULT_LOW_EFFICIENCY_TAX_PER_MU == 3.0
    assert profile.DEFAULT_POOL_BY == "industry"


def test_error_messages_are_the_label_templates():
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL.replace("weight = 60", 'weight = "60"'), "x.toml")
    errors = labels.PROFILE_ERRORS
    key = "scales.规上.indicators.tax_per_mu.weight"
    problem = errors["not_number"].format(value="60")
    assert info.value.problem == problem == "应为数字，实际为 '60'"
    assert str(info.value) == errors["error"].format(file="x.toml", key=key, problem=problem)
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL.replace("[meta]", "[meta]\n[tiers]\nx = 1"), "x.toml")
    assert info.value.problem.startswith("未知的配置项，可用：a_pct、b_pct")
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL.replace("[meta]", "tiers = 3\n[meta]"), "x.toml")
    assert info.value.problem == "应为一个表（[section] 或 { … }）"


@pytest.mark.parametrize("template", sorted(labels.PROFILE_ERRORS))
def test_every_profile_error_template_formats(template):
    fields = dict(
        file="f",
        key="k",
        problem="p",
        name="n",
        detail="d",
        allowed="a",
        value=1,
        minimum=0.0,
        scales="s",
        keys="k",
        b_pct=1,
        a_pct=2,
        statuses="s",
        tiers="t",
        tier="A",
    )
    assert "{" not in labels.PROFILE_ERRORS[template].format(**fields).replace("{ … }", "")


# ── [policy] (methodology §9, issue 12) ─────────────────────────────────────────────────────

POLICY = SPEC_POLICY_TOML


def test_policy_section_is_read_as_spec_section_9():
    p = profile.profile_from_toml(MINIMAL + POLICY, "p.toml")
    rates = p.policy
    assert rates is not None and rates.illustrative and rates.source == "示意"
    assert rates.electricity == {"C": 0.05, "D": 0.30}
    assert rates.repeat == profile.RepeatRule(tier="D", years=3, rate=0.40)
    assert (rates.water_base_price, rates.water) == (4.5, {"C": 15.0, "D": 30.0})
    assert (rates.land_tax_rate, rates.land_relief) == (6.0, {"A": 100.0, "B": 50.0})
    again = profile.profile_from_toml(p.to_toml(), "again.toml")
    assert again == p and again.to_toml() == p.to_toml()


def test_profiles_without_policy_have_none():
    assert profile.profile_from_toml(MINIMAL, "p.toml").policy is None
    assert shipped("huangyan-2022").policy is None
    assert shipped("linhai-2014").policy is None


def test_default_profile_has_illustrative_rates():
    rates = shipped("yongkang-default").policy
    assert rates is not None and rates.illustrative
    assert rates.electricity["D"] > rates.electricity["C"] > 0
    assert rates.repeat is not None and rates.repeat.tier == "D"
    assert rates.land_relief == {"A": 100.0, "B": 50.0}


def test_policy_tables_are_optional():
    p = profile.profile_from_toml(
        MINIMAL + "[policy]\n[policy.land_tax_relief]\nrate = 3\nA = 100\n", "p.toml"
    )
    assert p.policy.electricity == {} and p.policy.repeat is None
    assert p.policy.water_base_price is None and p.policy.land_relief == {"A": 100.0}
    assert profile.profile_from_toml(p.to_toml(), "x.toml") == p


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("illustrative = true", "illustrative = 1", "policy.illustrative"),
        ('source = "示意"', "source = 3", "policy.source"),
        ("C = 0.05", 'C = "0.05"', "policy.electricity_surcharge.C"),
        ("C = 0.05", "E = 0.05", "policy.electricity_surcharge.E"),
        ("C = 0.05", "C = -0.05", "policy.electricity_surcharge.C"),
        ('tier = "D", years', 'tier = "X", years', "policy.electricity_surcharge.repeat.tier"),
        ("years = 3", "years = 1", "policy.electricity_surcharge.repeat.years"),
        ("years = 3", "years = 2.5", "policy.electricity_surcharge.repeat.years"),
        (", rate = 0.40", "", "policy.electricity_surcharge.repeat"),
        ("rate = 0.40", "rate = 0.40, months = 3", "policy.electricity_surcharge.repeat.months"),
        ("base_price = 4.5\n", "", "policy.water_surcharge.base_price"),
        ("C = 15", "C = -15", "policy.water_surcharge.C"),
        ("rate = 6.0\n", "", "policy.land_tax_relief.rate"),
        ("A = 100", "A = 120", "policy.land_tax_relief.A"),
        ("rate = 6.0", "rate = inf", "policy.land_tax_relief.rate"),
        ("[policy.land_tax_relief]", "[policy.land_tax]", "policy.land_tax"),
    ],
)
def test_bad_policy_names_the_key(old, new, key):
    assert old in POLICY
    with pytest.raises(ProfileError) as info:
        profile.profile_from_toml(MINIMAL + POLICY.replace(old, new, 1), "p.toml")
    assert info.value.key == key
    assert "p.toml" in str(info.value) and key in str(info.value)


@pytest.mark.parametrize("template", sorted(labels.POLICY_PROFILE_ERRORS))
def test_every_policy_error_template_formats(template):
    text = labels.POLICY_PROFILE_ERRORS[template].format(value=1, tiers="A", key="k")
    assert "{" not in text

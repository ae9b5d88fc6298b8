"""AppTest of the 权重模拟 page on a copy of the demo city: live re-score, scenarios, URLs."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from page_support import no_exception, open_page
from streamlit.testing.v1 import AppTest

from muyun import accounts, db, labels, scoring, whatif
from muyun.profile import load_profile, profile_path
from ui import whatif_results

PASSWORD = "情景保存-2024"
PAGE = "pages/whatif.py"
PROFILE = load_profile(profile_path("yongkang-default"))
SCALE = "规上"
BAND_PARAMS = (whatif.PARAM_A, whatif.PARAM_B, whatif.PARAM_D, whatif.PARAM_D_TAX)
SHARE_KEY = "wi_share_open"  # pages/whatif.py: the export and share expander


def sliders(at: AppTest) -> dict[str, float]:
    """The scenario sliders (named by their URL parameter) and their values."""
    names = (*BAND_PARAMS, whatif.PARAM_BONUS_CAP)
    return {
        s.key: s.value
        for s in at.slider
        if s.key.startswith(whatif.WEIGHT_PREFIX) or s.key in names
    }


def done_caption(at: AppTest) -> str:
    captions = [c.value for c in at.caption if c.value.startswith("计算完成")]
    assert len(captions) == 1
    return captions[0]


def tier_counts(at: AppTest) -> dict[str, int]:
    out = {}
    for metric in at.metric:
        tier = metric.label.split()[0]
        if tier in labels.TIERS:
            out[tier] = int(re.match(r"[\d,]+", metric.value).group(0).replace(",", ""))
    return out


def tables(at: AppTest, *columns: str) -> list:
    """The shown tables (as frames) that have all these columns; st.dataframe has no test key."""
    return [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]


def latest_year(path: Path) -> int:
    with duckdb.connect(str(path)) as con:
        return con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]


def engine(path: Path, settings: whatif.Settings):
    with duckdb.connect(str(path)) as con:
        return scoring.score_year(con, latest_year(path), whatif.apply(PROFILE, SCALE, settings))


def test_page_starts_from_the_profile_and_matches_the_engine(app_store: Path) -> None:
    at = open_page(PAGE)
    assert [t.value for t in at.title] == [labels.PAGE_TITLES["whatif"]]
    base = whatif.settings_from_profile(PROFILE, SCALE)
    assert sliders(at) == whatif.to_params(base)
    scored = engine(app_store, base)
    ranked = scored[(scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == SCALE)]
    assert tier_counts(at) == ranked["tier"].value_counts().to_dict()
    assert f"参评 {len(ranked):,} 家" in done_caption(at)
    assert "分类变动 0 家" in done_caption(at)
    assert not at.warning, "weights of the default profile sum to 100: no note"


def test_slider_step_rescores_like_the_engine(app_store: Path) -> None:
    at = open_page(PAGE)
    at.slider(key="w_tax_per_mu").set_value(45.0).run()
    no_exception(at)
    base = whatif.settings_from_profile(PROFILE, SCALE)
    moved = whatif.from_params({"w_tax_per_mu": 45.0}, PROFILE, SCALE)[0]
    scored = engine(app_store, moved)
    ranked = scored[(scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == SCALE)]
    assert tier_counts(at) == ranked["tier"].value_counts().to_dict()
    baseline = engine(app_store, base)
    pairs = whatif.paired(baseline, scored, SCALE)
    moves = int((pairs["move"] != 0).sum())
    assert moves > 0
    assert f"分类变动 {moves:,} 家" in done_caption(at)
    assert "权重合计 115 分" in done_caption(at)
    assert any("不等于 100" in w.value for w in at.warning), "the weight-sum note is shown"
    into, out_of = whatif.d_changes(pairs)
    assert any(e.value.startswith(f"新进入 D 类（{len(into)} 家）") for e in at.error)
    assert any(s.value.startswith(f"退出 D 类（{len(out_of)} 家）") for s in at.success)

    # A cell of the migration matrix lists exactly its movers.
    matrix = whatif.migration_matrix(pairs)
    assert int(matrix.to_numpy().sum()) == len(ranked)
    before, after = next(
        (b, a) for b in labels.TIERS for a in labels.TIERS if b != a and matrix.loc[b, a] > 0
    )
    at.selectbox(key="wi_cell").set_value(before + after).run()
    no_exception(at)
    # The movers beside the matrix show the columns that fit there; the rest behind a switch.
    movers = tables(at, "name", "rank_after", "tier_after")
    assert len(movers) == 1 and "credit_code" not in movers[0].columns
    at.toggle(key="wi_movers_all").set_value(True).run()
    movers = tables(at, "credit_code", "rank_after", "total_after")
    assert len(movers) == 1
    listed = movers[0]
    assert len(listed) == matrix.loc[before, after]
    assert set(listed["tier_before"]) == {before} and set(listed["tier_after"]) == {after}

    at.button(key="wi_reset").click().run()
    assert sliders(at) == whatif.to_params(base)
    assert "分类变动 0 家" in done_caption(at)


def test_industry_filter_narrows_lists_not_scoring(app_store: Path) -> None:
    at = open_page(PAGE, industry="门业")
    at.slider(key="w_rd_intensity").set_value(30.0).run()
    no_exception(at)
    assert not tables(at, "industry", "up", "down"), "a closed expander's table is not sent"
    at.session_state[whatif_results.INDUSTRIES_KEY] = True  # the user opens the expander
    at.run()
    no_exception(at)
    (industries,) = tables(at, "industry", "up", "down")
    assert list(industries["industry"]) == ["门业"]
    at.toggle(key="wi_movers_all").set_value(True).run()
    movers = tables(at, "credit_code", "tier_before")
    assert movers and all(set(m["industry"]) == {"门业"} for m in movers)
    scored = engine(app_store, whatif.settings_from_profile(PROFILE, SCALE))
    city = int(((scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == SCALE)).sum())
    assert f"参评 {city:,} 家" in done_caption(at), "counts stay city-wide"


def test_save_then_load_restores_every_slider(app_store: Path) -> None:
    at = open_page(PAGE)
    chosen = {
        "w_tax_per_mu": 40.0,
        "w_va_per_mu": 12.5,
        "w_va_per_energy": 25.0,
        "w_va_per_emission": 5.0,
        "w_labour_productivity": 7.5,
        "w_rd_intensity": 15.0,
        "a_pct": 25,
        "b_pct": 70,
        "d_pct": 5,
        "d_tax": 8.5,
        "bonus_cap": 6.0,
    }
    assert set(chosen) == set(sliders(at))
    for key, value in chosen.items():
        at.slider(key=key).set_value(value)
    at.run()
    assert "wi_save" not in [b.key for b in at.button], "anonymous users cannot save"
    store = db.Database(app_store)
    accounts.create_account(store, "jxj", PASSWORD, accounts.ROLE_ADMIN, "经信局")
    store.close()
    at.run()
    at.text_input(key="wi_login_username").input("jxj")
    at.text_input(key="wi_login_password").input(PASSWORD)
    next(b for b in at.button if b.label == labels.ADMIN_LOGIN_TEXT["login"]).click().run()
    at.text_input(key="wi_name").input("税收加权方案")
    at.button(key="wi_save").click().run()
    no_exception(at)
    assert any("已保存情景" in i.value for i in at.info)
    with duckdb.connect(str(app_store)) as con:
        rows = con.execute("SELECT name, author, scale, settings_json FROM scenarios").fetchall()
    assert [r[:3] for r in rows] == [("税收加权方案", "经信局", SCALE)]

    at.button(key="wi_reset").click().run()
    assert sliders(at) == whatif.to_params(whatif.settings_from_profile(PROFILE, SCALE))

    scenario_id = at.selectbox(key="wi_load_id").value
    at.button(key="wi_load").click().run()
    no_exception(at)
    assert sliders(at) == chosen
    assert any("已载入情景" in i.value for i in at.info)

    # Compare the saved scenario with the profile: the same counts the page showed live.
    at.selectbox(key="wi_cmp_a").set_value(0)
    at.selectbox(key="wi_cmp_b").set_value(scenario_id)
    at.run()
    no_exception(at)
    (counts,) = tables(at, "情景一", "情景二")
    assert counts.iloc[:, 1].tolist() == [tier_counts(at)[t] for t in labels.TIERS]


def test_shared_url_restores_the_scenario(app_store: Path) -> None:
    settings = whatif.from_params(
        {"w_tax_per_mu": 35.0, "w_rd_intensity": 2.5, "a_pct": 15, "d_tax": 9.0},
        PROFILE,
        SCALE,
    )[0]
    at = open_page(PAGE, scale=SCALE, **whatif.to_query(settings))
    assert sliders(at) == whatif.to_params(settings)
    scored = engine(app_store, settings)
    ranked = scored[(scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == SCALE)]
    assert tier_counts(at) == ranked["tier"].value_counts().to_dict()
    assert not at.code, "the export and share expander is drawn only when open"
    at.session_state[SHARE_KEY] = True  # the user opens it
    at.run()
    link = next(c.value for c in at.code if "w_tax_per_mu=35" in c.value)
    assert "a_pct=15" in link and "profile=yongkang-default" in link


def test_shared_url_out_of_range_is_not_taken(app_store: Path) -> None:
    at = open_page(PAGE, w_tax_per_mu="5000", a_pct="abc")
    values = sliders(at)
    assert values["a_pct"] == PROFILE.tiers.a_pct
    assert 0 <= values["w_tax_per_mu"] <= whatif.WEIGHT_MAX


def test_scenario_id_link_loads_the_saved_scenario(app_store: Path) -> None:
    settings = whatif.from_params({"w_va_per_mu": 33.0, "b_pct": 75}, PROFILE, SCALE)[0]
    store = db.Database(app_store)
    scenario_id = whatif.save_scenario(
        store,
        name="链接情景",
        author="",
        base_profile="yongkang-default",
        year=2024,
        scale=SCALE,
        settings=settings,
    )
    store.close()
    at = open_page(PAGE, scenario=str(scenario_id))
    assert sliders(at) == whatif.to_params(settings)
    at = open_page(PAGE, scenario="987654")
    assert any("情景 #987654 不存在" in i.value for i in at.info)


@pytest.mark.parametrize("raw", ["²", "１２", "1234567890123"])
def test_scenario_link_with_a_bad_id_shows_a_message(app_store: Path, raw: str) -> None:
    """`"²".isdigit()` is True but `int("²")` raises: only ASCII digits may reach `int`."""
    at = open_page(PAGE, scenario=raw)  # asserts no exception
    assert any("无效" in i.value and "应为数字" in i.value for i in at.info)
    base = whatif.settings_from_profile(PROFILE, SCALE)
    assert sliders(at) == whatif.to_params(base), "the profile's own settings stay"


def test_robustness_runs_on_request(app_store: Path) -> None:
    at = open_page(PAGE)
    assert not tables(at, "stable", "unstable")
    at.number_input(key="wi_rob_runs").set_value(200)
    at.button(key="wi_rob_run").click().run()
    no_exception(at)
    (summary,) = tables(at, "stable", "unstable")
    assert summary.iloc[:, 0].tolist() == [tier_counts(at)[t] for t in labels.TIERS]
    assert (summary.iloc[:, 1] + summary.iloc[:, 2] == summary.iloc[:, 0]).all()
    assert any(c.value.startswith("稳健性分析完成：200 次") for c in at.caption)
    at.slider(key="w_tax_per_mu").set_value(31.0).run()
    assert any("权重已调整" in i.value for i in at.info)


def test_switching_scale_and_profile_resets_the_sliders(app_store: Path) -> None:
    at = open_page(PAGE)
    at.slider(key="w_tax_per_mu").set_value(42.0).run()
    at.radio(key="scale").set_value("规下").run()
    no_exception(at)
    small = whatif.settings_from_profile(PROFILE, "规下")
    assert sliders(at) == whatif.to_params(small)
    assert set(sliders(at)) >= {"w_tax_per_mu", "w_tax_per_kwh"}

    at.radio(key="scale").set_value(SCALE).run()
    at.selectbox(key="profile").set_value("linhai-2014").run()
    no_exception(at)
    linhai = load_profile(profile_path("linhai-2014"))
    assert sliders(at) == whatif.to_params(whatif.settings_from_profile(linhai, SCALE))
    assert "bonus_cap" not in sliders(at), "a profile without bonus has no cap slider"
    assert "分类变动 0 家" in done_caption(at)

    at.radio(key="scale").set_value("规下").run()
    no_exception(at)
    assert any("不评价规下企业" in i.value for i in at.info)
    assert not sliders(at)


# ── fiscal effect beside the migration (methodology §9, issue 12) ──────────────────────────


def fiscal_metrics(at: AppTest) -> dict[str, float]:
    W = labels.WHATIF_FISCAL_TEXT
    wanted = {W["relief"]: "relief", W["surcharges"]: "surcharges", W["net"]: "net"}
    out = {}
    for metric in at.metric:
        if metric.label in wanted:
            out[wanted[metric.label]] = float(metric.value.split()[0].replace(",", ""))
        elif metric.label in (W["more"], W["less"]):
            out[metric.label] = int(metric.value.split()[0].replace(",", ""))
    return out


def engine_money(path: Path, settings: whatif.Settings):
    from muyun import policy

    with duckdb.connect(str(path)) as con:
        year = latest_year(path)
        prof = whatif.apply(PROFILE, SCALE, settings)
        prior = policy.tier_history(
            {y: scoring.score_year(con, y, PROFILE) for y in policy.prior_years(PROFILE, year)}
        )
        scored = scoring.score_year(con, year, prof)
    money = policy.with_money(scored, prof, prior)
    return money[(money["status"] == labels.STATUS_EVALUATED) & (money["scale"] == SCALE)]


def test_fiscal_effect_moves_with_weights_and_rates(app_store: Path) -> None:
    W = labels.WHATIF_FISCAL_TEXT
    at = open_page(PAGE)
    assert fiscal_metrics(at) == {
        "relief": 0.0,
        "surcharges": 0.0,
        "net": 0.0,
        W["more"]: 0,
        W["less"]: 0,
    }
    assert any(i.value == labels.POLICY_TEXT["illustrative"] for i in at.info)
    base = whatif.settings_from_profile(PROFILE, SCALE)
    baseline = engine_money(app_store, base)

    at.slider(key="w_tax_per_mu").set_value(45.0).run()
    no_exception(at)
    moved = whatif.from_params({"w_tax_per_mu": 45.0}, PROFILE, SCALE)[0]
    scenario = engine_money(app_store, moved)
    shown = fiscal_metrics(at)
    relief = scenario["land_tax_relief"].sum() - baseline["land_tax_relief"].sum()
    net = scenario["policy_net"].sum() - baseline["policy_net"].sum()
    assert shown["relief"] == pytest.approx(relief, abs=0.005)
    assert shown["net"] == pytest.approx(net, abs=0.005)
    assert shown[W["more"]] + shown[W["less"]] > 0

    at.slider(key="r_relief_A").set_value(40.0).run()
    no_exception(at)
    cheaper = whatif.from_params({"w_tax_per_mu": 45.0, "r_relief_A": 40.0}, PROFILE, SCALE)[0]
    scenario = engine_money(app_store, cheaper)
    shown = fiscal_metrics(at)
    relief = scenario["land_tax_relief"].sum() - baseline["land_tax_relief"].sum()
    assert shown["relief"] == pytest.approx(relief, abs=0.005)
    assert relief < 0


# ── the live panel at province scale: lists cut short, D entries in the list (issue 15) ─────


def test_long_mover_list_shows_the_first_rows_and_offers_all(app_store: Path) -> None:
    """Bands moved far apart move hundreds of firms: the page lists `SHOWN` of them (biggest
    moves first) and offers the whole list as a download."""
    settings = whatif.from_params({"a_pct": 60, "b_pct": 65, "d_pct": 30}, PROFILE, SCALE)[0]
    at = open_page(PAGE, scale=SCALE, **whatif.to_query(settings))
    base = whatif.settings_from_profile(PROFILE, SCALE)
    pairs = whatif.paired(engine(app_store, base), engine(app_store, settings), SCALE)
    moved = whatif.movers(pairs)
    assert len(moved) > whatif_results.SHOWN
    (shown,) = tables(at, "name", "rank_after", "tier_after")
    assert shown["name"].tolist() == moved["name"].head(whatif_results.SHOWN).tolist()
    texts = [c.value for c in at.caption]
    line = labels.WHATIF_PANEL_TEXT["shown"].format(shown=whatif_results.SHOWN, n=len(moved))
    assert line in texts
    downloads = at.get("download_button")
    assert any(d.proto.label == labels.WHATIF_PANEL_TEXT["download"] for d in downloads)


def test_entries_into_and_exits_from_d_are_cells_of_the_list(app_store: Path) -> None:
    settings = whatif.from_params({"d_pct": 10, "d_tax": 20.0}, PROFILE, SCALE)[0]
    at = open_page(PAGE, scale=SCALE, **whatif.to_query(settings))
    base = whatif.settings_from_profile(PROFILE, SCALE)
    pairs = whatif.paired(engine(app_store, base), engine(app_store, settings), SCALE)
    into, out_of = whatif.d_changes(pairs)
    assert 0 < len(into) <= whatif_results.SHOWN and len(out_of) <= whatif_results.SHOWN
    assert any(e.value.startswith(f"新进入 D 类（{len(into)} 家）") for e in at.error)
    for cell, want in (("*D", into), ("D*", out_of)):
        at.selectbox(key="wi_cell").set_value(cell).run()
        no_exception(at)
        assert any(f"分类变动企业（{len(want)} 家）" in m.value for m in at.markdown)
        if len(want):
            (listed,) = tables(at, "name", "tier_after")
            assert sorted(listed["name"]) == sorted(want["name"])


@pytest.mark.parametrize(("profile_name", "scale"), [("huangyan-2022", "规上"), (None, "规下")])
def test_other_profiles_and_scales_match_the_engine(
    app_store: Path, profile_name: str | None, scale: str
) -> None:
    prof = load_profile(profile_path(profile_name or "yongkang-default"))
    key = next(f"{whatif.WEIGHT_PREFIX}{k}" for k in prof.weights(scale))
    query = {"scale": scale, **({"profile": profile_name} if profile_name else {})}
    at = open_page(PAGE, **query)
    at.slider(key=key).set_value(at.slider(key=key).value + 25.0).run()
    no_exception(at)
    moved = whatif.from_params({key: at.slider(key=key).value}, prof, scale)[0]
    with duckdb.connect(str(app_store)) as con:
        scored = scoring.score_year(con, latest_year(app_store), whatif.apply(prof, scale, moved))
    ranked = scored[(scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == scale)]
    assert tier_counts(at) == ranked["tier"].value_counts().to_dict()


def test_bands_that_cross_show_the_engine_message(app_store: Path) -> None:
    at = open_page(PAGE)
    at.slider(key=whatif.PARAM_A).set_value(90).run()
    no_exception(at)
    want = labels.WHATIF_ERRORS["a_above_b"].format(a_pct=90, b_pct=PROFILE.tiers.b_pct)
    assert [e.value for e in at.error] == [want]
    assert not any(c.value.startswith("计算完成") for c in at.caption), "no result is drawn"
    assert any(c.value.startswith("当前权重合计") for c in at.caption), "the weight total stays"

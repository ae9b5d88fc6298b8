"""权重模拟: live weight and band sliders, tier migration, saved scenarios, robustness analysis.

The sliders are bound to the URL (`bind="query-params"`, key = the parameter name of
`muyun.whatif`), so the address bar always carries the scenario and a copied link restores it;
Streamlit reads only those keys, as numbers clamped to the slider ranges. The live panel is an
`st.fragment`: a slider step reruns only that panel, which re-ranks the scale shown from its
prepared item scores (`ui.whatif_cache`, identical to the engine), computes every figure and list
and only then draws them (`ui.whatif_results`), so the result changes at once. Scoring always
covers the whole year (benchmarks are city-wide); the sidebar's industry and town filters only
narrow the lists shown.
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import Literal
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from muyun import labels, whatif
from muyun.profile import benchmark_text
from ui import (
    admin,
    cache,
    filters,
    fmt,
    policy_view,
    whatif_cache,
    whatif_results,
    whatif_scenarios,
    whatif_views,
)

T = labels.WHATIF_TEXT
T2 = labels.WHATIF_PANEL_TEXT
P = labels.WHATIF_PARAMS
BIND: Literal["query-params"] = "query-params"
CONTEXT_KEY = "wi_context"
SETTINGS_KEY = "wi_settings"
NAME_KEY = "wi_name"
SHARE_KEY = "wi_share_open"
FLASH_KEY = "wi_flash"
SCENARIO_ID = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²"

f = filters.current()
prof = cache.load_profile(f.profile)
st.title(labels.PAGE_TITLES["whatif"])
if f.scale not in prof.scales:
    st.info(T["not_in_profile"].format(profile=prof.name, scale=f.scale))
    st.stop()

base = whatif.settings_from_profile(prof, f.scale)
limits = whatif.bounds(prof, f.scale)


def put(settings: whatif.Settings) -> None:
    """Set every slider; call before the sliders are drawn or from a widget callback."""
    for name, value in whatif.to_params(settings).items():
        st.session_state[name] = value
    st.session_state.update(whatif.rate_values(prof, settings))
    st.session_state[SETTINGS_KEY] = settings


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def load(scenario: whatif.Scenario) -> None:
    """Restore a saved scenario into the sliders (a button callback, so before they are drawn)."""
    settings, problems = whatif.from_params(scenario.params, prof, f.scale)
    put(settings)
    message = T["loaded"].format(id=scenario.id, name=fmt.escape_markdown(scenario.name))
    if problems:
        params = fmt.escape_markdown(T["problem_sep"].join(problems))
        message += " " + T["bad_params"].format(params=params)
    flash(message)


def open_link() -> None:
    """First visit: a `scenario=<id>` link loads that saved scenario (plain ids only)."""
    raw = st.query_params.get(whatif.SCENARIO_PARAM)
    if raw is None:
        return
    del st.query_params[whatif.SCENARIO_PARAM]
    if not SCENARIO_ID.fullmatch(raw):
        flash(T["url_scenario_invalid"].format(id=fmt.escape_markdown(raw[:20])))
        return
    scenario = whatif_cache.scenario(int(raw))
    if scenario is None:
        flash(T["url_scenario_missing"].format(id=raw))
    elif (scenario.base_profile, scenario.scale) != (f.profile, f.scale):
        flash(
            T["url_scenario_other"].format(
                id=scenario.id,
                profile=fmt.escape_markdown(scenario.base_profile),
                scale=fmt.escape_markdown(scenario.scale),
            )
        )
    else:
        load(scenario)


def share_link(params: dict[str, str]) -> str:
    """A link to this page with the filters and the scenario as plain query parameters."""
    query = {"year": str(f.year), "scale": f.scale, "profile": f.profile, **params}
    return f"{st.context.url or ''}?{urlencode(query)}"


def sliders() -> tuple[whatif.Settings, DeltaGenerator]:
    """Draw the sliders (bound to the URL); return the scenario they describe and the place of
    the weight-sum note, which is filled once the step is computed (it changes with the rest)."""
    st.subheader(T["weights"])
    weights = []
    for spec in prof.indicators(f.scale):
        name = f"{whatif.WEIGHT_PREFIX}{spec.key}"
        bound = limits[name]
        indicator = labels.INDICATORS[spec.key]
        value = st.slider(
            T["weight_label"].format(name=indicator.name, unit=labels.UNIT_POINTS),
            min_value=bound.low,
            max_value=bound.high,
            value=spec.weight,
            step=bound.step,
            key=name,
            bind=BIND,
            help=T["weight_help"].format(
                name=indicator.name,
                unit=indicator.unit,
                benchmark=benchmark_text(spec, T["benchmark_average"]),
                cap=T["no_cap"] if spec.cap is None else f"{spec.cap:g}",
            ),
        )
        weights.append((spec.key, float(value)))
    note = st.container()

    st.subheader(T["bands"])
    pct = limits[whatif.PARAM_A]
    a_pct, b_pct, d_pct = (
        st.slider(
            P[name],
            min_value=int(pct.low),
            max_value=int(pct.high),
            value=default,
            step=1,
            key=name,
            bind=BIND,
        )
        for name, default in (
            (whatif.PARAM_A, base.a_pct),
            (whatif.PARAM_B, base.b_pct),
            (whatif.PARAM_D, base.d_pct),
        )
    )
    tax = limits[whatif.PARAM_D_TAX]
    d_tax = st.slider(
        P[whatif.PARAM_D_TAX],
        min_value=tax.low,
        max_value=tax.high,
        value=base.d_max_tax_per_mu,
        step=tax.step,
        key=whatif.PARAM_D_TAX,
        bind=BIND,
    )
    st.subheader(T["bonus"])
    cap = None
    if base.bonus_cap is None:
        st.caption(T["no_bonus_cap"])
    else:
        bound = limits[whatif.PARAM_BONUS_CAP]
        cap = st.slider(
            P[whatif.PARAM_BONUS_CAP],
            min_value=bound.low,
            max_value=bound.high,
            value=base.bonus_cap,
            step=bound.step,
            key=whatif.PARAM_BONUS_CAP,
            bind=BIND,
        )
    rates: dict[str, float] = {}
    if prof.policy is not None:
        with st.expander(labels.WHATIF_FISCAL_TEXT["rates"], icon=":material/payments:"):
            st.caption(labels.WHATIF_FISCAL_TEXT["rates_help"])
            rates = policy_view.rate_sliders(prof.policy)
    st.button(T["reset"], on_click=put, args=(base,), key="wi_reset", icon=":material/undo:")
    settings = whatif.Settings(
        weights=tuple(weights),
        a_pct=int(a_pct),
        b_pct=int(b_pct),
        d_pct=int(d_pct),
        d_max_tax_per_mu=float(d_tax),
        bonus_cap=None if cap is None else float(cap),
        rates=whatif.rate_overrides(prof, rates),
    )
    return settings, note


def weight_note(settings: whatif.Settings) -> None:
    total = sum(w for _, w in settings.weights)
    if abs(total - 100.0) > 1e-9:
        st.warning(T["weight_sum_note"].format(total=total), icon=":material/balance:")
    else:
        st.caption(T["weight_sum_ok"].format(total=total))


def export_share(settings: whatif.Settings) -> None:
    """The scenario as a profile file and as a link: in the live panel, so both follow the
    sliders; drawn only while the expander is open (a closed one costs a step nothing)."""
    box = st.expander(T2["export_share"], icon=":material/share:", key=SHARE_KEY, on_change="rerun")
    if not box.open:
        return
    with box:
        st.download_button(
            T["export"],
            data=partial(
                whatif_scenarios.scenario_file,
                prof,
                f.scale,
                settings,
                st.session_state.get(NAME_KEY, ""),
            ),
            file_name=f"{f.profile}-{f.scale}-scenario.toml",
            mime="application/toml",
            on_click="ignore",
            key="wi_export",
            icon=":material/description:",
        )
        st.caption(T["share"])
        st.code(share_link(whatif.to_query(settings)), language=None)


def save_form() -> None:
    """Save the live panel's scenario (a click reruns the page, the panel first, so
    `SETTINGS_KEY` holds the sliders' scenario). Outside the panel: a slider step does not
    redraw the login form. Saved scenarios are shared with everyone, so only a logged-in
    administrator saves them (under their own name)."""
    with st.expander(T2["save"], icon=":material/save:"):
        name_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
        name = name_col.text_input(T["name"], key=NAME_KEY, max_chars=whatif.NAME_MAX)
        account = admin.require("save_scenario", key="wi_login")
        if account is None or not button_col.button(T["save"], key="wi_save", type="primary"):
            return
        try:
            new_id = whatif.save_scenario(
                cache.database(),
                name=name,
                author=account.display_name,
                base_profile=f.profile,
                year=f.year,
                scale=f.scale,
                settings=st.session_state.get(SETTINGS_KEY, base),
            )
        except whatif.SettingsError as exc:
            st.error(str(exc))
        else:
            flash(T["saved"].format(id=new_id, name=fmt.escape_markdown(name.strip())))
            st.rerun()


@st.fragment
def live_panel() -> None:
    """Sliders and their result: the only part that reruns on a slider step."""
    started = time.perf_counter()
    left, right = st.columns([1, 2], gap="large")
    with left:
        settings, note = sliders()
    st.session_state[SETTINGS_KEY] = settings
    try:
        pairs = whatif_cache.pairs(f.year, f.profile, f.scale, base.key(), settings.key())
        effect = whatif_cache.fiscal(f.year, f.profile, f.scale, base.key(), settings.key())
    except whatif.SettingsError as exc:
        with note:
            weight_note(settings)
        right.error(str(exc))
        return
    results = whatif_results.compute(pairs, effect, f)
    with note:
        weight_note(settings)
    with right:
        whatif_results.draw_tiers(results, f)
    whatif_results.draw_industries(results)
    export_share(settings)
    st.caption(
        T["done"].format(
            total=settings.weight_sum(),
            firms=results.firms,
            moved=results.moved,
            ms=(time.perf_counter() - started) * 1000,
        )
    )


context = (f.profile, f.scale)
if st.session_state.get(CONTEXT_KEY) is None:
    open_link()
elif st.session_state[CONTEXT_KEY] != context:
    put(base)
st.session_state[CONTEXT_KEY] = context

st.caption(T["intro"].format(scale=f.scale, profile=prof.name, year=f.year))
st.caption(T["scope_note"])
policy_view.notice(prof)
if message := st.session_state.pop(FLASH_KEY, None):
    st.info(message)
live_panel()
save_form()
st.divider()
whatif_scenarios.render(
    f,
    prof,
    base,
    load,
    lambda scenario_id: share_link({whatif.SCENARIO_PARAM: scenario_id}),
)
st.divider()
whatif_views.robustness_panel(f, base)

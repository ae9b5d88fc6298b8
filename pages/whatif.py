"""权重模拟: live weight and band sliders, tier migration, saved scenarios, robustness analysis.

The sliders are bound to the URL (`bind="query-params"`, key = the parameter name of
`muyun.whatif`), so the address bar always carries the scenario and a copied link restores it;
Streamlit reads only those keys, as numbers clamped to the slider ranges. The live panel is an
`st.fragment`: a slider step reruns only that panel, which re-scores once through the engine.
Scoring always covers the whole year (benchmarks are city-wide); the sidebar's industry and town
filters only narrow the lists shown.
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import Literal
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from muyun import formatting, labels, whatif
from muyun.profile import benchmark_text
from ui import (
    admin,
    cache,
    filters,
    fmt,
    policy_view,
    whatif_cache,
    whatif_scenarios,
    whatif_views,
)
from ui.whatif_views import firm_table, tier_label

T = labels.WHATIF_TEXT
H = labels.WHATIF_HEADERS
UNIT_SUFFIX = f"（{labels.UNIT_FIRMS}）"
P = labels.WHATIF_PARAMS
BIND: Literal["query-params"] = "query-params"
CONTEXT_KEY = "wi_context"
SETTINGS_KEY = "wi_settings"
FLASH_KEY = "wi_flash"
CELL_KEY = "wi_cell"
MATRIX_KEY = "wi_matrix"
ROBUST_KEY = "wi_rob_request"
MATRIX_LABEL_PX = 120  # fixed widths: readable labels, and cells a browser test can click
MATRIX_CELL_PX = 95  # 120 + 4 × 95 px: the matrix fits the right column at 1280 px
SCENARIO_ID = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²"
CELLS: list[str] = ["", *(b + a for b in labels.TIERS for a in labels.TIERS if a != b)]
MOVER_COLUMNS = [
    "name",
    "industry",
    "town",
    "tier_before",
    "tier_after",
    "rank_before",
    "rank_after",
    "total_before",
    "total_after",
    "credit_code",
]
# What fits beside the matrix (who, from, to, both ranks) and in half the page (who, from, to);
# scores, industry, town and code behind 显示全部列.
MOVER_COMPACT = ["name", "tier_before", "tier_after", "rank_before", "rank_after"]
D_COMPACT = ["name", "tier_before", "tier_after"]

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


def cell_label(cell: str) -> str:
    if not cell:
        return T["cell_all"]
    return T["cell_option"].format(
        before=cell[0],
        before_name=labels.TIER_CLASS[cell[0]],
        after=cell[1],
        after_name=labels.TIER_CLASS[cell[1]],
    )


def pick_cell() -> None:
    """A click on the migration matrix selects that cell's movers in the selectbox."""
    cells = st.session_state[MATRIX_KEY]["selection"]["cells"]
    if not cells:
        return
    row, column = cells[0]
    if column in labels.TIERS and 0 <= row < len(labels.TIERS):
        before = labels.TIERS[row]
        st.session_state[CELL_KEY] = before + column if before != column else ""


def sliders() -> whatif.Settings:
    """Draw the sliders (bound to the URL) and return the scenario they describe."""
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
    total = sum(w for _, w in weights)
    if abs(total - 100.0) > 1e-9:
        st.warning(T["weight_sum_note"].format(total=total), icon=":material/balance:")
    else:
        st.caption(T["weight_sum_ok"].format(total=total))

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
    return whatif.Settings(
        weights=tuple(weights),
        a_pct=int(a_pct),
        b_pct=int(b_pct),
        d_pct=int(d_pct),
        d_max_tax_per_mu=float(d_tax),
        bonus_cap=None if cap is None else float(cap),
        rates=whatif.rate_overrides(prof, rates),
    )


def results(pairs: pd.DataFrame) -> int:
    """Tier counts, migration matrix with its movers, D entries/exits, industries; returns moves."""
    counts = whatif.tier_counts(pairs)
    st.subheader(T["counts"])
    # Two by two: four cards in the right-hand column cut "D 倒逼转型升级类" at 1280 px.
    cards = [*st.columns(2), *st.columns(2)]
    for column, tier in zip(cards, labels.TIERS, strict=True):
        row = counts.loc[tier]
        column.metric(
            tier_label(tier),
            formatting.number(row["after"], 0, labels.UNIT_FIRMS),
            f"{row['change']:+,d} {labels.UNIT_FIRMS}" if row["change"] else None,
            delta_color="inverse" if tier in ("C", "D") else "normal",
            help=T["baseline_count"].format(n=row["before"]),
        )

    st.subheader(T["matrix"])
    matrix = whatif.migration_matrix(pairs).rename(index=tier_label)
    st.dataframe(
        matrix,
        placeholder="—",
        key=MATRIX_KEY,
        on_select=pick_cell,
        selection_mode="single-cell",
        column_config={
            "_index": st.column_config.TextColumn(T["matrix_corner"], width=MATRIX_LABEL_PX),
            **{
                t: st.column_config.NumberColumn(
                    T["matrix_to"].format(tier=t),
                    format=f"%d {labels.UNIT_FIRMS}",
                    width=MATRIX_CELL_PX,
                    help=tier_label(t),
                )
                for t in labels.TIERS
            },
        },
    )
    st.caption(T["matrix_help"])
    if st.session_state.get(CELL_KEY) not in CELLS:
        st.session_state[CELL_KEY] = ""
    cell = st.selectbox(T["cell"], CELLS, format_func=cell_label, key=CELL_KEY)
    moved = whatif.narrow(
        whatif.movers(pairs, cell[:1] or None, cell[1:] or None), f.industries, f.towns
    )
    st.markdown(f"**{T['movers'].format(n=len(moved))}**")
    if moved.empty:
        st.caption(T["no_movers"])
    else:
        firm_table(moved, MOVER_COLUMNS, "wi_movers", compact=MOVER_COMPACT)

    into, out_of = (
        whatif.narrow(frame, f.industries, f.towns) for frame in whatif.d_changes(pairs)
    )
    left, right = st.columns(2)
    with left:
        st.error(T["into_d"].format(n=len(into)), icon=":material/arrow_downward:")
        if not into.empty:
            firm_table(into, MOVER_COLUMNS[:7], "wi_into_d", compact=D_COMPACT)
    with right:
        st.success(T["out_of_d"].format(n=len(out_of)), icon=":material/arrow_upward:")
        if not out_of.empty:
            firm_table(out_of, MOVER_COLUMNS[:7], "wi_out_of_d", compact=D_COMPACT)

    return whatif.moved_count(pairs)


def save_export_share(settings: whatif.Settings) -> None:
    with st.expander(T["save_share"], icon=":material/save:"):
        name_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
        name = name_col.text_input(T["name"], key="wi_name", max_chars=whatif.NAME_MAX)
        # Saved scenarios are shared with everyone, so only a logged-in administrator saves
        # them (under their own name); anyone may still export the TOML or share the link.
        account = admin.require("save_scenario", key="wi_login")
        if account is not None and button_col.button(T["save"], key="wi_save", type="primary"):
            try:
                new_id = whatif.save_scenario(
                    cache.database(),
                    name=name,
                    author=account.display_name,
                    base_profile=f.profile,
                    year=f.year,
                    scale=f.scale,
                    settings=settings,
                )
            except whatif.SettingsError as exc:
                st.error(str(exc))
            else:
                flash(T["saved"].format(id=new_id, name=fmt.escape_markdown(name.strip())))
                st.rerun()
        st.download_button(
            T["export"],
            data=partial(
                lambda title: (
                    whatif.scenario_profile(prof, f.scale, settings, title)
                    .to_toml()
                    .encode("utf-8")
                ),
                name,
            ),
            file_name=f"{f.profile}-{f.scale}-scenario.toml",
            mime="application/toml",
            on_click="ignore",
            key="wi_export",
            icon=":material/description:",
        )
        st.caption(T["share"])
        st.code(share_link(whatif.to_query(settings)), language=None)


@st.fragment
def live_panel() -> None:
    """Sliders and their result: the only part that reruns on a slider step."""
    started = time.perf_counter()
    left, right = st.columns([1, 2], gap="large")
    with left:
        settings = sliders()
    st.session_state[SETTINGS_KEY] = settings
    with right:
        try:
            pairs = whatif_cache.pairs(f.year, f.profile, f.scale, base.key(), settings.key())
        except whatif.SettingsError as exc:
            st.error(str(exc))
            return
        effect = whatif_cache.fiscal(f.year, f.profile, f.scale, base.key(), settings.key())
        if effect is not None:
            policy_view.fiscal_effect(effect, f.scale)
        moved = results(pairs)
    whatif_views.industry_table(pairs, f)
    save_export_share(settings)
    st.caption(
        T["done"].format(
            total=settings.weight_sum(),
            firms=len(pairs),
            moved=moved,
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
st.divider()
whatif_scenarios.render(
    f,
    prof,
    base,
    load,
    lambda scenario_id: share_link({whatif.SCENARIO_PARAM: scenario_id}),
    MOVER_COLUMNS,
)
st.divider()
whatif_views.robustness_panel(f, base)

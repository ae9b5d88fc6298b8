"""权重模拟's saved scenarios: load one onto the sliders, its share link, and a comparison of
two scenarios (or the profile's baseline) — split from pages/whatif.py to keep the page short."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from muyun import labels, whatif
from muyun.profile import Profile
from ui import policy_view, whatif_cache, whatif_results
from ui.filters import Filters
from ui.whatif_views import tier_label

T = labels.WHATIF_TEXT
H = labels.WHATIF_HEADERS


def scenario_file(prof: Profile, scale: str, settings: whatif.Settings, title: str) -> bytes:
    """The scenario as the profile file it would be (导出为配置文件), built on the click.

    Defined here, not on the page: Streamlit keeps a download's callable until the session
    ends, and a function of the page would keep the whole page alive with it."""
    return whatif.scenario_profile(prof, scale, settings, title).to_toml().encode("utf-8")


def scenario_label(scenario: whatif.Scenario) -> str:
    return T["scenario_option"].format(
        id=scenario.id,
        name=scenario.name,
        author=scenario.author or T["anonymous"],
        created=f"{scenario.created_at:%Y-%m-%d %H:%M}",
    )


def render(
    f: Filters,
    prof: Profile,
    base: whatif.Settings,
    load: Callable[[whatif.Scenario], None],
    share_link: Callable[[str], str],
) -> None:
    """Load, share and compare the saved scenarios of this profile and scale (`load` puts a
    scenario on the sliders; `share_link` is the page's address for a scenario id)."""
    st.subheader(T["scenarios"].format(scale=f.scale))
    saved = {s.id: s for s in whatif_cache.scenarios(f.profile, f.scale)}
    if not saved:
        st.caption(T["no_scenarios"])
        return
    pick_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick_col.selectbox(
        T["load"], list(saved), format_func=lambda i: scenario_label(saved[i]), key="wi_load_id"
    )
    button_col.button(
        T["load_button"],
        on_click=load,
        args=(saved[chosen],),
        key="wi_load",
        icon=":material/folder_open:",
    )
    st.caption(T["share_scenario"].format(id=chosen))
    st.code(share_link(str(chosen)), language=None)

    st.markdown(f"**{T['compare']}**")
    options = [0, *saved]

    def option_label(i: int) -> str:
        return T["baseline_option"] if i == 0 else scenario_label(saved[i])

    first_col, second_col = st.columns(2)
    first = first_col.selectbox(
        T["compare_first"], options, format_func=option_label, key="wi_cmp_a"
    )
    second = second_col.selectbox(
        T["compare_second"],
        options,
        index=1,
        format_func=option_label,
        key="wi_cmp_b",
    )

    def key_of(i: int) -> tuple:
        return base.key() if i == 0 else whatif.from_params(saved[i].params, prof, f.scale)[0].key()

    pairs = whatif_cache.pairs(f.year, f.profile, f.scale, key_of(first), key_of(second))
    counts = whatif.tier_counts(pairs).rename(index=tier_label)
    counts.columns = [T["compare_first"], T["compare_second"], H["change"]]
    st.dataframe(
        counts,
        placeholder="—",
        column_config={
            "_index": st.column_config.TextColumn(H["tier"]),
            **{
                c: st.column_config.NumberColumn(c, format=f"%d {labels.UNIT_FIRMS}")
                for c in counts.columns
            },
        },
        key="wi_cmp_counts",
    )
    effect = whatif_cache.fiscal(f.year, f.profile, f.scale, key_of(first), key_of(second))
    if effect is not None:
        policy_view.fiscal_compare(effect, T["compare_first"], T["compare_second"], "wi_cmp_fiscal")
    differing = whatif.narrow(whatif.movers(pairs), f.industries, f.towns)
    title = T["compare_diff"].format(n=len(differing))
    st.markdown(f"**{title}**")
    if not differing.empty:
        columns = whatif_results.MOVER_COLUMNS
        whatif_results.short_list(differing, columns, "wi_cmp_diff", None, f, title)

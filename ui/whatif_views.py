"""权重模拟's components that need no page state: tier labels, firm tables and the robustness
panel (moved out of pages/whatif.py to keep the page short)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from muyun import labels, whatif
from ui import policy_view, tables, whatif_cache
from ui.filters import Filters

T = labels.WHATIF_TEXT
H = labels.WHATIF_HEADERS
LAND_T = labels.LAND_COMPACT_HEADERS  # the shared 显示全部列 switch text
SETTINGS_KEY = "wi_settings"
ROBUST_KEY = "wi_rob_request"


def tier_label(tier: str) -> str:
    return f"{tier} {labels.TIER_CLASS[tier]}"


# Pixel widths by column kind, so a firm table fits its column at 1280 px instead of running off
# the right edge; a name keeps the most room (the full text shows on hover).
COLUMN_PX = {
    "name": 150,
    "credit_code": 160,
    "industry": 72,
    "town": 80,
    "tier": 56,
    "rank": 64,
    "total": 72,
    "share": 72,
}


def _width(name: str) -> int | None:
    return COLUMN_PX.get(name) or next(
        (px for kind, px in COLUMN_PX.items() if name.startswith(f"{kind}_")), None
    )


def column_config(columns: list[str]) -> dict[str, ColumnConfig]:
    config: dict[str, ColumnConfig] = {}
    for name in columns:
        if name.startswith("total"):
            config[name] = st.column_config.NumberColumn(H[name], format="%.2f", width=_width(name))
        elif name.startswith("rank"):
            config[name] = st.column_config.NumberColumn(H[name], format="%d", width=_width(name))
        else:
            config[name] = st.column_config.TextColumn(H.get(name, name), width=_width(name))
    return config


def shown_columns(columns: list[str], compact: list[str] | None, key: str) -> list[str]:
    """The compact set that fits the table's place, or every column behind 显示全部列."""
    if compact is None:
        return columns
    everything = st.toggle(LAND_T["all_columns"], key=f"{key}_all", help=LAND_T["all_columns_help"])
    return columns if everything else compact


def firm_table(
    frame: pd.DataFrame, columns: list[str], key: str, compact: list[str] | None = None
) -> None:
    shown = shown_columns(columns, compact, key)
    st.dataframe(
        frame[shown],
        placeholder="—",
        hide_index=True,
        column_config=column_config(shown),
        height=tables.table_height(len(frame), 320),
        key=key,
    )


@st.fragment
def robustness_panel(f: Filters, base: whatif.Settings) -> None:
    """Random re-weighting of the current scenario, on request; cached per weight set."""
    st.subheader(T["robustness"])
    runs_col, spread_col, button_col = st.columns([1, 2, 1], vertical_alignment="bottom")
    runs = runs_col.number_input(
        T["runs"],
        min_value=100,
        max_value=5000,
        value=whatif.ROBUSTNESS_RUNS,
        step=100,
        key="wi_rob_runs",
    )
    spread = spread_col.slider(
        T["spread"],
        min_value=1,
        max_value=50,
        value=round(whatif.ROBUSTNESS_SPREAD * 100),
        key="wi_rob_spread",
    )
    st.caption(T["robustness_intro"].format(runs=int(runs), spread=spread))
    current: whatif.Settings = st.session_state.get(SETTINGS_KEY, base)
    if button_col.button(T["run"], key="wi_rob_run", type="primary", icon=":material/casino:"):
        st.session_state[ROBUST_KEY] = (
            f.year,
            f.profile,
            f.scale,
            current.key(),
            int(runs),
            int(spread),
        )
    request = st.session_state.get(ROBUST_KEY)
    if request is None or request[:3] != (f.year, f.profile, f.scale):
        return
    if request[3] != current.key():
        st.info(T["stale"])
    started = time.perf_counter()
    try:
        year, profile_name, scale, key, runs, spread_pct = request
        result = whatif_cache.robustness(
            year, profile_name, scale, key, runs, spread_pct, whatif.ROBUSTNESS_SEED
        )
    except whatif.SettingsError as exc:
        st.error(str(exc))
        return
    seconds = time.perf_counter() - started

    st.markdown(f"**{T['summary'].format(share=whatif.STABLE_SHARE)}**")
    summary = result.summary.rename(index=tier_label)
    st.dataframe(
        summary,
        placeholder="—",
        column_config={
            "_index": st.column_config.TextColumn(H["tier"]),
            **{
                c: st.column_config.NumberColumn(H[c], format="%d")
                for c in ("firms", "stable", "unstable")
            },
        },
        key="wi_rob_summary",
    )
    policy_view.robustness_spread(result.fiscal, result.runs)
    borderline = whatif.borderline(result, f.industries, f.towns, f.tiers)
    st.markdown(f"**{T['borderline'].format(share=whatif.STABLE_SHARE, n=len(borderline))}**")
    if borderline.empty:
        st.caption(T["no_borderline"])
    else:
        compact = [
            "name",
            "tier",
            "share_current",
            *(f"share_{t}" for t in labels.TIERS),
            "rank_p5",
            "rank_p95",
        ]
        columns = shown_columns(
            [*compact[:2], "industry", *compact[2:], "rank", "total", "town", "credit_code"],
            compact,
            "wi_rob_borderline",
        )
        config = column_config(columns)
        for name in columns:
            if name.startswith("share_"):
                config[name] = st.column_config.ProgressColumn(
                    H[name], format="percent", min_value=0.0, max_value=1.0, width=_width(name)
                )
        st.dataframe(
            borderline[columns],
            placeholder="—",
            hide_index=True,
            column_config=config,
            height=tables.table_height(len(borderline), 420),
            key="wi_rob_borderline",
        )
    st.caption(T["robust_done"].format(runs=result.runs, firms=len(result.firms), seconds=seconds))

"""Cached views and shared widgets of the towns, early-warning and programme pages (issue 14).

Each cached function takes plain keys (year, profile stem, basis) and builds its view from the
cached scored years of `ui.cache`, so published and live results flow through the same code and
a cache hit never re-scores. `cache.clear_data_caches()` clears these too (st.cache_data).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from muyun import formatting, labels, programmes, towns, watchlist
from ui import cache, tables

W = labels.WATCH_TEXT
T_TOWN = labels.TOWN_TEXT
# The watch list on screen: the reasons next to the name (the export keeps the data order).
SHOWN_COLUMNS = (
    "credit_code",
    "name",
    "tier",
    "lower_tier",
    "reasons",
    "total",
    "gap",
    "rank",
    "industry",
    "town",
    "scale",
)


def history(profile_name: str, basis: str, year: int | None = None) -> dict[int, pd.DataFrame]:
    """Every year scored under the profile on the given basis — `year` always among them (a
    profile may leave out years it cannot score, but the page's own year is scored anyway)."""
    years = dict(cache.scored_years(profile_name, basis))
    if year is not None and year not in years:
        years[year] = cache.scored_year(year, profile_name, basis)
    return years


@st.cache_data(max_entries=8, ttl=cache.CACHE_TTL_S, show_spinner=False)
def watch_list(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The year's watch list (`muyun.watchlist.watch_list`)."""
    return watchlist.watch_list(
        history(profile_name, basis, year), year, cache.load_profile(profile_name)
    )


@st.cache_data(max_entries=8, ttl=cache.CACHE_TTL_S, show_spinner=False)
def threshold_counts(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """Firms under each 警戒值 and at each 优质值 (`muyun.watchlist.threshold_counts`)."""
    return watchlist.threshold_counts(
        history(profile_name, basis, year), year, cache.load_profile(profile_name)
    )


@st.cache_data(max_entries=8, ttl=cache.CACHE_TTL_S, show_spinner=False)
def town_league(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The year's 镇街 league table (`muyun.towns.league`)."""
    years = history(profile_name, basis, year)
    inputs = towns.load_inputs(cache.database().reader(), year)
    names = list(cache.towns()["name"])
    return towns.league(
        years[year], years.get(year - 1), inputs, cache.load_profile(profile_name), names
    )


@st.cache_data(max_entries=4, ttl=cache.CACHE_TTL_S, show_spinner=False)
def participation() -> pd.DataFrame:
    """Every programme participation row in the store."""
    return programmes.load_participation(cache.database().reader())


@st.cache_data(max_entries=8, ttl=cache.CACHE_TTL_S, show_spinner=labels.SPINNERS["scoring"])
def programme_effects(programme: str, profile_name: str, basis: str) -> pd.DataFrame:
    """The programme's matched difference-in-differences on every outcome, as a table."""
    effects = programmes.evaluate_all(history(profile_name, basis), participation(), programme)
    return programmes.effects_frame(effects)


def firm_block(year: int, code: str, profile_name: str) -> None:
    """The firm page's 预警提示: on this year's watch list or not, and the indicator lines."""
    basis = cache.current_basis()
    listed = watch_list(year, profile_name, basis)
    st.subheader(W["firm_header"])
    mine = listed[listed["credit_code"] == code]
    if mine.empty:
        st.caption(W["firm_clear"].format(year=year))
    else:
        st.warning(
            W["firm_listed"].format(year=year, reasons=mine["reasons"].iloc[0]),
            icon=":material/warning:",
        )
    signals = watchlist.firm_signals(
        history(profile_name, basis, year), year, code, cache.load_profile(profile_name)
    )
    if not signals.empty:
        signal_table(signals)


def signal_table(signals: pd.DataFrame) -> None:
    """A firm's indicators against their 警戒值 / 优质值."""
    H = labels.WATCH_HEADERS
    st.dataframe(
        signals.drop(columns="key"),
        hide_index=True,
        placeholder="—",
        column_config={
            "indicator": st.column_config.TextColumn(H["indicator"]),
            "basis": st.column_config.TextColumn(H["basis"]),
            "value": tables.number_column(H["value"]),
            "unit": st.column_config.TextColumn(H["unit"]),
            "alert": tables.number_column(H["alert"]),
            "quality": tables.number_column(H["quality"]),
            "state": st.column_config.TextColumn(H["state"]),
        },
    )


def watch_table(frame: pd.DataFrame, key: str) -> None:
    """The watch list as a table (names are plain text cells, never Markdown)."""
    H = labels.WATCH_HEADERS
    st.dataframe(
        frame[list(SHOWN_COLUMNS)],
        hide_index=True,
        placeholder="—",
        key=key,
        column_config={
            "credit_code": st.column_config.TextColumn(H["credit_code"]),
            "name": st.column_config.TextColumn(H["name"]),
            "industry": st.column_config.TextColumn(H["industry"]),
            "town": st.column_config.TextColumn(H["town"]),
            "scale": st.column_config.TextColumn(H["scale"]),
            "tier": st.column_config.TextColumn(H["tier"], width="small"),
            "total": tables.number_column(H["total"]),
            "rank": st.column_config.NumberColumn(H["rank"], format="%d"),
            "gap": tables.number_column(H["gap"]),
            "lower_tier": st.column_config.TextColumn(H["lower_tier"], width="small"),
            "reasons": st.column_config.TextColumn(H["reasons"], width="large"),
        },
        height=tables.table_height(len(frame), 600),
    )


def progress_metric(
    column: DeltaGenerator,
    label: str,
    done: float,
    target: float | None,
    digits: int,
    unit: str,
    *,
    growth: bool = False,
) -> None:
    """A target as a metric: the figure, the target in the label, and how far above or below
    it (percentage points for a growth target, % of the target otherwise) as the delta."""
    value = formatting.number(done, digits, unit)
    if target is None or pd.isna(target):
        column.metric(T_TOWN["target_label_none"].format(label=label), value)
        return
    goal = formatting.number(float(target), digits, unit)
    if growth:
        delta = None if pd.isna(done) else T_TOWN["vs_target_pp"].format(pp=done - target)
    else:
        share = done / target - 1.0 if target > 0 else None
        delta = None if share is None else T_TOWN["vs_target_pct"].format(pct=share)
    column.metric(T_TOWN["target_label"].format(label=label, target=goal), value, delta)

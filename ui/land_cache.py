"""Cached reads of the land rectification page (bounded `st.cache_data`, keyed by plain values;
the managed list in the shared cache of `ui.cache`).

Imports through the data page call `ui.cache.clear_data_caches()`, which empties these too; list
edits clear only `low_efficiency` (the scored years they are built from stay cached).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from muyun import labels, land, scoring
from ui import cache

CACHE_TTL_S = cache.CACHE_TTL_S
LOW_EFFICIENCY = "low_efficiency"  # its shared-cache key's first item


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def land_years() -> list[int]:
    """Years with rectification projects, targets or published facts."""
    return land.land_years(cache.database().reader())


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def year_view(year: int) -> land.YearView:
    """One year's rectified land by category and town, targets and published facts."""
    return land.year_view(cache.database().reader(), year)


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def trend() -> pd.DataFrame:
    """Rectified land per year and category."""
    return land.trend(cache.database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def trend_targets() -> pd.DataFrame:
    """Each year's total target (year, year_target_mu) for every land year that has one.

    `trend` carries targets only beside projects, so next year's targets imported ahead of its
    projects dropped off the history chart (issue 13 item 15); those years are added here.
    """
    targets = land.trend_targets(trend())
    extra = [
        {"year": year, "year_target_mu": view.total_target_mu}
        for year in land_years()
        if year not in set(targets["year"]) and (view := year_view(year)).total_target_mu
    ]
    if not extra:
        return targets
    rows = pd.concat([targets, pd.DataFrame(extra)], ignore_index=True)
    return rows.sort_values("year", ignore_index=True)


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def parks_view() -> land.ParksView:
    """All micro-enterprise parks with status totals and recognitions per year."""
    return land.parks_view(cache.database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def funds_view() -> land.FundsView:
    """The special fund by use."""
    return land.funds_view(cache.database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def upgrades_view() -> land.UpgradesView:
    """Zero-new-land upgrades with their plot-ratio multiple and totals."""
    return land.upgrades_view(cache.database().reader())


def low_efficiency(year: int, profile_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The managed list of a year under a profile, and the firms leaving it since last year;
    shared read-only (a province's list is tens of thousands of rows: unpickling it from
    `st.cache_data` on every rerun cost a quarter of a second)."""
    year, basis = int(year), cache.current_basis()
    return cache.shared(
        (LOW_EFFICIENCY, year, profile_name, basis),
        lambda: _low_efficiency(year, profile_name, basis),
        labels.LAND_TEXT["list_spinner"],
    )


def _low_efficiency(year: int, profile_name: str, basis: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    profile = cache.load_profile(profile_name)
    scored = cache.scored_year(year, profile_name, basis)
    previous = (
        cache.scored_columns(year - 1, profile_name, basis, land.PREVIOUS_YEAR_COLUMNS)
        if year - 1 in scoring.scorable_years(cache.available_years(), profile)
        else None
    )
    members = land.low_efficiency_list(cache.database().reader(), scored, profile, previous)
    if previous is None:
        leaving = pd.DataFrame(columns=list(land.LEAVING_COLUMNS))
    else:
        leaving = land.leaving_list(previous, scored, profile)
    return members, leaving


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def list_history(year: int) -> pd.DataFrame:
    """The newest edits of a year's list."""
    return land.list_history(cache.database().reader(), year)


def clear_list_caches() -> None:
    """After an edit of the list: rebuild the list and its history, keep the scored years."""
    cache.frames().discard(LOW_EFFICIENCY)
    list_history.clear()

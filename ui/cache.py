"""Cached handles to the store and the engine, per the performance rules.

`database()` is a process-wide resource (one DuckDB file, one root connection); every call reads
through `db.reader()`, a cursor of its own thread. Everything else is bounded `st.cache_data`
keyed by plain values (years, names, tuples of strings), so a cache hit never touches DuckDB and
never re-scores: a scored year is computed once per profile, and the five-year views are built
from those cached years. `clear_data_caches()` after any write makes every view recompute.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from muyun import demo, labels, profile, queries, report, scoring
from muyun.db import Database, db_path

CACHE_TTL_S = 3600
# A report context holds a year and the four before it, scored (~15 MB with the demo city).
REPORT_CONTEXTS = 4


@st.cache_resource(show_spinner=labels.SPINNERS["database"])
def database() -> Database:
    """The app's database; built from the embedded demo data when no file exists yet."""
    path = db_path()
    demo.ensure_demo_database(path)
    return Database(path)


@st.cache_resource
def load_profile(name: str) -> profile.Profile:
    """A shipped profile by its file stem (profiles are immutable, so one copy serves all)."""
    return profile.load_profile(profile.profile_path(name))


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def profile_names() -> dict[str, str]:
    """Shipped profiles, file stem → display name (default first)."""
    return profile.shipped_profiles()


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def available_years() -> list[int]:
    """Years with enterprise data, ascending."""
    return queries.available_years(database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def towns() -> pd.DataFrame:
    """The city's 镇街 with their centres, in reference order."""
    return queries.towns(database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def dataset_info() -> dict[str, str]:
    """The store's `dataset_info` pairs (demo flag, seed, build time)."""
    return queries.dataset_info(database().reader())


@st.cache_data(max_entries=8, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["year"])
def year_data(year: int) -> scoring.YearData:
    """The raw inputs of a year (enterprises + effective land), read once and re-scored often."""
    return scoring.load_year(database().reader(), year)


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["scoring"])
def scored_year(year: int, profile_name: str) -> pd.DataFrame:
    """Every enterprise of a year scored under a profile (see `muyun.scoring.score_year`)."""
    return scoring.score_prepared(year_data(year), load_profile(profile_name))


def scored_years(profile_name: str) -> dict[int, pd.DataFrame]:
    """Every available year scored under a profile (each year cached on its own)."""
    return {year: scored_year(year, profile_name) for year in available_years()}


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def overview(
    year: int, profile_name: str, scale: str, industries: tuple[str, ...], towns_: tuple[str, ...]
) -> dict[str, object]:
    """The overview page's figures for a selection: KPIs of the year and the year before,
    the tier mix by industry and the five-year trend (small frames, cheap to copy)."""
    years = available_years()

    def selected(frame: pd.DataFrame) -> pd.DataFrame:
        return queries.filter_scored(frame, industries=industries, towns=towns_)

    frames = {y: selected(scored_year(y, profile_name)) for y in years}
    previous = frames.get(year - 1)
    of_scale = queries.filter_scored(frames[year], scale=scale)
    return {
        "kpis": queries.kpis(frames[year], scale),
        "previous": None if previous is None else queries.kpis(previous, scale),
        "tier_mix": queries.tier_mix_by_industry(of_scale),
        "trend": queries.trend(frames, scale),
    }


@st.cache_data(max_entries=256, ttl=CACHE_TTL_S, show_spinner=False)
def firm_history(credit_code: str, profile_name: str) -> pd.DataFrame:
    """One firm's total, rank and tier in every year (from the cached scored years)."""
    return queries.firm_history(scored_years(profile_name), credit_code)


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def firm_leases(year: int, credit_code: str) -> pd.DataFrame:
    """The firm's leases of a year in both directions."""
    return queries.firm_leases(database().reader(), year, credit_code)


@st.cache_resource(max_entries=REPORT_CONTEXTS, ttl=CACHE_TTL_S, show_spinner=False)
def report_context(year: int, profile_name: str) -> report.ReportContext:
    """The scored years a firm's report needs, built once per (year, profile) for all sessions.

    A resource, not data: reports only read it, and copying five scored years on every click
    would cost what the cache saves. The raw year and the scored years come from the caches
    above, so a report reuses what the pages already computed. No spinner: it is called from a
    download button's callable, which runs outside the script thread.
    """
    con = database().reader()
    return report.prepare_context(
        con,
        year,
        load_profile(profile_name),
        data=year_data(year),
        scored_years={y: scored_year(y, profile_name) for y in report.trend_years(con, year)},
    )


def clear_data_caches() -> None:
    """Call after any successful write (import, edit) so every view recomputes from DuckDB."""
    st.cache_data.clear()
    report_context.clear()

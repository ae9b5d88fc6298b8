"""Cached handles to the store and the engine, per the performance rules.

`database()` is a process-wide resource (one DuckDB file, one root connection); every page call
reads through `db.reader()`, a cursor of its own thread. Scored years are cached data, bounded
by `max_entries`/`ttl`, keyed by plain values so a cache hit never touches DuckDB.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from muyun import demo, profile, scoring
from muyun.db import Database, db_path

CACHE_TTL_S = 3600


@st.cache_resource(show_spinner="正在准备数据库……")
def database() -> Database:
    """The app's database; built from the embedded demo data when no file exists yet."""
    path = db_path()
    demo.ensure_demo_database(path)
    return Database(path)


@st.cache_resource
def load_profile(name: str) -> profile.Profile:
    """A shipped profile by its file stem (profiles are immutable, so one copy serves all)."""
    return profile.load_profile(profile.profile_path(name))


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner="正在计算评价结果……")
def scored_year(year: int, profile_name: str) -> pd.DataFrame:
    """Every enterprise of a year scored under a profile (see `muyun.scoring.score_year`)."""
    return scoring.score_year(database().reader(), year, load_profile(profile_name))


def clear_data_caches() -> None:
    """Call after any successful write (import, edit) so every view recomputes from DuckDB."""
    st.cache_data.clear()

"""Cached views and shared widgets of the towns, early-warning and programme pages (issue 14).

Each view takes plain keys (year, profile stem, basis) and is built from the scored years of
`ui.cache`, so published and live results flow through the same code and a hit never re-scores.

Province scale (issue 15): a view scores only the years it reads — the town league the year and
the year before; the watch list its year and, of the years its rules look back on, only the few
columns the rules read (`watchlist.earlier_year`; a live year's are read, not scored); the
programme evaluation the years around its cohorts, and for the participants' tiers every
year's slim tiers (`cache.year_tiers`) — and the missing years are computed two at a time.
Results are shared, not pickled per hit: the small ones beside the year summaries (a few rows
each), the watch list (25,000 firms at province scale) beside the scored years.
`cache.clear_data_caches()` clears them all.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from muyun import formatting, labels, programmes, scoring, towns, watchlist
from ui import cache, tables

W = labels.WATCH_TEXT
T_TOWN = labels.TOWN_TEXT
K = TypeVar("K")
V = TypeVar("V")
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


def _small(key: tuple, compute: Callable[[], V]) -> V:
    """A small result (a few rows) kept with the year summaries, so that scoring more years
    never evicts it; computed under the scoring spinner."""
    return cache.shared(key, compute, labels.SPINNERS["scoring"], store=cache.summaries())


def _two_at_a_time(jobs: dict[K, Callable[[], V]]) -> dict[K, V]:
    """Run the jobs on two threads (reading and scoring a year release the GIL for most of
    their time, and the machine has two cores) when the years are small enough to be scored
    at once (`cache.scoring_threads`), else one after the other here."""
    threads = cache.scoring_threads()
    if len(jobs) < 2 or threads < 2:
        return {key: job() for key, job in jobs.items()}
    with ThreadPoolExecutor(threads) as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def _scorable(profile_name: str) -> set[int]:
    """The years the profile can score (all, or those with a year before them)."""
    return set(scoring.scorable_years(cache.available_years(), cache.load_profile(profile_name)))


def _resolve_sources(years: list[int], profile_name: str, basis: str) -> None:
    """Look up where each year comes from on the script thread, so the workers find it cached."""
    for year in years:
        cache.result_source(year, profile_name, basis)


def _earlier_year(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The columns of an earlier year the watch list reads, shared (a few MB at province scale
    instead of a 145 MB scored year): a published year's from its run, a live year's from its
    indicators read from the store, not scored."""
    prof = cache.load_profile(profile_name)
    run_id = cache.result_source(year, profile_name, basis).run_id
    if run_id is not None:
        return cache.shared(
            ("watch_earlier_run", run_id, profile_name),
            lambda: watchlist.earlier_year(cache.run_result(run_id), prof),
        )
    return cache.shared(
        ("watch_earlier", year, profile_name),
        lambda: watchlist.earlier_year_live(cache.database().reader(), year, prof),
    )


def watch_history(year: int, profile_name: str, basis: str) -> dict[int, pd.DataFrame]:
    """The scored year and the earlier years the profile's warning rules read (growth: last
    year; decline: `decline_years` back), as the watch list expects them."""
    year = int(year)
    scorable = _scorable(profile_name)
    earlier = [
        y for y in watchlist.history_years(cache.load_profile(profile_name), year) if y in scorable
    ]
    _resolve_sources([year, *earlier], profile_name, basis)
    # The earlier years are read, not scored, and are a few MB each: one worker reads them
    # while this thread scores the year (at province scale up to ~0.3 s of reading overlapped),
    # whatever `cache.scoring_threads` allows for scoring years side by side.
    with ThreadPoolExecutor(1) as pool:
        pending = {y: pool.submit(_earlier_year, y, profile_name, basis) for y in earlier}
        history = {year: cache.scored_year(year, profile_name, basis)}
        history.update({y: job.result() for y, job in pending.items()})
    return history


def watch_list(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The year's watch list (`muyun.watchlist.watch_list`), shared read-only."""
    year = int(year)
    return cache.shared(
        ("watch_list", year, profile_name, basis),
        lambda: _watch_list(year, profile_name, basis),
        labels.SPINNERS["scoring"],
    )


def _watch_list(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The watch list, and its page's threshold counts while the scored year is at hand."""
    history = watch_history(year, profile_name, basis)
    prof = cache.load_profile(profile_name)
    _small(
        ("watch_counts", year, profile_name, basis),
        lambda: watchlist.threshold_counts(history, year, prof),
    )
    return watchlist.watch_list(history, year, prof)


def threshold_counts(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """Firms under each 警戒值 and at each 优质值 (`muyun.watchlist.threshold_counts`)."""
    year = int(year)
    return _small(
        ("watch_counts", year, profile_name, basis),
        lambda: watchlist.threshold_counts(
            watch_history(year, profile_name, basis), year, cache.load_profile(profile_name)
        ),
    )


def town_league(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The year's 镇街 league table (`muyun.towns.league`): the year and the year before."""
    year = int(year)
    return _small(
        ("town_league", year, profile_name, basis),
        lambda: _town_league(year, profile_name, basis),
    )


def _town_league(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """The league from the scored year and last year's few columns (`towns.PREVIOUS_YEAR_COLUMNS`,
    read from the store when it keeps that year's tiers), not a second scored year."""
    previous = None
    if year - 1 in _scorable(profile_name):
        previous = cache.scored_columns(year - 1, profile_name, basis, towns.PREVIOUS_YEAR_COLUMNS)
    scored = cache.scored_year(year, profile_name, basis)
    inputs = towns.load_inputs(cache.database().reader(), year)
    names = list(cache.towns()["name"])
    return towns.league(scored, previous, inputs, cache.load_profile(profile_name), names)


def town_firms(year: int, profile_name: str, basis: str, town: str) -> pd.DataFrame:
    """A town's firms of the year (`muyun.towns.town_firms`), shared read-only."""
    year = int(year)
    return cache.shared(
        ("town_firms", year, profile_name, basis, town),
        lambda: towns.town_firms(cache.scored_year(year, profile_name, basis), town),
        labels.SPINNERS["scoring"],
    )


@st.cache_data(max_entries=4, ttl=cache.CACHE_TTL_S, show_spinner=False)
def participation() -> pd.DataFrame:
    """Every programme participation row in the store."""
    return programmes.load_participation(cache.database().reader())


def programme_effects(programme: str, profile_name: str, basis: str) -> pd.DataFrame:
    """The programme's matched difference-in-differences on every outcome, as a table: once
    per (programme, profile, basis), from the years around its cohorts only."""
    return _small(
        ("programme_effects", programme, profile_name, basis),
        lambda: _programme_effects(programme, profile_name, basis),
    )


def _programme_effects(programme: str, profile_name: str, basis: str) -> pd.DataFrame:
    part = participation()
    scorable = _scorable(profile_name)
    years = [y for y in programmes.evaluation_years(part, programme) if y in scorable]
    _resolve_sources(years, profile_name, basis)
    history = _two_at_a_time(
        {y: partial(_programme_year, y, profile_name, basis) for y in years},
    )
    return programmes.effects_frame(programmes.evaluate_all(history, part, programme))


def _programme_year(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    """A scored year cut to what the programme evaluation reads (`cache.scored_columns`: read
    from the store without scoring the year when it keeps the year's tiers)."""
    return cache.scored_columns(year, profile_name, basis, programmes.HISTORY_COLUMNS)


def programme_tiers(programme: str, profile_name: str, basis: str) -> pd.DataFrame:
    """The participants' tiers in every scored year (`muyun.programmes.tier_shares`), read
    off each year's slim tiers (`cache.year_tiers`), which the store keeps across restarts."""
    return _small(
        ("programme_tiers", programme, profile_name, basis),
        lambda: _programme_tiers(programme, profile_name, basis),
    )


def _programme_tiers(programme: str, profile_name: str, basis: str) -> pd.DataFrame:
    part = participation()
    around = programmes.evaluation_years(part, programme)
    # The years the effects have just scored first, while the shared cache still holds them.
    years = sorted(_scorable(profile_name), key=lambda y: y not in around)
    _resolve_sources(years, profile_name, basis)
    cache.input_fingerprints()  # on the script thread: the workers find it cached
    tiers = _two_at_a_time({y: partial(cache.year_tiers, y, profile_name, basis) for y in years})
    return programmes.tier_shares(tiers, part, programme)


def firm_block(year: int, code: str, profile_name: str) -> None:
    """The firm page's 预警提示: on this year's watch list or not, and the indicator lines."""
    basis = cache.current_basis()
    prof = cache.load_profile(profile_name)
    history = watch_history(year, profile_name, basis)
    mine = _small(
        ("watch_firm", year, profile_name, basis, code),
        lambda: watchlist.firm_entry(history, year, code, prof),
    )
    st.subheader(W["firm_header"])
    if mine.empty:
        st.caption(W["firm_clear"].format(year=year))
    else:
        st.warning(
            W["firm_listed"].format(year=year, reasons=mine["reasons"].iloc[0]),
            icon=":material/warning:",
        )
    signals = watchlist.firm_signals(history, year, code, prof)
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

"""Cached computations of the what-if page, keyed by plain values (years, names, tuples).

Why resources and not `st.cache_data`: a data cache hands every hit a fresh unpickled copy, and
at 200,000 firms unpickling the year on every slider step cost a quarter of the step. What a
step needs is prepared once per (year, profile, scale) — `whatif.RankedScale`: the engine's
per-point item scores, bonus, deductions and pools of the scale's ranked firms — and held once
per process in the byte-bounded shared cache (`ui.cache.shared`); a step is then weights →
totals → ranks → tiers in numpy (`whatif.outcome`, identical to the engine), and only the scale
shown is touched. A step's results are small resources (`RESULT_ENTRIES`). Both are shared by
every session: callers must treat what they get as read-only.

`clear_data_caches()` (ui/cache.py) clears the data caches after an import: the shared cache with
them, and every resource here is keyed by `_generation()`, a data cache of its own, so that clear
makes them rebuild too.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from muyun import labels, scoring, whatif
from ui import cache

# Per entry at 200,000 firms (137,687 ranked 规下): 10 MB a pair of results.
RESULT_ENTRIES = 4  # the baseline, the last steps (a matrix click reruns one), a comparison


@st.cache_data(max_entries=1, ttl=cache.CACHE_TTL_S, show_spinner=False)
def _generation() -> int:
    """A token that changes whenever the data caches are cleared (or expire)."""
    return time.monotonic_ns()


def ranked(year: int, profile_name: str, scale: str) -> whatif.RankedScale:
    """The scale's ranked firms under the profile, prepared for re-weighting (shared).

    Kept in the byte-bounded shared cache with the scored years it is made from (~35 MB at
    province scale): a count-bounded resource cache held up to four of them beyond that budget.
    """
    year = int(year)
    return cache.shared(
        ("whatif_ranked", year, profile_name, scale),
        lambda: _prepare(year, profile_name, scale),
        labels.SPINNERS["scoring"],
    )


def _prepare(year: int, profile_name: str, scale: str) -> whatif.RankedScale:
    profile = cache.load_profile(profile_name)
    history = None if profile.policy is None else cache.prior_tiers(year, profile_name)
    scored = cache.live_year(year, profile_name)  # the engine's result the other pages use
    return whatif.prepare(cache.year_data(year), profile, scale, history, scored)


def _outcome(year: int, profile_name: str, scale: str, key: tuple) -> whatif.Outcome:
    return whatif.outcome(
        ranked(year, profile_name, scale),
        cache.load_profile(profile_name),
        whatif.Settings.from_key(key),
        lambda: cache.year_data(year),
    )


@st.cache_resource(max_entries=RESULT_ENTRIES, ttl=cache.CACHE_TTL_S, show_spinner=False)
def _pairs(
    year: int, profile_name: str, scale: str, before: tuple, after: tuple, generation: int
) -> pd.DataFrame:
    first = _outcome(year, profile_name, scale, whatif.Settings.from_key(before).scoring_key())
    second = _outcome(year, profile_name, scale, whatif.Settings.from_key(after).scoring_key())
    return whatif.pair(ranked(year, profile_name, scale), first, second)


def pairs(year: int, profile_name: str, scale: str, before: tuple, after: tuple) -> pd.DataFrame:
    """Each ranked firm's total, rank and tier under two scenarios (`whatif.paired`'s frame).

    Shared: read it, never write into it. Re-ranked on the scenarios' scoring keys only:
    moving a policy rate re-scores nothing.
    """
    return _pairs(year, profile_name, scale, before, after, _generation())


@st.cache_resource(max_entries=RESULT_ENTRIES, ttl=cache.CACHE_TTL_S, show_spinner=False)
def _fiscal(
    year: int, profile_name: str, scale: str, before: tuple, after: tuple, generation: int
) -> whatif.FiscalEffect | None:
    profile = cache.load_profile(profile_name)
    base_rates = profile.policy
    if base_rates is None:
        return None
    before_rates, after_rates = (
        whatif.apply(profile, scale, whatif.Settings.from_key(key)).policy or base_rates
        for key in (before, after)
    )
    pairs = _pairs(year, profile_name, scale, before, after, generation)
    return whatif.fiscal_effect(
        pairs,
        before_rates,
        after_rates,
        _history(year, profile_name, pairs),
        _held(pairs),
        _before_money(year, profile_name, scale, before, generation),
    )


@st.cache_resource(max_entries=RESULT_ENTRIES, ttl=cache.CACHE_TTL_S, show_spinner=False)
def _before_money(
    year: int, profile_name: str, scale: str, before: tuple, generation: int
) -> whatif.Money | None:
    """The money of the `before` side, priced once for every scenario compared with it (a
    frame of `before` against itself has the rows in the same order as against any other)."""
    profile = cache.load_profile(profile_name)
    rates = whatif.apply(profile, scale, whatif.Settings.from_key(before)).policy
    if rates is None:
        return None
    pairs = _pairs(year, profile_name, scale, before, before, generation)
    return whatif.side_money(
        pairs, rates, "before", _history(year, profile_name, pairs), _held(pairs)
    )


def _held(pairs: pd.DataFrame) -> np.ndarray | None:
    """The repeat history `whatif.prepare` looked up once per firm (`whatif.HELD`)."""
    return pairs[whatif.HELD].to_numpy(dtype=bool) if whatif.HELD in pairs else None


def _history(year: int, profile_name: str, pairs: pd.DataFrame) -> dict[int, pd.Series]:
    """The tiers of earlier years, only for a repeat rule whose history `pairs` does not carry
    already (`_ranked` always gives it): not kept per process, ~23 MB at 200,000 firms."""
    rates = cache.load_profile(profile_name).policy
    if rates is None or rates.repeat is None or whatif.HELD in pairs:
        return {}
    return cache.prior_tiers(year, profile_name)


def fiscal(
    year: int, profile_name: str, scale: str, before: tuple, after: tuple
) -> whatif.FiscalEffect | None:
    """The fiscal effect of `after` against `before` (None: the profile has no `[policy]`)."""
    return _fiscal(year, profile_name, scale, before, after, _generation())


@st.cache_data(
    max_entries=16, ttl=cache.CACHE_TTL_S, show_spinner=labels.WHATIF_TEXT["robustness_spinner"]
)
def robustness(
    year: int, profile_name: str, scale: str, key: tuple, runs: int, spread_pct: int, seed: int
) -> whatif.Robustness:
    """Tier robustness under random re-weighting of a scenario, cached per weight set."""
    profile = whatif.apply(cache.load_profile(profile_name), scale, whatif.Settings.from_key(key))
    scored = scoring.score_prepared(cache.year_data(year), profile)
    return whatif.robustness(
        scored,
        profile,
        scale,
        runs=runs,
        spread=spread_pct / 100,
        seed=seed,
        prior_tiers=cache.prior_tiers(year, profile_name),
    )


def scenarios(profile_name: str, scale: str) -> list[whatif.Scenario]:
    """Saved scenarios of a profile and scale (a small table, read fresh so saves show at once)."""
    return whatif.list_scenarios(cache.database().reader(), base_profile=profile_name, scale=scale)


def scenario(scenario_id: int) -> whatif.Scenario | None:
    """One saved scenario by id."""
    return whatif.get_scenario(cache.database().reader(), scenario_id)

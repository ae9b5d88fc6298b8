"""Cached computations of the what-if page, keyed by plain values (years, names, tuples).

Why small results: a slider step must cost little more than the engine's re-score, so what is
cached (and copied on every hit) is only the ranked firms of one scale with their total, rank
and tier — not the full scored frame. The raw year comes from `ui.cache.year_data` (read once),
so every move is one `score_prepared` call. All entries are dropped with the other data caches
by `ui.cache.clear_data_caches()` after an import.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from muyun import labels, scoring, whatif
from ui import cache

RANKED_COLUMNS: list[str] = [
    "credit_code",
    "name",
    "industry",
    "town",
    "scale",
    "status",
    "pool",
    "total",
    "rank",
    "tier",
    *whatif.MONEY_INPUTS,  # what the policy money reads (methodology §9)
]


@st.cache_data(max_entries=64, ttl=cache.CACHE_TTL_S, show_spinner=False)
def ranked(year: int, profile_name: str, scale: str, key: tuple) -> pd.DataFrame:
    """The ranked firms of a scale under a scenario (`whatif.Settings.key()`), re-scored."""
    settings = whatif.Settings.from_key(key)
    scored = whatif.rescore(
        cache.year_data(year), cache.load_profile(profile_name), scale, settings
    )
    return whatif.evaluated(scored, scale)[RANKED_COLUMNS].reset_index(drop=True)


@st.cache_data(max_entries=64, ttl=cache.CACHE_TTL_S, show_spinner=False)
def pairs(year: int, profile_name: str, scale: str, before: tuple, after: tuple) -> pd.DataFrame:
    """Each ranked firm's total, rank and tier under two scenarios (see `whatif.paired`).

    Re-scored on the scenarios' scoring keys only: moving a policy rate re-scores nothing.
    """
    first = whatif.Settings.from_key(before).scoring_key()
    second = whatif.Settings.from_key(after).scoring_key()
    return whatif.paired(
        ranked(year, profile_name, scale, first), ranked(year, profile_name, scale, second), scale
    )


@st.cache_data(max_entries=64, ttl=cache.CACHE_TTL_S, show_spinner=False)
def fiscal(
    year: int, profile_name: str, scale: str, before: tuple, after: tuple
) -> whatif.FiscalEffect | None:
    """The fiscal effect of `after` against `before` (None: the profile has no `[policy]`)."""
    profile = cache.load_profile(profile_name)
    base_rates = profile.policy
    if base_rates is None:
        return None
    before_rates, after_rates = (
        whatif.apply(profile, scale, whatif.Settings.from_key(key)).policy or base_rates
        for key in (before, after)
    )
    return whatif.fiscal_effect(
        pairs(year, profile_name, scale, before, after),
        before_rates,
        after_rates,
        cache.prior_tiers(year, profile_name),
    )


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

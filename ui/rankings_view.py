"""The rankings page's long tables for one view, built once and shared by every session.

Why cached per view: at province scale the ranking table (with last year's columns) and the
tier changes take about a second of CPU to build from the scored years, and every rerun of the
page (a sort, a column picked, a page turned) would build them again. The key is everything
they depend on: year, profile, basis and the sidebar filters, plus the page's search box and
its "show unranked" switch for the ranking table.
"""

from __future__ import annotations

import pandas as pd

from muyun import briefing, queries
from ui import cache
from ui.filters import Filters

# What the tier changes and the score distribution read (not all 83 columns of a scored year).
LEAN = ["credit_code", "name", "scale", "industry", "town", "pool", "status", "tier", "total"]


def _key(kind: str, f: Filters) -> tuple:
    return (kind, f.year, f.profile, cache.current_basis(), f.scale, f.industries, f.towns, f.tiers)


def _previous(f: Filters) -> pd.DataFrame | None:
    """Last year's slim tiers and places (`cache.year_lean`), None for the first year."""
    if f.year - 1 not in cache.available_years():
        return None
    return cache.year_lean(f.year - 1, f.profile)


def ranking_table(f: Filters, search: str, show_all: bool) -> pd.DataFrame:
    """The ranking table of the filters and search, with 上年分类 and 上年排名."""

    def build() -> pd.DataFrame:
        selected = f.select(cache.scored_year(f.year, f.profile), search)
        if not show_all:
            selected = queries.ranked(selected)
        table = queries.ranking_table(selected, cache.load_profile(f.profile), f.scale)
        return briefing.with_previous_year(table, _previous(f))

    return cache.shared((*_key("rank_table", f), search, show_all), build)


def tier_changes(f: Filters) -> pd.DataFrame:
    """Firms of the filters whose tier changed since last year (`briefing.tier_changes`); last
    year is cut to the same scale, industries and towns."""

    def build() -> pd.DataFrame:
        now = f.select(cache.scored_year(f.year, f.profile)[LEAN])
        previous = _previous(f)
        before = (
            None
            if previous is None
            else queries.filter_scored(
                previous, scale=f.scale, industries=f.industries, towns=f.towns
            )
        )
        return briefing.tier_changes(now, before)

    return cache.shared(_key("rank_changes", f), build)


def ranked_in_scope(f: Filters) -> pd.DataFrame:
    """The ranked firms of the scale, industries and towns (every tier): the distribution."""

    def build() -> pd.DataFrame:
        lean = cache.scored_year(f.year, f.profile)[LEAN]
        return queries.ranked(
            queries.filter_scored(lean, scale=f.scale, industries=f.industries, towns=f.towns)
        )

    return cache.shared(_key("rank_scope", f), build)


def pool_sizes(f: Filters) -> pd.DataFrame:
    """Every ranking pool of the scale with its size (`queries.pool_sizes`), whatever the
    industry, town and tier filters: a small pool is a warning about the method, not the view."""
    key = ("rank_pools", f.year, f.profile, cache.current_basis(), f.scale)
    return cache.shared(
        key,
        lambda: queries.pool_sizes(
            queries.filter_scored(cache.scored_year(f.year, f.profile)[LEAN], scale=f.scale)
        ),
    )

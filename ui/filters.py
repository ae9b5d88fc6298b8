"""The global filters (year, scale, industry, tier, town, profile), kept in the URL.

Why the URL: an official copies the address bar to a colleague and the colleague sees the same
view. Only allow-listed plain values are read back from `st.query_params`; anything else is
dropped, never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from muyun import labels, profile, queries
from ui.cache import database

DEFAULT_PROFILE = "yongkang-default"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected; empty tuples mean "all"."""

    year: int
    scale: str
    industries: tuple[str, ...]
    tiers: tuple[str, ...]
    towns: tuple[str, ...]
    profile: str


def _allowed(values: list[str], allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v for v in values if v in allowed)


def render_sidebar() -> Filters:
    """Draw the filter widgets, seeded from and written back to the URL; returns the selection."""
    con = database().reader()
    years = queries.available_years(con)
    towns = queries.town_names(con)
    profiles = tuple(profile.shipped_profiles())
    qp = st.query_params

    year_q = qp.get("year", "")
    year_default = int(year_q) if year_q.isdigit() and int(year_q) in years else years[-1]
    scale_default = qp.get("scale") if qp.get("scale") in labels.SCALES else labels.SCALES[0]
    profile_q = qp.get("profile", DEFAULT_PROFILE)
    profile_default = profile_q if profile_q in profiles else DEFAULT_PROFILE

    with st.sidebar:
        st.header("筛选")
        year = st.selectbox("年度", years, index=years.index(year_default), key="f_year")
        scale = st.radio(
            "规模", labels.SCALES, index=labels.SCALES.index(scale_default), key="f_scale",
            horizontal=True,
        )
        industries = st.multiselect(
            "行业", labels.INDUSTRIES,
            default=_allowed(qp.get_all("industry"), labels.INDUSTRIES), key="f_industry",
            placeholder="全部行业",
        )
        tiers = st.multiselect(
            "分类", labels.TIERS, default=_allowed(qp.get_all("tier"), labels.TIERS),
            format_func=lambda t: f"{t} {labels.TIER_CLASS[t]}", key="f_tier",
            placeholder="全部分类",
        )
        town_sel = st.multiselect(
            "镇街", towns, default=_allowed(qp.get_all("town"), tuple(towns)), key="f_town",
            placeholder="全部镇街",
        )
        profile_name = st.selectbox(
            "评价方案", profiles, index=profiles.index(profile_default), key="f_profile",
            format_func=lambda name: profile.shipped_profiles()[name],
        )

    filters = Filters(
        year=int(year),
        scale=scale,
        industries=tuple(industries),
        tiers=tuple(tiers),
        towns=tuple(town_sel),
        profile=profile_name,
    )
    write_url(filters)
    return filters


def write_url(filters: Filters) -> None:
    """Mirror the selection into the URL (plain strings only)."""
    params: dict[str, str | list[str]] = {
        "year": str(filters.year),
        "scale": filters.scale,
        "profile": filters.profile,
    }
    if filters.industries:
        params["industry"] = list(filters.industries)
    if filters.tiers:
        params["tier"] = list(filters.tiers)
    if filters.towns:
        params["town"] = list(filters.towns)
    if dict(st.query_params.to_dict()) != params or any(
        st.query_params.get_all(k) != (v if isinstance(v, list) else [v]) for k, v in params.items()
    ):
        st.query_params.from_dict(params)


def current() -> Filters:
    """The selection made by the sidebar in this run (set by `app.py` before the page runs)."""
    return st.session_state["filters"]

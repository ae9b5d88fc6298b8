"""The global filters (year, scale, industry, tier, town, profile), kept in the URL.

Why the URL: an official copies the address bar to a colleague and the colleague sees the same
view, e.g. `/rankings?year=2023&industry=杯业`. Each widget is bound to its query parameter
(`bind="query-params"`, the key is the parameter name), so Streamlit itself seeds the widget
from the URL, writes changes back, keeps the parameters across page switches and drops any value
that is not one of the widget's options — only allow-listed plain values ever reach the app.
The URL carries what the widget shows, so the tier filter shows plain letters (`?tier=D`); the
profile alone is kept by its stable id (`?profile=huangyan-2022`, see `_profile_picker`).
`basis` (正式发布 / 实时测算, `?basis=实时测算`) picks the published
evaluation run of the year or a live score of the current data (see `ui.cache.result_source`).
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from muyun import labels, queries
from muyun.profile import DEFAULT_PROFILE
from ui import cache

APP_FILE = Path(__file__).resolve().parent.parent / "app.py"
PROFILE_PARAM = "profile"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected; empty tuples mean "all"."""

    year: int
    scale: str
    industries: tuple[str, ...]
    tiers: tuple[str, ...]
    towns: tuple[str, ...]
    profile: str
    basis: str = cache.BASIS_PUBLISHED

    def select(self, frame: pd.DataFrame, search: str = "") -> pd.DataFrame:
        """The rows of a scored year (or its summary) inside every sidebar filter."""
        return queries.filter_scored(
            frame,
            scale=self.scale,
            industries=self.industries,
            towns=self.towns,
            tiers=self.tiers,
            search=search,
        )


def render_sidebar(disabled: bool = False) -> Filters:
    """Draw the filter widgets (seeded from and written back to the URL); returns the selection.

    The widget keys are the URL parameter names (year, scale, industry, tier, town, profile), so
    no other page may use them as widget keys. `disabled` greys them out on a page that shows
    everything whatever the filters (数据管理), so no one believes they apply there.
    """
    years = cache.available_years()
    towns = tuple(cache.towns()["name"])
    profiles = cache.profile_names()
    text = labels.FILTER_LABELS

    with st.sidebar:
        st.header(text["header"])
        year = st.selectbox(
            text["year"],
            years,
            index=len(years) - 1,
            key="year",
            bind="query-params",
            disabled=disabled,
        )
        scale = st.radio(
            text["scale"],
            labels.SCALES,
            key="scale",
            horizontal=True,
            bind="query-params",
            disabled=disabled,
        )
        industries = st.multiselect(
            text["industry"],
            labels.INDUSTRIES,
            key="industry",
            disabled=disabled,
            placeholder=text["all_industries"],
            bind="query-params",
        )
        tiers = st.multiselect(
            text["tier"],
            labels.TIERS,
            key="tier",
            disabled=disabled,
            placeholder=text["all_tiers"],
            help=labels.CLAUSE_SEP.join(f"{t} {name}" for t, name in labels.TIER_CLASS.items()),
            bind="query-params",
        )
        town_sel = st.multiselect(
            text["town"],
            towns,
            key="town",
            placeholder=text["all_towns"],
            bind="query-params",
            disabled=disabled,
        )
        profile_name = _profile_picker(text["profile"], profiles, int(year), disabled)
        basis = _basis_switch(int(year), str(profile_name))

    return Filters(
        year=int(year),
        scale=str(scale),
        industries=tuple(industries),
        tiers=tuple(tiers),
        towns=tuple(town_sel),
        profile=str(profile_name),
        basis=basis,
    )


def _profile_picker(label: str, profiles: dict[str, str], year: int, disabled: bool = False) -> str:
    """The profile, kept in the URL by its stable id (file stem): `?profile=huangyan-2022`.

    Why not `bind="query-params"` like the other filters: a bound selectbox writes its display
    text into the URL, so a link built from the stem (a saved scenario's share link) was dropped
    as unknown and opened the default profile. The URL seeds the choice once per session; a
    link naming the display text (older links) still works; the stem is written back each run.
    """
    stems = tuple(profiles)
    default = DEFAULT_PROFILE if DEFAULT_PROFILE in stems else stems[0]
    # Profiles by year (issue 17): the year picks the profile that states it, and a profile
    # stating other years gives way to it when the year changes.
    default = cache.year_profile(year, default)
    stated = cache.profile_years().get(str(st.session_state.get(PROFILE_PARAM, "")), ())
    if stated and year not in stated:
        st.session_state[PROFILE_PARAM] = default
    if st.session_state.get(PROFILE_PARAM) not in stems:
        requested = st.query_params.get(PROFILE_PARAM, "")
        by_name = {name: stem for stem, name in profiles.items()}
        st.session_state[PROFILE_PARAM] = (
            requested if requested in stems else by_name.get(requested, default)
        )
    chosen = str(
        st.selectbox(
            label,
            stems,
            format_func=lambda stem: profiles[stem],
            key=PROFILE_PARAM,
            disabled=disabled,
        )
    )
    if chosen == default:
        st.query_params.pop(PROFILE_PARAM, None)
    elif st.query_params.get(PROFILE_PARAM) != chosen:
        st.query_params[PROFILE_PARAM] = chosen
    return chosen


def _basis_switch(year: int, profile_name: str) -> str:
    """正式发布 / 实时测算 for the year, with the published run and the count of firms whose tier
    differs; only live exists (and is said) before the year is published under this profile."""
    text = labels.BASIS_TEXT
    differs = cache.tier_differences(year, profile_name)
    if differs is None:
        st.caption(f":material/bolt: {text['not_published'].format(year=year)}")
        return cache.BASIS_PUBLISHED
    basis = st.radio(
        text["label"],
        cache.BASES,
        format_func=lambda b: text[b],
        key="basis",
        horizontal=True,
        bind="query-params",
        help=text["help"],
    )
    source = cache.result_source(year, profile_name, str(basis))
    if source.run_id is not None:
        st.caption(
            ":material/verified: "
            + text["caption_published"].format(
                run=source.run_id,
                date=f"{source.published_at:%Y-%m-%d}",
                differs=differs,
            )
        )
    else:
        st.caption(f":material/bolt: {text['caption_live'].format(differs=differs)}")
    return str(basis)


def current() -> Filters:
    """The selection made by the sidebar in this run (set by `app.py` before the page runs)."""
    require_app()
    return st.session_state["filters"]


def require_app() -> None:
    """Make sure the page runs inside app.py (navigation, sidebar, filters); pages call it first.

    Why: with a folder named `pages/` beside app.py, Streamlit runs a page file by itself (its
    legacy multipage mode: no sidebar, no filters) until app.py has called `st.navigation` once
    in the process — a fresh server's first visitor of a deep link such as
    `/rankings?year=2023`, and every AppTest run after the first. Then this runs app.py in
    place, which draws the sidebar and runs this same page inside it, and stops the outer run;
    widget state and the address are untouched.
    """
    if getattr(PagesManager, "uses_pages_directory", False):
        runpy.run_path(str(APP_FILE), run_name="__main__")
        st.stop()

"""方法实验室: check the method itself before a year is scored and published — data quality,
redundant indicators, how much ranks and tiers depend on the weights and the cap — and prepare
next year's profile from this year's data, with the diff and a saved history.

Only the open tab runs (its name is kept in the URL, `?lab_tab=敏感性`): at province scale each
tab is seconds of work the official did not ask for.
"""

from __future__ import annotations

import streamlit as st

from muyun import labels
from ui import cache, filters, method_lab

T = labels.METHOD_LAB_TEXT

f = filters.current()
prof = cache.load_profile(f.profile)
st.title(labels.PAGE_TITLES["method"])
st.caption(T["intro"])

quality_tab, redundancy_tab, sensitivity_tab, profiles_tab = st.tabs(
    [T["tab_quality"], T["tab_redundancy"], T["tab_sensitivity"], T["tab_profiles"]],
    key=method_lab.TAB_KEY,
    bind="query-params",
)
if quality_tab.open:
    with quality_tab:
        method_lab.quality_tab(f.year, f.profile, prof)
if redundancy_tab.open:
    with redundancy_tab:
        method_lab.redundancy_tab(f.year, f.profile, f.scale)
if sensitivity_tab.open:
    with sensitivity_tab:
        method_lab.sensitivity_tab(f.year, f.profile, prof, f.scale)
if profiles_tab.open:
    with profiles_tab:
        method_lab.profiles_tab(f.year, f.profile, prof)

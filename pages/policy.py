"""政策测算: what the year's tiers cost the treasury in land-use-tax relief and raise in
electricity/water surcharges (methodology §9), by tier, industry and town, with the firms behind
every figure. Every figure is a sum of the per-firm columns of `muyun.policy`.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from muyun import export, labels, policy, queries
from ui import cache, filters, fmt, policy_view

T = labels.POLICY_TEXT
H = labels.POLICY_HEADERS
GROUP_LABELS = {"tier": T["by_tier"], "industry": T["by_industry"], "town": T["by_town"]}
GROUP_HEADERS = {"tier": H["tier"], "industry": H["industry"], "town": H["town"]}
ALL = ""

f = filters.current()
prof = cache.load_profile(f.profile)
st.title(labels.PAGE_TITLES["policy"])
if prof.policy is None:
    st.info(T["no_policy"].format(profile=prof.name))
    st.stop()

policy_view.notice(prof)
st.caption(T["intro"].format(year=f.year, profile=prof.name))
source = cache.result_source(f.year, f.profile)
st.caption(f"{source.label} · {T[f'{source.kind}_note']}")  # published_note / live_note

frame = queries.filter_scored(
    cache.policy_year(f.year, f.profile), industries=f.industries, towns=f.towns, tiers=f.tiers
)
policy_view.metrics(policy.total(frame))
repeat = prof.policy.repeat
if repeat is not None:
    st.caption(
        T["repeat_note"].format(
            tier=repeat.tier,
            years=repeat.years,
            rate=repeat.rate,
            n=int(frame["repeat_escalated"].sum()),
        )
    )

by = st.segmented_control(
    T["by"],
    list(policy.GROUPS),
    format_func=GROUP_LABELS.__getitem__,  # not a lambda: see pages/enterprise.py
    default="tier",
    key="pol_by",
    bind="query-params",
    required=True,
)
by = by if by in policy.GROUPS else "tier"
table = policy.totals_by(frame, by)
policy_view.totals_table(table, GROUP_HEADERS[by], "pol_totals")

group = st.selectbox(
    T["pick_group"],
    [ALL, *table["group"]],
    format_func={ALL: T["all_groups"], **{g: g for g in table["group"]}}.__getitem__,  # no lambda
    key=f"pol_group_{by}",
)
shown = [c for c in policy_view.FIRM_COLUMNS if c in frame.columns]
behind = policy.firms_behind(frame, by, group or None, shown)
label = T["all_groups"] if group == ALL else fmt.escape_markdown(group)  # imported names
st.markdown(f"**{T['firms_behind'].format(label=label, n=len(behind))}**")
policy_view.firms_table(behind, "pol_firms", scope=(f, by, group))
st.download_button(
    T["download"],
    # Written on click: the CSV of every firm is not rebuilt on each run of the page.
    data=partial(export.to_csv_bytes, behind),
    file_name=f"policy-{f.year}-{by}.csv",
    mime="text/csv",
    on_click="ignore",
    key="pol_download",
    icon=":material/download:",
)

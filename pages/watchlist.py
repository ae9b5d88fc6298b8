"""预警关注: the firms likely to fall a tier, or into D, next year, each with its reasons; and how
many firms sit under each 警戒值 or at each 优质值 of the profile (issue 14)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from muyun import export, labels, queries, watchlist
from ui import cache, filters, paged_table, regional, tables

T = labels.WATCH_TEXT
H = labels.WATCH_HEADERS
KINDS = labels.WATCH_REASON_KINDS

f = filters.current()
prof = cache.load_profile(f.profile)
rule = watchlist.rule_of(prof)
st.title(labels.PAGE_TITLES["watchlist"])
source = cache.result_source(f.year, f.profile)
intro = T["intro"].format(
    year=f.year, margin=rule.margin_points, n=rule.decline_years, profile=prof.name
)
st.caption(f"{intro} {source.label}")
if prof.warning is None:
    st.info(T["no_rule"].format(profile=prof.name), icon=":material/info:")
elif rule.illustrative:
    st.caption(f":material/science: {T['illustrative'].format(source=rule.source)}")

listed = regional.watch_list(f.year, f.profile, cache.current_basis())
listed = queries.filter_scored(
    listed, scale=f.scale, industries=f.industries, towns=f.towns, tiers=f.tiers
)
cards = st.columns(4)
cards[0].metric(T["n_listed"], f"{len(listed):,} {labels.UNIT_FIRMS}")
cards[1].metric(T["n_near"], f"{int(listed['near_cutoff'].sum()):,} {labels.UNIT_FIRMS}")
cards[2].metric(T["n_alert"], f"{int(listed['alert'].sum()):,} {labels.UNIT_FIRMS}")
cards[3].metric(T["n_decline"], f"{int(listed['decline'].sum()):,} {labels.UNIT_FIRMS}")

list_tab, lines_tab = st.tabs([T["list_tab"], T["thresholds_tab"]])
with list_tab:
    kinds = st.pills(
        T["reason_filter"],
        list(KINDS),
        format_func=KINDS.__getitem__,  # not a lambda: see pages/enterprise.py
        selection_mode="multi",
        key="watch_kinds",
        bind="query-params",
    )
    if kinds:
        listed = listed[listed[list(kinds)].any(axis=1)]
    if listed.empty:
        st.info(T["empty"])
    else:
        # One page of the list on screen (tens of thousands of firms at province scale).
        headers = {c: H[c] for c in regional.SHOWN_COLUMNS}
        on_screen = paged_table.page_of(listed, "watch_table", headers, scope=(f, tuple(kinds)))
        regional.watch_table(on_screen, "watch_table")
        stem = export.file_stem(f.year, f.scale, f.industries, f.towns, f.tiers, T["file"])
        frame = listed[list(watchlist.EXPORT_COLUMNS)].copy()
        left, right = st.columns(2)
        left.download_button(
            T["download_xlsx"],
            data=partial(export.to_excel_bytes, frame, watchlist.export_header),
            file_name=f"{stem}.xlsx",
            icon=":material/download:",
            on_click="ignore",
            key="watch_xlsx",
        )
        right.download_button(
            T["download_csv"],
            data=partial(export.to_official_csv_bytes, frame, watchlist.export_header),
            file_name=f"{stem}.csv",
            icon=":material/download:",
            on_click="ignore",
            key="watch_csv",
        )

with lines_tab:
    counts = regional.threshold_counts(f.year, f.profile, cache.current_basis())
    st.dataframe(
        counts,
        hide_index=True,
        placeholder="—",
        column_config={
            "indicator": st.column_config.TextColumn(H["indicator"]),
            "basis": st.column_config.TextColumn(H["basis"]),
            "alert": tables.number_column(H["alert"]),
            "quality": tables.number_column(H["quality"]),
            "below_alert": tables.number_column(H["below_alert"], digits=0),
            "at_quality": tables.number_column(H["at_quality"], digits=0),
            "with_value": tables.number_column(H["with_value"], digits=0),
        },
    )

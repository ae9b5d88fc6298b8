"""镇街考核: the towns ranked on their firms' efficiency and against their targets, and one town's
own view — its firms and its progress (issue 14)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from muyun import export, formatting, labels, paging, queries, towns
from ui import cache, filters, paged_table, regional, tables

T = labels.TOWN_TEXT
H = labels.TOWN_HEADERS

f = filters.current()
basis = cache.current_basis()
st.title(labels.PAGE_TITLES["towns"])
source = cache.result_source(f.year, f.profile)
league = regional.town_league(f.year, f.profile, basis)
has_prev = (f.year - 1) in cache.available_years()
st.caption(T["intro"].format(year=f.year, prev=f.year - 1, source=source.label))
if not has_prev:
    st.caption(T["no_prev"])

league_tab, town_tab = st.tabs([T["league"], T["town_view"]])
with league_tab:
    key = st.selectbox(
        T["rank_by"],
        list(towns.RANK_KEYS),
        format_func=labels.TOWN_RANK_KEYS.__getitem__,  # not a lambda: see pages/enterprise.py
        key="town_rank_by",
        bind="query-params",
    )
    table = towns.ranked_by(league, key)
    shown = table.copy()
    for column in ("share_a", "share_d", "land_progress"):
        shown[column] = shown[column] * 100
    columns = [
        "place",
        "town",
        "firms",
        "tax_per_mu",
        "va_per_mu",
        "tax_per_mu_growth",
        "target_tax_per_mu_growth_pct",
        "va_per_mu_growth",
        "target_va_per_mu_growth_pct",
        "share_a",
        "share_d",
        "land_rectified_mu",
        "target_land_rectified_mu",
        "land_progress",
        "d_firms_cleared",
        "target_d_firms_cleared",
        "low_eff_handled",
        "target_low_eff_handled",
    ]
    config = {c: tables.number_column(H[c], digits=1) for c in columns}
    config["place"] = st.column_config.NumberColumn(H["place"], format="%d", pinned=True)
    config["town"] = st.column_config.TextColumn(H["town"], pinned=True)
    for c in ("firms", "d_firms_cleared", "target_d_firms_cleared", "low_eff_handled"):
        config[c] = tables.number_column(H[c], digits=0)
    config["target_low_eff_handled"] = tables.number_column(H["target_low_eff_handled"], digits=0)
    st.dataframe(
        shown[columns],
        hide_index=True,
        placeholder="—",
        column_config=config,
        height=tables.table_height(len(shown)),
        key="town_league",
    )
    st.download_button(
        T["download_xlsx"],
        data=partial(export.to_excel_bytes, shown[columns].copy(), lambda c: H.get(c, c)),
        file_name=f"{export.file_stem(f.year, T['file'])}.xlsx",
        icon=":material/download:",
        on_click="ignore",
        key="town_xlsx",
    )

with town_tab:
    names = list(league["town"])
    chosen = f.towns[0] if len(f.towns) == 1 and f.towns[0] in names else names[0]
    town = st.selectbox(
        T["pick_town"], names, index=names.index(chosen), key="town_pick", bind="query-params"
    )
    row = league[league["town"] == town].iloc[0]
    cards = st.columns(4)
    cards[0].metric(
        H["tax_per_mu"],
        formatting.number(row["tax_per_mu"], 2, ""),
        formatting.delta(row["tax_per_mu_growth"], 0.0, 1, "%") if has_prev else None,
    )
    cards[1].metric(H["va_per_mu"], formatting.number(row["va_per_mu"], 2, ""))
    cards[2].metric(H["firms"], formatting.number(row["firms"], 0, ""))
    cards[3].metric(H["land_mu"], formatting.number(row["land_mu"], 1, ""))
    all_firms = regional.town_firms(f.year, f.profile, basis, town)
    counts = towns.tier_counts(all_firms, town)
    st.caption(
        T["tiers_line"].format(
            counts=" · ".join(f"{t} {n} {labels.UNIT_FIRMS}" for t, n in counts.items())
        )
    )

    st.subheader(T["progress"])
    progress = st.columns(4)
    regional.progress_metric(
        progress[0],
        T["p_growth"],
        row["tax_per_mu_growth"],
        row["target_tax_per_mu_growth_pct"],
        1,
        "%",
        growth=True,
    )
    regional.progress_metric(
        progress[1],
        T["p_land"],
        row["land_rectified_mu"],
        row["target_land_rectified_mu"],
        1,
        labels.UNIT_MU,
    )
    regional.progress_metric(
        progress[2],
        T["p_d"],
        row["d_firms_cleared"],
        row["target_d_firms_cleared"],
        0,
        labels.UNIT_FIRMS,
    )
    regional.progress_metric(
        progress[3],
        T["p_low"],
        row["low_eff_handled"],
        row["target_low_eff_handled"],
        0,
        labels.UNIT_FIRMS,
    )

    st.subheader(T["firms"])
    firms = queries.filter_scored(all_firms, scale=f.scale, industries=f.industries, tiers=f.tiers)
    st.caption(T["scales_note"])
    firm_columns = ["credit_code", "name", "industry", "scale", "tier", "total", "tax_per_mu"]
    firm_columns += ["va_per_mu", "land_mu"]
    S = labels.SCORE_HEADERS
    # One page of the town's firms on screen (thousands of firms per town at province scale).
    paged_table.render(
        firms[firm_columns],
        "town_firms",
        scope=(f, town),
        hide_index=True,
        placeholder="—",
        column_config={
            "credit_code": st.column_config.TextColumn(S["credit_code"]),
            "name": st.column_config.TextColumn(S["name"]),
            "industry": st.column_config.TextColumn(S["industry"]),
            "scale": st.column_config.TextColumn(S["scale"]),
            "tier": st.column_config.TextColumn(S["tier"], width="small"),
            "total": tables.number_column(S["total"], labels.UNIT_POINTS),
            "tax_per_mu": tables.indicator_column("tax_per_mu"),
            "va_per_mu": tables.indicator_column("va_per_mu"),
            "land_mu": tables.number_column(H["land_mu"]),
        },
        height=tables.table_height(min(len(firms), paging.PAGE_ROWS), 500),
    )
    st.download_button(
        T["download_firms"],
        data=partial(export.to_excel_bytes, firms[firm_columns].copy()),
        file_name=f"{export.file_stem(f.year, town, T['firms_file'])}.xlsx",
        icon=":material/download:",
        on_click="ignore",
        key="town_firms_xlsx",
    )

"""企业画像: one firm — why it got its tier, how it compares, its history and its leases."""

from __future__ import annotations

import re

import streamlit as st

from muyun import formatting, labels, paging, queries
from ui import (
    cache,
    filters,
    firm_charts,
    fmt,
    policy_view,
    regional,
    report_buttons,
    tables,
)

T = labels.ENTERPRISE_TEXT
f = filters.current()
prof = cache.load_profile(f.profile)
st.title(labels.PAGE_TITLES["enterprise"])

scored = cache.scored_year(f.year, f.profile)
search = st.text_input(T["search"], key="ent_search", placeholder=T["search_placeholder"])
matches = f.select(scored, search)
# The picker lists the first matches only (ranked firms first): a list of every firm was
# 136,000 options (9 MB) at province scale; the search box narrows it to the firm wanted.
listed = paging.first_choices(matches)
codes = list(listed["credit_code"])
names = dict(zip(listed["credit_code"], listed["name"], strict=True))

# `?code=` opens a firm directly (links from other pages, a copied address); it wins over the
# picker's previous choice whenever the URL names a different firm than last time.
url_code = st.query_params.get("code", "")
url_row = queries.firm_row(scored, url_code) if url_code else None
# A search the URL's firm does not match shows the matches (or 无匹配), never the old firm.
if search.strip() and not (matches["credit_code"] == url_code).any():
    url_row = None
if url_row is not None and url_code not in codes:
    codes.insert(0, url_code)
    names[url_code] = url_row["name"]
if url_row is not None and st.session_state.get("ent_url_seen") != url_code:
    st.session_state["ent_code"] = url_code
st.session_state["ent_url_seen"] = url_code

if not codes:
    st.info(T["no_match"])
    st.stop()

# A bound method, not a lambda: Streamlit keeps a widget's format_func until the session
# ends, and a lambda here would keep the whole page (every frame on it) alive with it.
n_matches = formatting.number(len(matches), 0)
code = st.selectbox(
    T["pick"].format(n=n_matches)
    if len(matches) <= paging.PICK_ROWS
    else labels.PAGED_TABLE_TEXT["pick_top"].format(n=n_matches, shown=paging.PICK_ROWS),
    codes,
    format_func={c: labels.NAME_WITH_CODE.format(name=names[c], code=c) for c in codes}.__getitem__,
    key="ent_code",
)
if st.query_params.get("code") != code:
    st.query_params["code"] = code
st.session_state["ent_url_seen"] = code

row = queries.firm_row(scored, code)
assert row is not None  # `code` is one of the scored firms offered above
# Streamlit's Markdown links "www.…", "http://…" and "a@b.c" found in plain text even after
# escaping; invisible word joiners around ".", ":" and "@" keep an imported name plain text.
st.subheader(fmt.escape_markdown(re.sub(r"([.:@])", "\u2060\\1\u2060", str(row["name"]))))
st.caption(
    T["identity"].format(
        code=code, industry=row["industry"], town=row["town"], scale=row["scale"], year=f.year
    )
)

history = cache.firm_history(code, f.profile)
prev_total = queries.previous_total(history, f.year)

tier = row["tier"]
ranked_firm = row["status"] == labels.STATUS_EVALUATED
cards = st.columns([3, 2, 2, 2])  # the tier card reads “A · 重点扶持类” in full
cards[0].metric(
    labels.SCORE_HEADERS["tier"],
    (
        f"{tier} · {labels.TIER_CLASS[tier]}"
        if tier in labels.TIER_CLASS
        else labels.STATUS_EXEMPT
        if ranked_firm  # a ranked firm without a tier: overridden to 不定级
        else row["status"]
    ),
    # A published run's 调档 (muyun.evaluation) is said beside the tier, never hidden.
    help=row.get("override") or None,
)
cards[1].metric(
    T["rank"],
    f"{row['rank']} / {row['pool_size']}" if ranked_firm else "—",
    help=T["rank_help"].format(pool=row["pool"]),
)
cards[2].metric(
    labels.SCORE_HEADERS["total"],
    formatting.number(row["total"], 2, labels.UNIT_POINTS),
    formatting.delta(row["total"], prev_total, 2, labels.UNIT_POINTS),
)
cards[3].metric(
    labels.SCORE_HEADERS["land_mu"],
    formatting.number(row["land_mu"], 2, labels.UNIT_MU),
    help=T["land_help"].format(
        own=row["land_own_mu"], leased_in=row["leased_in_mu"], leased_out=row["leased_out_mu"]
    ),
)
if not ranked_firm:
    st.info(T["not_ranked"].format(status=row["status"], reason=row["reason"]))
elif row["tier_before_veto"] != tier:
    st.warning(T["veto"].format(before=row["tier_before_veto"], after=tier))
if prof.policy is not None:  # the money of the tier (methodology §9)
    policy_view.firm_money(f.year, code, f.profile)

st.subheader(T["computation"])
if row["status"] == labels.STATUS_NOT_EVALUATED:
    st.caption(T["no_computation"])
else:
    H = labels.COMPUTATION_HEADERS
    table = queries.computation_table(row, prof)
    st.dataframe(
        table.drop(columns="kind"),
        hide_index=True,
        placeholder="—",
        column_config={
            "item": st.column_config.TextColumn(H["item"]),
            "value": tables.number_column(H["value"], digits=4),
            "unit": st.column_config.TextColumn(H["unit"], width=115),  # 万元/吨标准煤 in full
            "benchmark": tables.number_column(H["benchmark"], digits=4),
            "weight": st.column_config.NumberColumn(H["weight"], format="%g"),
            "cap": st.column_config.NumberColumn(H["cap"], format="%g"),
            "score": tables.number_column(H["score"]),
            "imputed": st.column_config.CheckboxColumn(H["imputed"]),
        },
        height=tables.table_height(len(table)),
    )
    st.caption(T["formula"])

    st.subheader(T["comparison"])
    comparison = queries.firm_comparison(scored, row, prof)
    # The table on its own line: beside the radar its headers ("行业平均（总量比）") were cut.
    C = labels.COMPARISON_HEADERS
    st.dataframe(
        comparison[["indicator", "unit", "value", "industry_average", "a_entry"]],
        hide_index=True,
        placeholder="—",
        column_config={
            "indicator": st.column_config.TextColumn(C["indicator"], width=200),
            "unit": st.column_config.TextColumn(C["unit"], width=130),
            "value": tables.number_column(C["value"], digits=2, width=110),
            "industry_average": tables.number_column(C["industry_average"], width=140),
            "a_entry": tables.number_column(C["a_entry"], width=130),
        },
    )
    st.caption(T["comparison_note"].format(pool=row["pool"], min_firms=queries.A_ENTRY_MIN_FIRMS))
    firm_charts.score_rates(comparison)

st.subheader(T["history"])
if history.empty:
    st.caption(T["no_history"])
else:
    HH = labels.HISTORY_HEADERS
    # Table and chart one under the other: side by side the table's right columns were cut.
    st.dataframe(
        history.assign(tier=history["tier"].fillna("") + " " + history["tier_class"].fillna("")),
        column_order=["year", "status", "total", "rank", "pool_size", "tier"],
        hide_index=True,
        placeholder="—",
        column_config={
            "year": st.column_config.NumberColumn(HH["year"], format="%d"),
            "status": st.column_config.TextColumn(HH["status"]),
            "total": tables.number_column(HH["total"], labels.UNIT_POINTS),
            "rank": st.column_config.NumberColumn(HH["rank"], format="%d"),
            "pool_size": tables.number_column(HH["pool_size"], labels.UNIT_FIRMS, 0),
            "tier": st.column_config.TextColumn(HH["tier"]),
            "tier_class": st.column_config.TextColumn(HH["tier_class"]),
        },
    )
    firm_charts.history(history)

st.subheader(T["leases"])
leases = cache.firm_leases(f.year, code)
if leases.empty:
    st.caption(T["no_leases"])
else:
    unregistered, unregistered_mu = queries.unregistered_leases(leases)
    if unregistered:
        st.warning(labels.UNREGISTERED_LEASE_WARNING.format(n=unregistered, mu=unregistered_mu))
    L = labels.LEASE_HEADERS
    st.dataframe(
        leases,
        hide_index=True,
        placeholder="—",
        column_config={
            "direction": st.column_config.TextColumn(L["direction"]),
            "counterpart_code": st.column_config.TextColumn(L["counterpart_code"]),
            "counterpart_name": st.column_config.TextColumn(L["counterpart_name"]),
            "land_mu": tables.number_column(L["land_mu"]),
            "floor_area_m2": tables.number_column(L["floor_area_m2"], digits=0),
            "registered": st.column_config.CheckboxColumn(L["registered"]),
            "record_no": st.column_config.TextColumn(L["record_no"]),
        },
    )

regional.firm_block(f.year, code, f.profile)  # early warning (issue 14)

st.divider()
st.subheader(T["report"])
report_buttons.render(f.year, code, f.profile)

"""行业排名: the scored table for the filters (last year's tier and rank beside), the method
legend, tier changes since last year, score distributions, pool sizes and exports."""

from __future__ import annotations

from functools import partial

import altair as alt
import streamlit as st

from muyun import export, formatting, labels, paging, queries
from ui import (
    cache,
    filters,
    fmt,
    method_legend,
    paged_table,
    rank_changes,
    rankings_view,
    report_buttons,
    tables,
)

T = labels.RANKINGS_TEXT
X = labels.RANKINGS_EXTRA
BOX_COLOUR = labels.FIRM_COLOUR  # the product's blue, as the firm report draws a firm
BOX_WIDTH_EXPR = alt.ExprRef("bandwidth('x') * 0.5")  # the median tick as wide as the box

f = filters.current()
prof = cache.load_profile(f.profile)
st.title(labels.PAGE_TITLES["rankings"])
st.caption(T["scope"].format(year=f.year, scale=f.scale, profile=prof.name))
method_legend.render(prof, f.scale)

search_col, others_col = st.columns([3, 1])
search = search_col.text_input(T["search"], key="rank_search", placeholder=T["search_placeholder"])
show_all = others_col.toggle(T["show_unranked"], key="rank_show_unranked")

table = rankings_view.ranking_table(f, search, show_all)
# Rank, tier, name and score first, so 综合得分 is on screen at 1280 px; the rest is optional.
FIXED = ["rank", "tier", "name", "total"]
optional = [c for c in table.columns if c not in FIXED]
DEFAULT_SHOWN = ["tier_before", "rank_before", "tier_class", "industry", "town", "pool_size"]
config = {
    **tables.ranking_column_config(prof, f.scale),
    "name": st.column_config.TextColumn(labels.SCORE_HEADERS["name"], pinned=True, width="large"),
    "tier_before": st.column_config.TextColumn(X["tier_before"], width="small"),
    "rank_before": tables.number_column(X["rank_before"], None, 0),
}


# The header each column shows (and is offered under in the column and sort pickers). A dict's
# bound method, not a function of this page: Streamlit keeps a widget's format_func until the
# session ends, and a page function would keep the whole page (every frame on it) alive with it.
column_header = {
    c: str(config[c]["label"]) if c in config else labels.score_header(c) for c in table.columns
}


shown = st.multiselect(
    X["columns"],
    optional,
    default=[c for c in DEFAULT_SHOWN if c in optional],
    format_func=column_header.__getitem__,
    key="rank_columns",
    help=X["columns_help"],
)
order = [*FIXED, *[c for c in shown if c in optional]]
count = T["count"] if len(table) <= paging.PAGE_ROWS else labels.PAGED_TABLE_TEXT["rank_count"]
st.caption(count.format(n=formatting.number(len(table), 0)))
# One page of the table goes to the browser (136,000 rows at province scale were 34 MB).
on_screen, event = paged_table.render(
    table,
    "rank_table",
    column_config=config,
    column_order=order,
    headers={c: column_header[c] for c in order},
    scope=(f, search, show_all),
    hide_index=True,
    placeholder="—",
    height=520,
    on_select="rerun",
    selection_mode="single-row",
)
if event.selection.rows:
    chosen = on_screen.iloc[event.selection.rows[0]]
    label = T["open_firm"].format(name=fmt.escape_markdown(str(chosen["name"])))
    if st.button(label, icon=":material/open_in_new:", key="rank_open_firm"):
        st.switch_page("pages/enterprise.py", query_params={"code": chosen["credit_code"]})

stem = export.file_stem(
    f.year, f.scale, f.industries, f.tiers, f.towns, labels.PAGE_TITLES["rankings"]
)
shown_table = table[order]
excel_col, csv_col, _ = st.columns([1, 1, 3])
excel_col.download_button(
    T["excel"],
    data=partial(export.to_excel_bytes, shown_table.copy(), rank_changes.header),
    file_name=f"{stem}.xlsx",
    mime=rank_changes.XLSX_MIME,
    on_click="ignore",
    icon=":material/download:",
)
csv_col.download_button(
    T["csv"],
    data=partial(export.to_official_csv_bytes, shown_table.copy(), rank_changes.header),
    file_name=f"{stem}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)

codes = queries.ranked(table[["credit_code", "status"]])["credit_code"]
report_buttons.render_batch(f.year, list(codes), f.profile)

changes = rankings_view.tier_changes(f)
rank_changes.render(changes, stem)

ranked_scope = rankings_view.ranked_in_scope(f)
dist_col, pool_col = st.columns([3, 2])
with dist_col:
    st.subheader(T["distribution"])
    if ranked_scope.empty:
        st.info(T["empty"])
    else:
        # Five numbers per industry, not every firm's score (1.5 MB at province scale): a rule
        # from whisker to whisker, a bar from q1 to q3, a tick at the median.
        boxes = paging.box_stats(ranked_scope, "total", "industry")
        present = list(boxes["industry"])
        order = [i for i in labels.INDUSTRIES if i in present]
        order += [i for i in present if i not in order]
        score_title = tables.header(labels.SCORE_HEADERS["total"], labels.UNIT_POINTS)
        base = alt.Chart(boxes).encode(
            x=alt.X(
                "industry:N",
                sort=order,
                title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=90),
            ),
            tooltip=[
                alt.Tooltip("industry:N", title=labels.SCORE_HEADERS["industry"]),
                *[
                    alt.Tooltip(
                        f"{stat}:Q", title=tables.header(name, labels.UNIT_POINTS), format=",.2f"
                    )
                    for stat, name in labels.BOX_STAT_NAMES.items()
                ],
            ],
        )
        score = alt.Scale(zero=False, nice=True)
        whiskers = base.mark_rule(color=BOX_COLOUR).encode(
            y=alt.Y("lowerfence:Q", title=score_title, scale=score),
            y2="upperfence:Q",
        )
        box = base.mark_bar(
            color=BOX_COLOUR, opacity=0.45, stroke=BOX_COLOUR, width=alt.RelativeBandSize(0.5)
        ).encode(y="q1:Q", y2="q3:Q")
        median = base.mark_tick(color=BOX_COLOUR, thickness=2, size=BOX_WIDTH_EXPR).encode(
            y="median:Q"
        )
        chart = (whiskers + box + median).properties(height=380)
        st.altair_chart(chart, width="stretch")

with pool_col:
    st.subheader(T["pools"])
    pools = rankings_view.pool_sizes(f)
    small = pools[pools["small"]]
    if not small.empty:
        st.warning(
            labels.SMALL_POOL_WARNING.format(
                n=queries.SMALL_POOL,
                pools=labels.LIST_SEP.join(
                    labels.SMALL_POOL_ITEM.format(pool=p, n=n)
                    for p, n in zip(small["pool"], small["pool_size"], strict=True)
                ),
            )
        )
    st.dataframe(
        pools[["pool", "pool_size", "small"]],
        hide_index=True,
        placeholder="—",
        column_config={
            "pool": st.column_config.TextColumn(labels.SCORE_HEADERS["pool"]),
            "pool_size": tables.number_column(
                labels.SCORE_HEADERS["pool_size"], labels.UNIT_FIRMS, 0
            ),
            "small": st.column_config.CheckboxColumn(T["small_pool"].format(n=queries.SMALL_POOL)),
        },
    )

"""低效用地整治: rectified land against targets, micro-enterprise parks, funds, plot-ratio
upgrades and the managed list of low-efficiency firms. Renders only; figures come from
`muyun.land` through `ui.land_cache`.

Only the open tab runs (its name is kept in the URL, `?land_tab=低效企业清单`): at province scale
the list scores two years, and the other tabs' charts cost the browser seconds unseen.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from muyun import formatting, labels, land
from ui import filters, land_cache, land_list, land_tabs, tables

T = labels.LAND_TEXT
H = labels.LAND_HEADERS
MU_FORMAT = tables.number_format(2)  # 亩 and 公顷 in tables: two places, as land registers
PCT_FORMAT = tables.number_format(1)  # a percentage number under a header that carries "（%）"
COUNT_FORMAT = "%,d"
CHART_HEIGHT_PX = 420
MU_CHART_FORMAT = ",.2f"  # 亩 in tooltips: two places, as the tables beside the charts
TARGET_COLOUR = "#333333"
OTHER_COLOUR = "#999999"


def _pct(share: float | None) -> str:
    """A share as "118.9%" (an em dash without a target)."""
    return "—" if share is None or pd.isna(share) else f"{formatting.number(share * 100, 1)}%"


def _headers(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame.rename(columns={c: headers.get(c, c) for c in frame.columns})


def _mu_column(name: str) -> ColumnConfig:
    """A 亩 column headed with its unit, e.g. "集中连片拆除（亩）"."""
    return tables.number_column(name, labels.UNIT_MU, digits=2)


def _category_colour(order: list[str]) -> alt.Color:
    """The same colour and legend order for the five categories in every chart; the legend
    under the plot, so a half-width chart keeps its width for the bars."""
    return alt.Color(
        "category:N",
        title=None,
        sort=order,
        scale=alt.Scale(
            domain=order,
            # The importer admits only the five categories; grey marks anything else.
            range=[labels.RECTIFICATION_COLOURS.get(c, OTHER_COLOUR) for c in order],
        ),
        # Two columns of whole names fit a half-width chart only with a 12 px label close to
        # its symbol (the theme's 14 px and 16 px gap cut the second column).
        legend=alt.Legend(
            orient="bottom",
            columns=2,
            labelLimit=0,
            labelFontSize=12,
            labelPadding=4,
            symbolType="square",
        ),
    )


def _area_tooltip(where: alt.Tooltip) -> list[alt.Tooltip]:
    """Where (a town, a year), the category and its 亩, as the tables beside the charts."""
    return [
        where,
        alt.Tooltip("category:N", title=H["category"]),
        alt.Tooltip("area_mu:Q", title=H["area_mu"], format=MU_CHART_FORMAT),
    ]


def _stack_order(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Adds each category's place in `order`, so the stacks follow the legend."""
    return frame.assign(stack=frame["category"].map({c: i for i, c in enumerate(order)}))


def _town_chart(by_town: pd.DataFrame, categories: list[str], order: list[str]) -> alt.Chart:
    """Rectified 亩 by town in the table's order (largest first), stacked by category."""
    ranked = by_town.assign(rank=range(len(by_town)))
    long = ranked.melt(
        id_vars=["town", "rank"], value_vars=categories, var_name="category", value_name="area_mu"
    )
    return (
        alt.Chart(_stack_order(long, order))
        .mark_bar()
        .encode(
            x=alt.X("area_mu:Q", title=H["area_mu"], axis=alt.Axis(format=",d")),
            y=alt.Y(
                "town:N",
                title=H["town"],
                # Sorted by a rank in the data: town names stay out of the spec (data only).
                sort=alt.EncodingSortField("rank", op="min"),
                axis=alt.Axis(labelOverlap=False),  # every town named, as in the table below
            ),
            color=_category_colour(order),
            order=alt.Order("stack:Q"),
            tooltip=_area_tooltip(alt.Tooltip("town:N", title=H["town"])),
        )
        .properties(height=CHART_HEIGHT_PX)
    )


def _trend_chart(
    history: pd.DataFrame, targets: pd.DataFrame, order: list[str]
) -> alt.Chart | alt.LayerChart:
    """Rectified 亩 per year stacked by category, each year's total target as a dashed line.

    One dataset: the target rows ride in the same frame under the series name of the line.
    Years are ordinal, so every year has its tick (a year of targets alone included).
    """
    target_name = T["trend_target"]
    rows = _stack_order(history[["year", "category", "area_mu"]], order)
    if not targets.empty:
        target_rows = targets.rename(columns={"year_target_mu": "area_mu"})
        rows = pd.concat(
            [rows, target_rows.assign(category=target_name, series=target_name)], ignore_index=True
        )
    base = alt.Chart(rows).encode(
        x=alt.X("year:O", title=H["year"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("area_mu:Q", title=H["area_mu"], axis=alt.Axis(format=",d")),
    )
    bars = (
        base.transform_filter(alt.datum.category != target_name)
        .mark_bar()
        .encode(
            color=_category_colour(order),
            order=alt.Order("stack:Q"),
            tooltip=_area_tooltip(alt.Tooltip("year:O", title=H["year"])),
        )
    )
    line = (
        base.transform_filter(alt.datum.category == target_name)
        .mark_line(point=alt.OverlayMarkDef(color=TARGET_COLOUR), color=TARGET_COLOUR)
        .encode(
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(domain=[target_name], range=[[6, 4]]),
                legend=alt.Legend(
                    orient="top", labelFontSize=12, labelPadding=4, symbolType="stroke"
                ),
            ),
            tooltip=[
                alt.Tooltip("year:O", title=H["year"]),
                alt.Tooltip("area_mu:Q", title=H["target_mu"], format=MU_CHART_FORMAT),
            ],
        )
    )
    if targets.empty:
        return bars.properties(height=CHART_HEIGHT_PX)
    return alt.LayerChart(layer=[bars, line], height=CHART_HEIGHT_PX)


def _land_year(selected: int) -> int | None:
    """The global year when the land data has it, else the page's own choice (nearest year).

    Next year's targets imported ahead of its projects add a land year the enterprise data
    lacks; that must not put a second year selector on every year's view (issue 13).
    """
    years = land_cache.land_years()
    if not years:
        return None
    if selected in years:
        return selected
    default = min(years, key=lambda y: (abs(y - selected), y))
    return st.selectbox(
        T["land_year"],
        years,
        index=years.index(default),
        key=f"land_year_{selected}",
        help=T["land_year_help"],
    )


def _progress_tab(year: int) -> None:
    view = land_cache.year_view(year)
    cats = view.categories
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T["total"].format(year=year), land.fmt_mu(view.total_mu))
    c2.metric(T["total_hectare"], land.fmt_hectare(view.total_mu))
    if view.total_target_mu:
        c3.metric(T["target"], land.fmt_mu(view.total_target_mu))
        c4.metric(T["progress"], _pct(view.total_progress))
    else:
        c3.metric(T["target"], "—", help=T["no_target"].format(year=year))
    st.caption(
        T["done"].format(area=land.fmt_mu(view.done_mu), hectare=land.fmt_hectare(view.done_mu))
    )

    st.subheader(T["by_category"])
    for row in cats.itertuples(index=False):
        area = land.fmt_category_area(row.category, row.area_mu)
        if pd.notna(row.target_mu) and row.target_mu > 0:
            text = T["category_progress"].format(
                category=row.category,
                area=area,
                target=land.fmt_mu(row.target_mu),
                pct=_pct(row.progress),
            )
            st.progress(min(float(row.progress), 1.0), text=text)
        else:
            st.markdown(T["category_no_target"].format(category=row.category, area=area))
    if view.total_target_mu and view.total_progress is not None:
        st.progress(
            min(float(view.total_progress), 1.0),
            text=T["total_progress"].format(
                area=land.fmt_mu(view.total_mu),
                target=land.fmt_mu(view.total_target_mu),
                pct=_pct(view.total_progress),
            ),
        )
    parts = " + ".join(
        land.fmt_category_area(c, a) for c, a in zip(cats["category"], cats["area_mu"], strict=True)
    )
    st.markdown(T["categories_sum"].format(parts=parts, total=land.fmt_mu(view.total_mu)))
    columns = ["category", "area_mu", "area_hectare", "target_mu", "progress_pct", "projects"]
    st.dataframe(
        cats[columns],
        placeholder="—",
        hide_index=True,
        column_config={
            "category": st.column_config.TextColumn(H["category"]),
            "area_mu": st.column_config.NumberColumn(H["area_mu"], format=MU_FORMAT),
            "area_hectare": st.column_config.NumberColumn(H["area_hectare"], format=MU_FORMAT),
            "target_mu": st.column_config.NumberColumn(H["target_mu"], format=MU_FORMAT),
            "progress_pct": st.column_config.NumberColumn(H["progress_pct"], format=PCT_FORMAT),
            "projects": st.column_config.NumberColumn(H["projects"], format=COUNT_FORMAT),
        },
        key="land_categories",
    )

    history = land_cache.trend()
    order = land.category_order([*cats["category"], *history["category"]])
    town_categories = [c for c in view.by_town.columns if c not in ("town", "total_mu")]
    left, right = st.columns(2)
    with left:
        st.subheader(T["by_town"])
        if not view.by_town.empty:
            st.altair_chart(
                _town_chart(view.by_town, town_categories, order),
                width="stretch",
                key="land_by_town",
            )
    with right:
        st.subheader(T["trend"])
        if not history.empty:
            st.altair_chart(
                _trend_chart(history, land_cache.trend_targets(), order),
                width="stretch",
                key="land_trend",
            )
    if not view.by_town.empty:
        # 合计 beside the town, and the unit in the cells: seven columns fit the page width.
        st.dataframe(
            view.by_town,
            placeholder="—",
            hide_index=True,
            column_order=["town", "total_mu", *town_categories],
            column_config={
                "town": st.column_config.TextColumn(H["town"], width=80, pinned=True),
                **{
                    c: st.column_config.NumberColumn(c, format=f"%,.2f {labels.UNIT_MU}", width=122)
                    for c in town_categories
                },
                "total_mu": st.column_config.NumberColumn(
                    H["total_mu"], format=MU_FORMAT, width=100
                ),
            },
            key="land_by_town_table",
        )

    st.subheader(T["facts"])
    if view.facts.empty:
        st.caption(T["no_facts"].format(year=year))
        return
    facts = view.facts.assign(
        value=[
            f"{land.fmt_number(v, 2)} {u or ''}".strip() if pd.notna(v) else ""
            for v, u in zip(view.facts["value"], view.facts["unit"], strict=True)
        ]
    )
    for fact in facts[facts["highlight"]].itertuples(index=False):
        body = fact.text if isinstance(fact.text, str) and fact.text else fact.value
        st.markdown("- " + T["fact_line"].format(label=fact.label, body=body, source=fact.source))
    with st.expander(T["all_facts"].format(count=len(facts))):
        table = facts[["label", "value", "text", "source"]]
        st.dataframe(_headers(table, H), hide_index=True, placeholder="—")


selection = filters.current()
st.title(labels.PAGE_TITLES["land"])
land_year = _land_year(selection.year)
progress_tab, parks_tab, funds_tab, list_tab = st.tabs(
    [T["tab_progress"], T["tab_parks"], T["tab_funds"], T["tab_list"]],
    key=land_tabs.TAB_KEY,
    bind="query-params",
)
if progress_tab.open:
    with progress_tab:
        if land_year is None:
            st.info(T["no_land_data"])
        else:
            _progress_tab(land_year)
if parks_tab.open:
    with parks_tab:
        land_tabs.parks(land_year or selection.year)
if funds_tab.open:
    with funds_tab:
        land_tabs.funds()
if list_tab.open:
    with list_tab:
        land_list.render(selection)

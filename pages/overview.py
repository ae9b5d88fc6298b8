"""总览: where the city stands this year — KPIs with year-on-year change, tiers, trends, map."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from streamlit.delta_generator import DeltaGenerator

from muyun import formatting, labels, queries
from ui import cache, filters

T = labels.OVERVIEW_TEXT
f = filters.current()
st.title(labels.PAGE_TITLES["overview"])
st.caption(
    T["scope"].format(
        year=f.year,
        scale=f.scale,
        industries=labels.LIST_SEP.join(f.industries) or labels.FILTER_LABELS["all_industries"],
        towns=labels.LIST_SEP.join(f.towns) or labels.FILTER_LABELS["all_towns"],
    )
)

data = cache.overview(f.year, f.profile, f.scale, f.industries, f.towns)
now: queries.Kpis = data["kpis"]
before: queries.Kpis | None = data["previous"]
K = labels.KPI_LABELS


def kpi(column: DeltaGenerator, label: str, attr: str, digits: int, **kwargs: object) -> None:
    """One card: this year's value (unit in the label) and its change against last year."""
    value = getattr(now, attr)
    column.metric(
        label,
        formatting.number(value, digits),
        formatting.delta(value, None if before is None else getattr(before, attr), digits),
        **kwargs,
    )


cards = [*st.columns(3), *st.columns(3)]
for column, scale in zip(cards[:2], labels.SCALES, strict=True):
    previous = None if before is None else before.firms_by_scale[scale]
    column.metric(
        K["firms"].format(scale=scale),
        formatting.number(now.firms_by_scale[scale], 0),
        formatting.delta(now.firms_by_scale[scale], previous, 0),
    )
kpi(cards[2], K["land"].format(scale=f.scale), "land_mu", 0)
kpi(cards[3], K["land_ha"].format(scale=f.scale), "land_hectare", 1)
kpi(cards[4], K["tax_per_mu"].format(scale=f.scale), "tax_per_mu", 2, help=T["ratio_help"])
kpi(cards[5], K["va_per_mu"].format(scale=f.scale), "va_per_mu", 2, help=T["ratio_help"])

for column, tier in zip(st.columns(4), labels.TIERS, strict=True):
    previous = None if before is None else before.tiers[tier]
    column.metric(
        K["tier"].format(tier=tier, name=labels.TIER_CLASS[tier]),
        formatting.number(now.tiers[tier], 0),
        formatting.delta(now.tiers[tier], previous, 0),
        delta_color="off",
    )
if before is None:
    st.caption(T["no_previous"])

left, right = st.columns(2)
with left:
    st.subheader(T["tier_mix"])
    mix = data["tier_mix"]
    if mix.empty:
        st.info(T["no_ranked"])
    else:
        figure = go.Figure(
            [
                go.Bar(
                    x=rows["industry"],
                    y=rows["share"],
                    name=tier,
                    marker_color=labels.TIER_COLOURS[tier],
                    text=rows["firms"],
                    customdata=rows["tier_class"],
                    hovertemplate=T["hover_mix"],
                )
                for tier, rows in mix.groupby("tier", sort=False)
            ]
        )
        figure.update_layout(
            barmode="stack",
            yaxis_tickformat=".0%",
            height=380,
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            legend_title_text=labels.FILTER_LABELS["tier"],
        )
        st.plotly_chart(figure, width="stretch")

with right:
    st.subheader(T["trend"])
    trend = data["trend"]
    keys = ["tax_per_mu", "va_per_mu"]
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.14,
        subplot_titles=[labels.TREND_HEADERS[k] for k in keys],
    )
    for row, key in enumerate(keys, start=1):
        figure.add_trace(
            go.Scatter(
                x=trend["year"],
                y=trend[key],
                mode="lines+markers",
                name=labels.TREND_HEADERS[key],
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    figure.update_yaxes(rangemode="tozero")
    figure.update_xaxes(dtick=1)
    figure.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    st.plotly_chart(figure, width="stretch")

bars, table = st.columns(2)
with bars:
    st.subheader(T["tier_trend"])
    figure = go.Figure(
        [
            go.Bar(
                x=trend["year"],
                y=trend[tier],
                name=tier,
                marker_color=labels.TIER_COLOURS[tier],
                hovertemplate=T["hover_tier_trend"],
            )
            for tier in labels.TIERS
        ]
    )
    figure.update_layout(
        barmode="stack",
        height=340,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_dtick=1,
        yaxis_title=labels.UNIT_FIRMS,
        legend_title_text=labels.FILTER_LABELS["tier"],
    )
    st.plotly_chart(figure, width="stretch")
with table:
    st.subheader(T["trend_table"])
    digits = {"firms": 0, "land_mu": 1, "tax_per_mu": 2, "va_per_mu": 2}
    by_year = {
        str(year): [formatting.number(row[key], places) for key, places in digits.items()]
        for year, row in trend.set_index("year").iterrows()
    }
    st.dataframe(
        {labels.TREND_HEADERS["indicator"]: [labels.TREND_HEADERS[k] for k in digits], **by_year},
        hide_index=True,
        column_config={year: st.column_config.TextColumn(alignment="right") for year in by_year},
    )


def draw_map() -> None:
    """Firms around their town centre on plain lon/lat axes: no tiles, so it works offline."""
    scored = queries.filter_scored(
        cache.scored_year(f.year, f.profile),
        scale=f.scale,
        industries=f.industries,
        towns=f.towns,
        tiers=f.tiers,
    )
    centres = cache.towns()
    points = queries.map_points(scored, centres)
    figure = go.Figure(
        [
            go.Scatter(
                x=rows["lon"],
                y=rows["lat"],
                mode="markers",
                name=tier,
                marker={"size": 6, "color": labels.TIER_COLOURS[tier], "opacity": 0.75},
                text=rows["name"],
                customdata=rows[["industry", "town", "tier_class", "total"]],
                hovertemplate=T["hover_map"],
            )
            for tier, rows in points.groupby("tier", sort=True)
        ]
    )
    figure.add_trace(
        go.Scatter(
            x=centres["lon"],
            y=centres["lat"],
            mode="text",
            text=centres["name"],
            textfont={"size": 12, "color": "#333"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.14)
    figure.update_layout(height=520, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(figure, width="stretch")


st.subheader(T["map"])
st.caption(labels.MAP_NOTE)
try:
    draw_map()
except Exception as exc:  # the map is an extra; the figures above must survive its failure
    st.warning(T["map_failed"].format(error=exc))

"""总览: where the city stands this year — KPIs with year-on-year change, tiers, trends, map."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from streamlit.delta_generator import DeltaGenerator

from muyun import formatting, labels, queries
from ui import briefing_button, cache, filters, method_legend, print_css

T = labels.OVERVIEW_TEXT
X = labels.OVERVIEW_EXTRA
f = filters.current()
prof = cache.load_profile(f.profile)
print_css.apply()
st.title(labels.PAGE_TITLES["overview"])
st.caption(
    X["scope"].format(
        year=f.year,
        scale=f.scale,
        industries=labels.LIST_SEP.join(f.industries) or labels.FILTER_LABELS["all_industries"],
        tiers=labels.LIST_SEP.join(f.tiers) or X["all_tiers"],
        towns=labels.LIST_SEP.join(f.towns) or labels.FILTER_LABELS["all_towns"],
    )
)
method_legend.render(prof, f.scale)

data = cache.overview(f.year, f.profile, f.scale, f.industries, f.towns, tiers=f.tiers)
now = data["kpis"]
before = data["previous"]
trend = data["trend"]
mix = data["tier_mix"]
assert isinstance(now, queries.Kpis) and isinstance(trend, pd.DataFrame)
assert isinstance(mix, pd.DataFrame) and (before is None or isinstance(before, queries.Kpis))
# 规下 firms report no value added (data dictionary): no empty 亩均增加值 panel, say why instead.
has_va = bool(trend["va_per_mu"].notna().any())
K = labels.KPI_LABELS


def card(
    column: DeltaGenerator,
    label: str,
    value: float,
    previous: float | None,
    digits: int,
    help: str | None = None,
    colour: bool = True,
) -> None:
    """One card with its change against last year; no change reads 持平, never "↑ +0"."""
    flat = previous is not None and round(value - previous, digits) == 0
    column.metric(
        label,
        formatting.number(value, digits),
        X["flat"] if flat else formatting.delta(value, previous, digits),
        help=help,
        delta_color="off" if flat or not colour else "normal",
        delta_arrow="off" if flat else "auto",
    )


def kpi(
    column: DeltaGenerator, label: str, attr: str, digits: int, help: str | None = None
) -> None:
    """One card: this year's value (unit in the label) and its change against last year."""
    previous = None if before is None else getattr(before, attr)
    card(column, label, getattr(now, attr), previous, digits, help)


briefing_button.render(f, data)


cards = [*st.columns(3), *st.columns(3)]
for column, scale in zip(cards[:2], labels.SCALES, strict=True):
    previous = None if before is None else before.firms_by_scale[scale]
    card(column, K["firms"].format(scale=scale), now.firms_by_scale[scale], previous, 0)
kpi(cards[2], K["land"].format(scale=f.scale), "land_mu", 0)
kpi(cards[3], K["land_ha"].format(scale=f.scale), "land_hectare", 1)
kpi(cards[4], K["tax_per_mu"].format(scale=f.scale), "tax_per_mu", 2, help=T["ratio_help"])
if has_va:
    kpi(cards[5], K["va_per_mu"].format(scale=f.scale), "va_per_mu", 2, help=T["ratio_help"])
else:
    cards[5].caption(f":material/info: {X['no_va'].format(scale=f.scale)}")

for column, tier in zip(st.columns(4), labels.TIERS, strict=True):
    previous = None if before is None else before.tiers[tier]
    label = K["tier"].format(tier=tier, name=labels.TIER_CLASS[tier])
    card(column, label, now.tiers[tier], previous, 0, colour=False)
if before is None:
    st.caption(T["no_previous"])

left, right = st.columns(2)
with left:
    st.subheader(T["tier_mix"])
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
        # Every industry named on the axis, at any width (plotly otherwise skips labels).
        present = list(dict.fromkeys(mix["industry"]))
        figure.update_xaxes(tickmode="array", tickvals=present, tickangle=-30)
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
    keys = ["tax_per_mu", "va_per_mu"] if has_va else ["tax_per_mu"]
    figure = make_subplots(
        rows=len(keys),
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

bars, table = st.columns([2, 3])  # the five-year table needs ~470 px
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
    if not has_va:
        del digits["va_per_mu"]
    by_year = {
        str(year): [formatting.number(row[key], places) for key, places in digits.items()]
        for year, row in trend.set_index("year").iterrows()
    }
    st.dataframe(
        {labels.TREND_HEADERS["indicator"]: [labels.TREND_HEADERS[k] for k in digits], **by_year},
        placeholder="—",
        hide_index=True,
        column_config={
            labels.TREND_HEADERS["indicator"]: st.column_config.TextColumn(width=150),
            **{year: st.column_config.TextColumn(alignment="right", width=62) for year in by_year},
        },
    )


def draw_map() -> None:
    """Firms around their town centre on plain lon/lat axes: no tiles, so it works offline.

    One point per firm up to `queries.MAP_POINTS_MAX`; a larger selection is drawn as one
    bubble per town and tier (issue 15), so the browser never receives tens of thousands of
    points.
    """
    centres = cache.towns()

    summary = f.select(cache.year_summary(f.year, f.profile))
    firms = int(summary.loc[summary["status"] == labels.STATUS_EVALUATED, "firms"].sum())
    if firms <= queries.MAP_POINTS_MAX:
        traces = firm_points(
            queries.map_points(f.select(cache.scored_year(f.year, f.profile)), centres)
        )
    else:
        st.caption(T["bubbles_note"].format(n=firms, limit=queries.MAP_POINTS_MAX))
        traces = town_bubbles(queries.map_bubbles(summary, centres))
    figure = go.Figure(traces)
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


def firm_points(points: pd.DataFrame) -> list[go.Scatter]:
    """One marker per ranked firm, a trace per tier."""
    return [
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


def town_bubbles(bubbles: pd.DataFrame) -> list[go.Scatter]:
    """One bubble per town and tier, its area proportional to the number of firms."""
    largest = max(int(bubbles["firms"].max()), 1) if not bubbles.empty else 1
    return [
        go.Scatter(
            x=rows["lon"],
            y=rows["lat"],
            mode="markers",
            name=tier,
            marker={
                "size": rows["firms"],
                "sizemode": "area",
                "sizeref": 2.0 * largest / 40.0**2,
                "sizemin": 3,
                "color": labels.TIER_COLOURS[tier],
                "opacity": 0.75,
            },
            customdata=rows[["town", "tier_class", "firms", "mean_total"]],
            hovertemplate=T["hover_bubbles"],
        )
        for tier, rows in bubbles.groupby("tier", sort=True)
    ]


st.subheader(T["map"])
st.caption(labels.MAP_NOTE)
try:
    draw_map()
except Exception as exc:  # the map is an extra; the figures above must survive its failure
    st.warning(T["map_failed"].format(error=exc))

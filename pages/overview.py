"""总览: where the city stands this year — KPIs with year-on-year change, tiers, trends, map."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
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
H = labels.SCORE_HEADERS
F = labels.FILTER_LABELS
TIERS = list(labels.TIERS)
# Counts printed on a tier's bar segment: white on the dark green and red, dark on the light ones.
DARK_TIERS = ["A", "D"]


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


def show(chart: alt.Chart | alt.LayerChart) -> None:
    """Draw as SVG: a printed handout keeps sharp vector charts (Streamlit picks canvas above
    2,000 marks, a raster on paper); the map's at most `queries.MAP_POINTS_MAX` dots stay quick
    in SVG."""
    st.altair_chart(
        chart.properties(usermeta={"embedOptions": {"renderer": "svg"}}), width="stretch"
    )


def tier_colour() -> alt.Color:
    """Tiers in their fixed colours and A–D order, whatever tiers a selection has."""
    return alt.Color(
        "tier:N",
        title=F["tier"],
        scale=alt.Scale(domain=TIERS, range=[labels.TIER_COLOURS[t] for t in TIERS]),
    )


def tier_tips() -> list[alt.Tooltip]:
    """The tier letter and its class name, as every tooltip of the page shows a tier."""
    return [
        alt.Tooltip("tier:N", title=H["tier"]),
        alt.Tooltip("tier_class:N", title=H["tier_class"]),
    ]


def mix_chart(mix: pd.DataFrame) -> alt.LayerChart:
    """Each industry's bar split into its tiers' shares (A at the bottom), the count of firms
    printed on every segment tall enough to read; every industry is named on the axis."""
    rows = mix[["industry", "tier", "tier_class", "firms", "share"]].copy()
    rows["top"] = rows.groupby("industry", sort=False)["share"].cumsum()
    rows["bottom"] = rows["top"] - rows["share"]
    rows["middle"] = rows["bottom"] + rows["share"] / 2
    base = alt.Chart(rows).encode(
        x=alt.X(
            "industry:N",
            title=F["industry"],
            sort=list(dict.fromkeys(rows["industry"])),
            axis=alt.Axis(labelAngle=-30, labelOverlap=False),
        ),
        tooltip=[
            alt.Tooltip("industry:N", title=F["industry"]),
            *tier_tips(),
            alt.Tooltip("firms:Q", title=labels.TREND_HEADERS["firms"], format=",d"),
            alt.Tooltip("share:Q", title=T["share"], format=".1%"),
        ],
    )
    bars = base.mark_bar().encode(
        y=alt.Y(
            "bottom:Q",
            title=T["share"],
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%"),
        ),
        y2="top:Q",
        color=tier_colour(),
    )
    counts = (
        base.transform_filter((alt.datum.share >= 0.05) & (alt.datum.firms > 0))
        .mark_text(fontSize=11)
        .encode(
            y="middle:Q",
            text=alt.Text("firms:Q", format=",d"),
            color=alt.condition(
                alt.FieldOneOfPredicate("tier", DARK_TIERS), alt.value("white"), alt.value("#222")
            ),
        )
    )
    return alt.LayerChart(layer=[bars, counts], height=380)


def trend_chart(trend: pd.DataFrame, key: str, height: int, last: bool) -> alt.Chart:
    """One indicator over the years, its axis from zero; only the lowest panel names the years
    (the panels share them)."""
    return (
        alt.Chart(
            trend[["year", key]],
            title=alt.TitleParams(labels.TREND_HEADERS[key], fontSize=14, offset=6),
        )
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "year:O",
                title=labels.TREND_HEADERS["year"] if last else None,
                axis=alt.Axis(labelAngle=0, labels=last, ticks=last),
            ),
            y=alt.Y(f"{key}:Q", title=None, scale=alt.Scale(zero=True)),
            tooltip=[
                alt.Tooltip("year:O", title=labels.TREND_HEADERS["year"]),
                alt.Tooltip(f"{key}:Q", title=labels.TREND_HEADERS[key], format=",.2f"),
            ],
        )
        .properties(height=height)
    )


def tier_trend_chart(trend: pd.DataFrame) -> alt.Chart:
    """Firms of each tier per year, stacked A at the bottom."""
    rows = trend[["year", *TIERS]].melt(id_vars="year", var_name="tier", value_name="firms")
    rows["tier_class"] = rows["tier"].map(labels.TIER_CLASS)
    return (
        alt.Chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=labels.TREND_HEADERS["year"], axis=alt.Axis(labelAngle=0)),
            y=alt.Y("firms:Q", title=labels.UNIT_FIRMS, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=tier_colour(),
            order=alt.Order("tier:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("year:O", title=labels.TREND_HEADERS["year"]),
                *tier_tips(),
                alt.Tooltip("firms:Q", title=labels.TREND_HEADERS["firms"], format=",d"),
            ],
        )
        .properties(height=340)
    )


left, right = st.columns(2)
with left:
    st.subheader(T["tier_mix"])
    if mix.empty:
        st.info(T["no_ranked"])
    else:
        show(mix_chart(mix))

with right:
    st.subheader(T["trend"])
    keys = ["tax_per_mu", "va_per_mu"] if has_va else ["tax_per_mu"]
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        show(trend_chart(trend, key, height=180 if len(keys) > 1 else 380, last=last))

bars, table = st.columns([2, 3])  # the five-year table needs ~470 px
with bars:
    st.subheader(T["tier_trend"])
    show(tier_trend_chart(trend))
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
    """Firms around their town centre on a plain lon/lat projection: no tiles, so it works
    offline.

    One point per firm up to `queries.MAP_POINTS_MAX`; a larger selection is drawn as one
    bubble per town and tier (issue 15), so the browser never receives tens of thousands of
    points (at province scale: 15 towns × 4 tiers).
    """
    centres = cache.towns()
    summary = f.select(cache.year_summary(f.year, f.profile))
    firms = int(summary.loc[summary["status"] == labels.STATUS_EVALUATED, "firms"].sum())
    if firms <= queries.MAP_POINTS_MAX:
        points = queries.map_points(f.select(cache.scored_year(f.year, f.profile)), centres)
        marks, tips = firm_points(points)
    else:
        st.caption(T["bubbles_note"].format(n=firms, limit=queries.MAP_POINTS_MAX))
        marks, tips = town_bubbles(queries.map_bubbles(summary, centres))
    # One dataset: the marks, then a row per town centre for its name (on a white halo).
    centre_rows = centres.rename(columns={"name": "label"}).assign(kind="town")
    rows = pd.concat([marks.assign(kind="mark"), centre_rows], ignore_index=True)
    base = alt.Chart(rows).project(type="mercator")  # keeps the city's shape at any width
    where = {"longitude": "lon:Q", "latitude": "lat:Q"}
    dots = (
        base.transform_filter(alt.datum.kind == "mark")
        .mark_circle(opacity=0.75)
        .encode(
            **where,
            color=tier_colour(),
            size=alt.Size("area:Q", scale=None, legend=None),
            tooltip=tips,
        )
    )
    names = base.transform_filter(alt.datum.kind == "town").encode(**where, text="label:N")
    halo = names.mark_text(fontSize=12, color="white", stroke="white", strokeWidth=3)
    show(alt.LayerChart(layer=[dots, halo, names.mark_text(fontSize=12, color="#333")], height=520))


def firm_points(points: pd.DataFrame) -> tuple[pd.DataFrame, list[alt.Tooltip]]:
    """One 6-px dot per ranked firm, with only the fields its tooltip shows (no credit code),
    and that tooltip; names go as data, which Vega's tooltip escapes."""
    rows = points[["lon", "lat", "name", "industry", "town", "tier", "tier_class", "total"]].copy()
    rows["area"] = 6.0**2
    tips = [
        alt.Tooltip("name:N", title=H["name"]),
        alt.Tooltip("industry:N", title=H["industry"]),
        alt.Tooltip("town:N", title=H["town"]),
        *tier_tips(),
        alt.Tooltip("total:Q", title=T["tip_total"], format=".2f"),
    ]
    return rows, tips


def town_bubbles(bubbles: pd.DataFrame) -> tuple[pd.DataFrame, list[alt.Tooltip]]:
    """One bubble per town and tier, its area proportional to the number of firms (the largest
    40 px across, none under 6 px so a town of one firm stays visible), and its tooltip."""
    rows = bubbles[["lon", "lat", "town", "tier", "tier_class", "firms", "mean_total"]].copy()
    largest = max(int(rows["firms"].max()), 1) if not rows.empty else 1
    rows["area"] = (rows["firms"] / largest * 40.0**2).clip(lower=6.0**2)
    tips = [
        alt.Tooltip("town:N", title=H["town"]),
        *tier_tips(),
        alt.Tooltip("firms:Q", title=labels.TREND_HEADERS["firms"], format=",d"),
        alt.Tooltip("mean_total:Q", title=T["tip_mean_total"], format=".2f"),
    ]
    return rows, tips


st.subheader(T["map"])
st.caption(labels.MAP_NOTE)
try:
    draw_map()
except Exception as exc:  # the map is an extra; the figures above must survive its failure
    st.warning(T["map_failed"].format(error=exc))

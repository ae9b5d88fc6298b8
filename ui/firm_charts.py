"""企业画像's charts: score rates as a radar (three or more indicators) or as grouped bars (规下
has two, and a two-axis radar collapses to a line), and the five-year total on a zero-based
axis (a 6-point dip must not fill the chart).

Vega-Lite has no polar line, so the radar is drawn on plain x/y from positions computed here
(first indicator at the top, clockwise, as in the firm report), one dataset for the whole
chart; the x domain follows the chart's width so the rings stay circles at any width.

Why channel classes (`alt.Text("text:N")`, not `text="text:N"`) and the data on the layer chart,
not on each layer: Altair looks a shorthand up across its whole schema (2–7 ms each) and compares
layers' data by printing each frame, which made building the radar 70 ms per visit; now 21 ms,
the same spec.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from muyun import labels
from muyun.report_templates.charts import radial_scale
from ui import tables

T = labels.ENTERPRISE_TEXT
RADAR_MIN_AXES = 3
RADAR_HEIGHT = 400
LABEL_REACH = 1.14  # indicator names sit this far out, as a multiple of the outer ring
PLOT_REACH = 1.22  # room around the rings for the names, as a multiple of the outer ring
GRID_COLOUR = "#d9d9d9"
BENCHMARK_COLOUR = "#999999"
TEXT_COLOUR = "#333333"
# The firm and its pool's average as in the firm report, the A-tier reference in A's green.
SERIES_COLOURS = dict(
    zip(
        labels.RADAR_SERIES.values(),
        (labels.FIRM_COLOUR, labels.AVERAGE_COLOUR, labels.TIER_COLOURS["A"]),
        strict=True,
    )
)


def score_rates(comparison: pd.DataFrame) -> None:
    """The firm's score rate per indicator beside its pool's average and the A-tier reference."""
    names = [
        labels.REPORT_SHORT_NAMES.get(k, n)
        for k, n in zip(comparison["key"], comparison["indicator"], strict=True)
    ]
    rates = pd.DataFrame(
        {
            "indicator": names * len(labels.RADAR_SERIES),
            "axis": list(range(len(names))) * len(labels.RADAR_SERIES),
            "series": [s for s in labels.RADAR_SERIES.values() for _ in names],
            "rate": [float(v) for c in labels.RADAR_SERIES for v in comparison[c]],
        }
    ).dropna(subset=["rate"])
    if len(names) >= RADAR_MIN_AXES:
        chart = _radar(rates, names)
        note = T["radar_note"]
    else:
        chart = _bars(rates, names)
        note = labels.ENTERPRISE_EXTRA["bars_note"]
    st.altair_chart(chart, width="stretch")
    st.caption(note)


def history(frame: pd.DataFrame) -> None:
    """Total score per year, tier letters on the points, the axis from 0."""
    HH = labels.HISTORY_HEADERS
    years = [int(y) for y in frame["year"]]
    data = pd.DataFrame(
        {
            "year": years,
            "total": pd.to_numeric(frame["total"], errors="coerce").to_numpy(dtype=float),
            "tier": frame["tier"].fillna("").astype(str).to_numpy(),
        }
    )
    # A year without a total breaks the line, as it did: one line per run of scored years.
    data["run"] = data["total"].isna().cumsum()
    points = tables.header(HH["total"], labels.UNIT_POINTS)
    base = alt.Chart().encode(
        x=alt.X(
            "year:O", title=HH["year"], scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0)
        ),
        y=alt.Y("total:Q", title=points, scale=alt.Scale(zero=True)),
        tooltip=[
            alt.Tooltip("year:O", title=HH["year"]),
            alt.Tooltip("total:Q", title=points, format=",.2f"),
            alt.Tooltip("tier:N", title=HH["tier"]),
        ],
    )
    colour = SERIES_COLOURS[labels.RADAR_SERIES["rate"]]
    line = base.mark_line(color=colour).encode(detail=alt.Detail("run:N"))
    dots = base.mark_point(color=colour, filled=True, size=60)
    tiers = base.mark_text(dy=-12, fontWeight="bold", color=TEXT_COLOUR).encode(
        text=alt.Text("tier:N")
    )
    st.altair_chart(alt.layer(line, dots, tiers, data=data).properties(height=300), width="stretch")


def _series_scale() -> alt.Scale:
    return alt.Scale(domain=list(SERIES_COLOURS), range=list(SERIES_COLOURS.values()))


def _series_legend() -> alt.Legend:
    return alt.Legend(title=None, orient="bottom", direction="horizontal")


def _rate_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("series:N", title="title"),  # vega-tooltip's heading: 本企业, 行业平均, …
        alt.Tooltip("indicator:N", title=labels.COMPARISON_HEADERS["indicator"]),
        alt.Tooltip("rate:Q", title=labels.REPORT_TEXT["bars_title"], format=".2f"),
    ]


def _bars(rates: pd.DataFrame, names: list[str]) -> alt.LayerChart:
    """Grouped bars from 0, with the benchmark (rate 1) as a rule."""
    bars = (
        alt.Chart(rates)
        .mark_bar()
        .encode(
            x=alt.X("indicator:N", sort=names, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=list(SERIES_COLOURS)),
            y=alt.Y(
                "rate:Q",
                title=labels.REPORT_TEXT["bars_title"],
                scale=alt.Scale(zero=True),
                axis=alt.Axis(format=".1f"),
            ),
            color=alt.Color("series:N", scale=_series_scale(), legend=_series_legend()),
            tooltip=_rate_tooltip(),
        )
    )
    benchmark = (
        alt.Chart()
        .mark_rule(color=BENCHMARK_COLOUR, strokeDash=[4, 3], tooltip=None)
        .encode(y=alt.YDatum(1))
    )
    return (bars + benchmark).properties(height=380)


def _radar(rates: pd.DataFrame, names: list[str]) -> alt.LayerChart:
    """Rings (the benchmark ring darker), spokes, names, and one closed polygon per series; only
    the points answer a hover."""
    outer, step = radial_scale(float(rates["rate"].max()) if len(rates) else 1.0)
    rings = [step * k for k in range(1, round(outer / step) + 1)]
    if not any(math.isclose(r, 1.0) for r in rings):
        rings.append(1.0)

    axes = len(names)

    def place(part: str, axis: int, radius: float, **extra: object) -> dict[str, object]:
        angle = 2 * math.pi * axis / axes
        return {
            "part": part,
            "axis": axis,
            "x": radius * math.sin(angle),
            "y": radius * math.cos(angle),
            **extra,
        }

    rows = [
        place("ring", i, ring, ring=ring, benchmark=math.isclose(ring, 1.0))
        for ring in rings
        for i in range(axes)
    ]
    rows += [place("spoke", i, outer) for i in range(axes)]
    rows += [place("ring_label", 0, ring, text=f"{ring:g}") for ring in rings]
    for i, name in enumerate(names):
        side = math.sin(2 * math.pi * i / axes)  # names right of the centre start at their spoke
        align = "center" if abs(side) < 0.05 else ("left" if side > 0 else "right")
        rows.append(place("name", i, outer * LABEL_REACH, text=name, align=align))
    rows += [
        place(
            "series",
            int(r.axis),
            min(float(r.rate), outer),
            series=r.series,
            indicator=r.indicator,
            rate=r.rate,
        )
        for r in rates.itertuples()
    ]
    data = pd.DataFrame(rows)
    reach = outer * PLOT_REACH
    wide, tall = "max(1, width / height)", "max(1, height / width)"
    base = alt.Chart().encode(
        x=alt.X(
            "x:Q",
            axis=None,
            # Both domains follow the chart's proportions, so a ring is a circle at any width.
            scale=alt.Scale(
                domain=alt.ExprRef(f"[-{reach} * {wide}, {reach} * {wide}]"),
                nice=False,
                zero=False,
            ),
        ),
        y=alt.Y(
            "y:Q",
            axis=None,
            scale=alt.Scale(
                domain=alt.ExprRef(f"[-{reach} * {tall}, {reach} * {tall}]"), nice=False, zero=False
            ),
        ),
    )

    def part(name: str) -> alt.Chart:
        return base.transform_filter(alt.datum.part == name)

    grid = (
        part("ring")
        .mark_line(interpolate="linear-closed", strokeWidth=1, tooltip=None)
        .encode(
            detail=alt.Detail("ring:N"),
            order=alt.Order("axis:Q"),
            color=alt.ColorValue(
                GRID_COLOUR, condition={"test": "datum.benchmark", "value": BENCHMARK_COLOUR}
            ),
        )
    )
    spokes = (
        part("spoke")
        .mark_rule(color=GRID_COLOUR, tooltip=None)
        .encode(x2=alt.X2Datum(0), y2=alt.Y2Datum(0))
    )
    ring_labels = (
        part("ring_label")
        .mark_text(
            align="left", baseline="top", dx=3, dy=2, fontSize=10, color="#777777", tooltip=None
        )
        .encode(text=alt.Text("text:N"))
    )
    name_layers = [
        part("name")
        .transform_filter(alt.datum.align == align)
        .mark_text(align=align, baseline="middle", fontSize=12, color=TEXT_COLOUR, tooltip=None)
        .encode(text=alt.Text("text:N"))
        for align in ("left", "center", "right")
    ]
    series = part("series")
    polygons = series.mark_line(
        interpolate="linear-closed", fillOpacity=0.12, strokeWidth=2, tooltip=None
    ).encode(
        detail=alt.Detail("series:N"),
        order=alt.Order("axis:Q"),
        color=alt.Color("series:N", scale=_series_scale(), legend=_series_legend()),
        fill=alt.Fill("series:N", scale=_series_scale(), legend=_series_legend()),
    )
    dots = series.mark_point(filled=True, size=45).encode(
        color=alt.Color("series:N", scale=_series_scale(), legend=_series_legend()),
        tooltip=_rate_tooltip(),
    )
    layers = [grid, spokes, ring_labels, *name_layers, polygons, dots]
    return alt.LayerChart(data=data, layer=layers).properties(height=RADAR_HEIGHT)

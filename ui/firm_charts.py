"""企业画像's charts: score rates as a radar (three or more indicators) or as grouped bars (规下
has two, and a two-axis radar collapses to a line), and the five-year total on a zero-based
axis (a 6-point dip must not fill the chart)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from muyun import labels
from ui import tables

T = labels.ENTERPRISE_TEXT
RADAR_MIN_AXES = 3


def score_rates(comparison: pd.DataFrame) -> None:
    """The firm's score rate per indicator beside its pool's average and the A-tier reference."""
    names = [
        labels.REPORT_SHORT_NAMES.get(k, n)
        for k, n in zip(comparison["key"], comparison["indicator"], strict=True)
    ]
    figure = go.Figure()
    if len(names) >= RADAR_MIN_AXES:
        axes = [*names, names[0]]
        for column, series in labels.RADAR_SERIES.items():
            values = [*comparison[column], comparison[column].iloc[0]]
            figure.add_trace(go.Scatterpolar(r=values, theta=axes, name=series, fill="toself"))
        figure.update_traces(opacity=0.6)
        figure.update_layout(polar={"radialaxis": {"rangemode": "tozero"}})
        note = T["radar_note"]
    else:
        for column, series in labels.RADAR_SERIES.items():
            figure.add_trace(go.Bar(x=names, y=comparison[column], name=series))
        figure.update_layout(barmode="group", yaxis_rangemode="tozero")
        note = labels.ENTERPRISE_EXTRA["bars_note"]
    figure.update_layout(
        height=380,
        margin={"l": 70, "r": 70, "t": 30, "b": 30},
        legend={"orientation": "h"},
    )
    st.plotly_chart(figure, width="stretch")
    st.caption(note)


def history(frame: pd.DataFrame) -> None:
    """Total score per year, tier letters on the points, the axis from 0."""
    HH = labels.HISTORY_HEADERS
    figure = go.Figure(
        go.Scatter(
            x=frame["year"],
            y=frame["total"],
            mode="lines+markers+text",
            text=frame["tier"].fillna(""),
            textposition="top center",
            hovertemplate=T["hover_history"],
        )
    )
    figure.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        xaxis_dtick=1,
        yaxis_rangemode="tozero",
        yaxis_title=tables.header(HH["total"], labels.UNIT_POINTS),
    )
    st.plotly_chart(figure, width="stretch")

"""总览 at scale (issue 15): a large selection's map is one bubble per town and tier, and the
five-year figures come from the year summaries kept in the store, not from re-scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from page_support import open_page

from muyun import labels, queries, scoring
from ui import cache

T = labels.OVERVIEW_TEXT


def plotly_traces(at) -> list[dict]:
    import json

    charts = [el for el in at.main if getattr(el, "type", "") == "plotly_chart"]
    return [trace for chart in charts for trace in json.loads(chart.proto.spec)["data"]]


def test_a_small_selection_maps_every_firm(app_store: Path) -> None:
    at = open_page("pages/overview.py", industry="门业", town="东城街道")
    assert not any("超过逐家显示上限" in c.value for c in at.caption)


def test_a_large_selection_maps_towns_not_firms(
    app_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAP_POINTS_MAX", 10)
    at = open_page("pages/overview.py")
    notes = [c.value for c in at.caption if "超过逐家显示上限" in c.value]
    assert len(notes) == 1
    towns = len(cache.towns())
    points = sum(len(t.get("x", [])) for t in plotly_traces(at) if t.get("mode") == "markers")
    assert 0 < points <= towns * len(labels.TIERS)


def test_after_a_restart_the_overview_needs_no_scoring(
    app_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAP_POINTS_MAX", 0)
    first = open_page("pages/overview.py")
    con = cache.database().reader()
    stored = con.execute("SELECT DISTINCT year FROM score_summaries ORDER BY 1").fetchall()
    years = con.execute("SELECT DISTINCT year FROM enterprises ORDER BY 1").fetchall()
    assert stored == years

    st.cache_data.clear()
    st.cache_resource.clear()  # a new server process

    def no_scoring(*args: object, **kwargs: object) -> None:
        raise AssertionError("scored a year")

    monkeypatch.setattr(scoring, "score_prepared", no_scoring)
    again = open_page("pages/overview.py")
    assert [m.value for m in again.metric] == [m.value for m in first.metric]

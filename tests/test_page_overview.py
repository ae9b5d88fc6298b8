"""总览 at scale (issue 15): a large selection's map is one bubble per town and tier, and the
five-year figures come from the year summaries kept in the store, not from re-scoring. The
charts are Vega-Lite: what they draw is read from each chart's spec and its one dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from page_support import open_page, vega_charts

from muyun import db, labels, queries, scoring
from ui import cache

T = labels.OVERVIEW_TEXT
HOSTILE_NAME = '<b>门业&amp;</b><img src=x onerror="alert(1)">'


def map_chart(at) -> tuple[dict, pd.DataFrame]:
    """The map: the chart drawn on longitude and latitude."""
    found = [
        (spec, data)
        for spec, data in vega_charts(at)
        if "longitude" in spec.get("layer", [{}])[0].get("encoding", {})
    ]
    assert len(found) == 1
    return found[0]


def tooltip_fields(layer: dict) -> list[str]:
    return [t["field"] for t in layer["encoding"]["tooltip"]]


def test_a_small_selection_maps_every_firm(app_store: Path) -> None:
    with db.connect(app_store) as con:
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        # Every firm of the selection (whichever are ranked) gets a hostile name.
        con.execute(
            "UPDATE enterprises SET name = ? || ' ' || credit_code"
            " WHERE year = ? AND industry = '门业' AND town = '东城街道'",
            [HOSTILE_NAME, year],
        )
    at = open_page("pages/overview.py", industry="门业", town="东城街道")
    assert not any("超过逐家显示上限" in c.value for c in at.caption)
    spec, data = map_chart(at)
    dots, *names = spec["layer"]
    marks = data[data["kind"] == "mark"]
    # One dot per ranked firm: per tier, as many as the tier-mix chart counts for the selection.
    mix = vega_charts(at)[0][1]
    by_tier = mix.groupby("tier")["firms"].sum()
    assert marks["tier"].value_counts().reindex(by_tier.index, fill_value=0).eq(by_tier).all()
    assert 0 < len(marks) <= queries.MAP_POINTS_MAX
    assert set(marks["tier"]) <= set(labels.TIERS)
    assert tooltip_fields(dots) == ["name", "industry", "town", "tier", "tier_class", "total"]
    assert "credit_code" not in data, "only what the tooltip shows reaches the browser"
    # A firm's name is data, verbatim (Vega's tooltip escapes it), never markup in the spec.
    assert set(marks["name"].str[: len(HOSTILE_NAME)]) == {HOSTILE_NAME}
    assert "onerror" not in json.dumps(spec)
    assert list(data.loc[data["kind"] == "town", "label"]) == list(cache.towns()["name"])
    assert all(n["mark"]["type"] == "text" and "tooltip" not in n["encoding"] for n in names)


def test_a_large_selection_maps_towns_not_firms(
    app_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAP_POINTS_MAX", 10)
    at = open_page("pages/overview.py")
    notes = [c.value for c in at.caption if "超过逐家显示上限" in c.value]
    assert len(notes) == 1
    towns = len(cache.towns())
    spec, data = map_chart(at)
    bubbles = data[data["kind"] == "mark"]
    assert 0 < len(bubbles) <= towns * len(labels.TIERS)
    assert len(data) <= towns * (len(labels.TIERS) + 1) < 5_000  # Altair's inline limit
    assert "name" not in bubbles, "no firm reaches the browser"
    assert tooltip_fields(spec["layer"][0]) == ["town", "tier", "tier_class", "firms", "mean_total"]
    # Area proportional to the firms: the largest bubble 40 px across.
    largest = bubbles.loc[bubbles["firms"].idxmax()]
    assert largest["area"] == pytest.approx(40.0**2)
    assert spec["layer"][0]["encoding"]["size"]["scale"] is None


def test_the_charts_draw_the_selection_by_tier_and_year(app_store: Path) -> None:
    at = open_page("pages/overview.py")
    charts = vega_charts(at)
    colours = [labels.TIER_COLOURS[t] for t in labels.TIERS]
    mix_spec, mix = charts[0]
    bars = mix_spec["layer"][0]["encoding"]
    assert bars["color"]["scale"] == {"domain": list(labels.TIERS), "range": colours}
    assert bars["y"]["axis"]["format"] == ".0%" and bars["y"]["title"] == T["share"]
    order = [i for i in labels.INDUSTRIES if i in set(mix["industry"])]
    assert bars["x"]["sort"] == order and len(order) > 1
    assert bars["x"]["axis"]["labelOverlap"] is False, "every industry named"
    assert mix.groupby("industry")["share"].sum().round(9).eq(1).all()
    years = None
    for spec, data in charts[1:3]:  # 亩均税收, 亩均增加值: one panel each
        key = spec["encoding"]["y"]["field"]
        assert spec["title"]["text"] == labels.TREND_HEADERS[key]
        assert spec["encoding"]["x"] == {
            **spec["encoding"]["x"],
            "field": "year",
            "type": "ordinal",
        }
        assert spec["encoding"]["y"]["scale"] == {"zero": True}
        years = list(data["year"])
    assert years is not None and len(years) > 1 and years == sorted(set(years))
    tier_spec, tiers = charts[3]
    assert tier_spec["encoding"]["y"]["title"] == labels.UNIT_FIRMS
    assert sorted(set(tiers["year"])) == years
    assert len(tiers) == len(years) * len(labels.TIERS)
    assert len(charts) == 5  # + the map


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

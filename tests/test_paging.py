"""Paging and sorting of long tables (`muyun.paging`) and its widgets (`ui.paged_table`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from muyun import labels, paging, queries

T = labels.PAGED_TABLE_TEXT


def table(rows: int) -> pd.DataFrame:
    """A table in its own order (position), with ties and missing values in `score`."""
    score = [float(i % 7) if i % 11 else np.nan for i in range(rows)]
    return pd.DataFrame(
        {"position": range(rows), "score": score, "name": [f"企业{i:04d}" for i in range(rows)]}
    )


def test_page_count_and_clamped_pages() -> None:
    assert [paging.page_count(n, 200) for n in (0, 1, 200, 201, 1000)] == [1, 1, 1, 2, 5]
    page = paging.locate(3, 450, 200)
    assert (page.number, page.pages, page.first, page.stop, page.total) == (3, 3, 400, 450, 450)
    assert paging.locate(40, 450, 200).number == 3  # a link past the end: the last page
    assert paging.locate(0, 450, 200).number == 1
    empty = paging.locate(1, 0, 200)
    assert (empty.pages, empty.first, empty.stop) == (1, 0, 0)


def test_a_page_in_the_tables_own_order() -> None:
    frame = table(450).set_index(pd.Index(range(1000, 1450)))
    rows, page = paging.page_rows(frame, 2, size=200)
    assert list(rows["position"]) == list(range(200, 400))
    assert page.number == 2
    assert list(rows.index[:2]) == [1200, 1201]  # the table's index is kept


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_covers_every_row_and_ties_keep_the_tables_order(descending: bool) -> None:
    frame = table(450)
    positions = paging.sort_positions(frame, "score", descending)
    ordered = frame.iloc[positions]
    present = ordered["score"].dropna()
    assert list(present) == sorted(present, reverse=descending)
    assert ordered["score"].iloc[len(present) :].isna().all()  # missing last, both ways
    for _, tied in ordered.groupby("score", sort=False):
        assert tied["position"].is_monotonic_increasing
    first, _ = paging.page_rows(frame, 1, "score", descending, size=200)
    assert first["score"].iloc[0] == (6.0 if descending else 0.0)
    assert list(first["position"]) == list(ordered["position"].iloc[:200])


def test_text_sort_and_an_unknown_column() -> None:
    frame = table(30).iloc[::-1]
    rows, _ = paging.page_rows(frame, 1, "name", False, size=5)
    assert list(rows["name"]) == [f"企业{i:04d}" for i in range(5)]
    rows, _ = paging.page_rows(frame, 1, "no_such_column", True, size=5)
    assert list(rows["position"]) == [29, 28, 27, 26, 25]


def choices(rows: int, seed: int) -> pd.DataFrame:
    """Firms as a scored year has them: ranked and unranked, ties in rank and name, missing
    and unknown values in every key of the picker's order."""
    rng = np.random.default_rng(seed)
    statuses = [*labels.STATUSES, None]
    industries = [*labels.INDUSTRIES[:4], "未知行业", None]
    frame = pd.DataFrame(
        {
            "credit_code": [f"C{i:05d}" for i in range(rows)],
            "name": rng.choice(["甲", "乙", "丙", "丁"], rows),
            "industry": rng.choice(np.array(industries, dtype=object), rows),
            "scale": rng.choice(np.array([*labels.SCALES, None], dtype=object), rows),
            "status": rng.choice(np.array(statuses, dtype=object), rows, p=[0.7, 0.1, 0.1, 0.1]),
            "tier": rng.choice(list(labels.TIERS), rows),
            "rank": pd.array(rng.integers(1, rows // 8, rows), dtype="Int64"),
        }
    )
    frame.loc[frame["status"] != labels.STATUS_EVALUATED, "rank"] = pd.NA
    return frame.astype({c: "str" for c in ("credit_code", "name", "industry", "scale")})


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("limit", [1, 50, 700])
def test_first_choices_are_the_head_of_the_full_order(seed: int, limit: int) -> None:
    frame = choices(600, seed)
    expected = queries.firm_choices(frame).iloc[:limit]
    assert paging.first_choices(frame, limit).equals(expected)
    unranked = frame[frame["status"] != labels.STATUS_EVALUATED]  # ordered by name only
    assert paging.first_choices(unranked, limit).equals(queries.firm_choices(unranked).iloc[:limit])


def test_box_stats_are_linear_quartiles_and_1_5_iqr_whiskers() -> None:
    # Quartiles by linear ("hazen") interpolation; each whisker ends at the furthest value within
    # 1.5 × IQR of the box, never inside it. These values were once checked against a box drawn
    # from every point in the browser, so the precomputed box shows what the full one showed.
    frame = pd.DataFrame(
        {
            "g": ["a"] * 5 + ["e"] * 4 + ["d", "z"],
            "v": [1, 2, 3, 4, 100, 3, 3, 3, 9, 5, np.nan],
        }
    )
    boxes = paging.box_stats(frame, "v", "g").set_index("g")
    assert list(boxes.index) == ["a", "e", "d"]  # first appearance; no box without values
    columns = ["q1", "median", "q3", "lowerfence", "upperfence"]
    assert boxes.loc["a", columns].tolist() == [1.75, 3.0, 28.0, 1.0, 28.0]
    assert boxes.loc["e", columns].tolist() == [3.0, 3.0, 6.0, 3.0, 9.0]
    assert boxes.loc["d", columns].tolist() == [5.0, 5.0, 5.0, 5.0, 5.0]
    ordered = paging.box_stats(frame, "v", "g", order=["d", "missing", "a"])
    assert list(ordered["g"]) == ["d", "a"]


# ── the widgets ──────────────────────────────────────────────────────────────────────────────


def _paged_app(rows: int) -> None:
    import numpy as np
    import pandas as pd
    import streamlit as st

    from ui import paged_table

    frame = pd.DataFrame(
        {"position": np.arange(rows), "score": np.arange(rows) % 7, "name": ["甲"] * rows}
    )
    on_screen, event = paged_table.render(
        frame,
        "demo",
        column_config={"score": st.column_config.NumberColumn("得分")},
        column_order=["position", "score"],
        scope=rows,
        on_select="rerun",
        selection_mode="single-row",
    )
    st.session_state["on_screen"] = list(on_screen["position"])
    st.session_state["selected"] = list(event.selection.rows)


def _run(rows: int, **query: str) -> AppTest:
    at = AppTest.from_function(_paged_app, args=(rows,))
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_short_table_is_drawn_whole_without_controls() -> None:
    at = _run(paging.PAGE_ROWS)
    assert at.session_state["on_screen"] == list(range(paging.PAGE_ROWS))
    assert not at.number_input and not at.selectbox


def test_a_long_table_sends_one_page_and_sorts_all_rows() -> None:
    at = _run(450)
    assert len(at.dataframe[0].value) == paging.PAGE_ROWS
    sort = at.selectbox(key="demo_sort")
    assert sort.options == [T["default_order"], "position", "得分"]
    assert T["range"].format(first=1, last=200, total=450, number=1, pages=3) in [
        c.value for c in at.caption
    ]
    at.number_input(key="demo_page").set_value(3).run()
    assert at.session_state["on_screen"] == list(range(400, 450))
    at.selectbox(key="demo_sort").set_value("score").run()
    at.toggle(key="demo_desc").set_value(True).run()
    assert at.number_input(key="demo_page").value == 1  # another order starts on page 1
    # Every row sorted (not only the page), ties in the table's order.
    assert at.session_state["on_screen"] == sorted(range(450), key=lambda p: -(p % 7))[:200]


def test_the_url_opens_a_page_and_order_and_past_the_end_the_first_page() -> None:
    at = _run(450, demo_page="2", demo_sort="得分", demo_desc="true")
    assert at.session_state["on_screen"][0] % 7 == 3  # 6s, 5s, 4s and some 3s fill page 1
    at = _run(450, demo_page="9", demo_sort="<script>")  # not an option: dropped
    assert at.number_input(key="demo_page").value == 1
    assert at.selectbox(key="demo_sort").value is None
    assert at.session_state["on_screen"] == list(range(200))


def test_a_selected_row_is_dropped_when_other_rows_come_on_screen() -> None:
    at = _run(450)
    at.session_state["demo"] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["selected"] == [3]
    at.number_input(key="demo_page").set_value(2).run()
    assert at.session_state["selected"] == []

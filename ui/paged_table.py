"""Long tables: one page of rows on screen, sorted over the whole table, the page and the order
kept in the URL (`?rank_table_page=3&rank_table_sort=综合得分（分）&rank_table_desc=true`).

Why: at province scale a ranking or firm list is 100,000+ rows, tens of megabytes sent to the
browser on every run, while a person reads a screenful. The sorting is `muyun.paging`'s, over
all rows (a click on a column header sorts only the page on screen, and the sort box says so).
A table of at most `paging.PAGE_ROWS` rows is drawn whole, without controls. Downloads stay the
pages' own (the whole table), never this page of it.

The controls' keys are `{key}_sort`, `{key}_desc` and `{key}_page`, bound to the URL like the
sidebar filters (Streamlit drops a value that is not one of the options: a page past the end
opens page 1). The table's own key is `{key}` on its first page in its own order and
`{key}_{page}_{column}_{descending}` otherwise: a new table for other rows, so that a row
selected on one page is never shown or used as selected on another (the browser keeps a
table's selection by row position).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from muyun import formatting, labels, paging

T = labels.PAGED_TABLE_TEXT


def page_of(
    frame: pd.DataFrame, key: str, headers: Mapping[str, str], scope: Hashable = None
) -> pd.DataFrame:
    """Draw the sort and page controls of a long `frame` and return the rows to show.

    `headers` maps the columns one may sort by to their Chinese headers; `scope` names what
    the table holds (filters, search): another scope, order or length starts on page 1. A
    short frame is returned as it is, without controls.
    """
    shown_key = f"{key}_shown"
    if len(frame) <= paging.PAGE_ROWS:
        st.session_state.pop(shown_key, None)
        return frame
    sort_key, desc_key, page_key = f"{key}_sort", f"{key}_desc", f"{key}_page"
    options: list[str | None] = [None, *headers]
    if st.session_state.get(sort_key) not in options:  # a column no longer shown
        st.session_state.pop(sort_key, None)
    total = formatting.number(len(frame), 0)
    sort_col, desc_col, page_col, range_col = st.columns([3, 1, 2, 4], vertical_alignment="bottom")
    column = sort_col.selectbox(
        T["sort"],
        options,
        format_func=lambda c: T["default_order"] if c is None else headers[c],
        key=sort_key,
        bind="query-params",
        help=T["sort_help"].format(total=total),
    )
    # Descending needs a column: the table's own order (rank within industries) has one way.
    flipped = desc_col.toggle(
        T["descending"], key=desc_key, bind="query-params", disabled=column is None
    )
    descending = column is not None and flipped
    view = (len(frame), column, descending, scope)
    pages = paging.page_count(len(frame))
    seen = st.session_state.get(f"{key}_view")
    if seen is not None and seen != view:
        st.session_state[page_key] = 1
    st.session_state[f"{key}_view"] = view
    number = page_col.number_input(
        T["page"], min_value=1, max_value=pages, step=1, key=page_key, bind="query-params"
    )
    rows, page = paging.page_rows(frame, int(number), column, descending)
    moved = page.number > 1 or column is not None
    st.session_state[shown_key] = f"{page.number}_{column}_{int(descending)}" if moved else ""
    range_col.caption(
        T["range"].format(
            first=formatting.number(page.first + 1, 0),
            last=formatting.number(page.stop, 0),
            total=total,
            number=formatting.number(page.number, 0),
            pages=formatting.number(page.pages, 0),
        )
    )
    return rows


def part_shown(key: str) -> str:
    """Which page in which order of table `key` is on screen ("" for its first page in its own
    order, or when drawn whole): part of the key of a table or editor over those rows, whose
    selection or edits are kept by row position and must not pass to other rows."""
    return str(st.session_state.get(f"{key}_shown", ""))


def render(
    frame: pd.DataFrame,
    key: str,
    *,
    column_config: Mapping[str, Any] | None = None,
    column_order: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    scope: Hashable = None,
    **dataframe_args: Any,
) -> tuple[pd.DataFrame, Any]:
    """`st.dataframe` of one page of `frame` (all of it when short), with its controls.

    Returns the rows on screen and what `st.dataframe` returned, so that a selected row
    (`event.selection.rows`) is looked up in those rows (its key: see the module's notes). The
    sort box offers the shown columns under their configured headers unless `headers` says
    otherwise.
    """
    if headers is None:
        headers = headers_of(frame, column_config, column_order)
    rows = page_of(frame, key, headers, scope)
    part = part_shown(key)
    event = st.dataframe(
        rows,
        key=f"{key}_{part}" if part else key,
        column_config=column_config,
        column_order=column_order,
        **dataframe_args,
    )
    return rows, event


def headers_of(
    frame: pd.DataFrame,
    column_config: Mapping[str, Any] | None = None,
    column_order: Sequence[str] | None = None,
) -> dict[str, str]:
    """The shown columns of `frame` with the header each shows: its config's label (a string
    or a config's "label"), else the column's own (already Chinese) name."""
    config = column_config or {}
    headers = {}
    for column in [c for c in (column_order or frame.columns) if c in frame.columns]:
        setting = config.get(column)
        if isinstance(setting, str):
            headers[column] = setting
        elif isinstance(setting, Mapping) and setting.get("label"):
            headers[column] = str(setting["label"])
        else:
            headers[column] = str(column)
    return headers

"""行业排名's year-on-year block: firms whose tier changed since last year, falls first,
with an Excel export named after the filters."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from muyun import export, formatting, labels
from ui import paged_table, tables

T = labels.RANKINGS_EXTRA
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header(column: str) -> str:
    """Chinese headers of the change list (the ranking headers plus the change columns)."""
    extra = {
        "change": T["change"],
        "tier_before": T["tier_before"],
        "rank_before": T["rank_before"],
        "total_before": T["total_before"],
        "total_change": T["total_change"],
    }
    return extra.get(column) or labels.score_header(column)


def render(changes: pd.DataFrame, stem: str) -> None:
    """The change list (or a plain sentence when nothing changed) and its export."""
    st.subheader(T["changes"])
    if changes.empty:
        st.caption(T["changes_none"])
        return
    down = int(
        (
            changes["tier"].map(labels.TIERS.index) > changes["tier_before"].map(labels.TIERS.index)
        ).sum()
    )
    st.caption(
        T["changes_count"].format(
            n=formatting.number(len(changes), 0), down=formatting.number(down, 0)
        )
    )
    points = labels.UNIT_POINTS
    # One page of the changes goes to the browser (tens of thousands at province scale).
    paged_table.render(
        changes,
        "rank_changes",
        scope=stem,  # the filters: other firms start on page 1
        hide_index=True,
        placeholder="—",
        height=tables.table_height(len(changes), 420),
        column_order=[
            "change",
            "name",
            "industry",
            "town",
            "total_before",
            "total",
            "total_change",
        ],
        column_config={
            "change": st.column_config.TextColumn(T["change"], pinned=True, width="small"),
            "name": st.column_config.TextColumn(labels.SCORE_HEADERS["name"], width="medium"),
            "industry": st.column_config.TextColumn(labels.SCORE_HEADERS["industry"], width=80),
            "town": st.column_config.TextColumn(labels.SCORE_HEADERS["town"], width=90),
            "total_before": tables.number_column(T["total_before"], points),
            "total": tables.number_column(labels.SCORE_HEADERS["total"], points),
            "total_change": tables.number_column(T["total_change"], points),
        },
    )
    st.download_button(
        T["changes_excel"],
        data=partial(export.to_excel_bytes, changes.copy(), header),
        file_name=f"{stem}_{T['changes_file']}.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
        icon=":material/download:",
        key="rank_changes_xlsx",
    )

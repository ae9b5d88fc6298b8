"""Column configurations: Chinese headers and a unit or number format on every numeric column.

Numbers in tables read like `muyun.formatting.number` elsewhere: thousands separators and a
fixed number of digits (`number_format`), the unit in the header (`header`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from muyun import labels
from muyun.profile import Profile

# Height of one st.dataframe row (and of its header row) in pixels, for tables sized to fit.
ROW_HEIGHT_PX = 35
_BORDER_PX = 3


def table_height(rows: int, max_px: int | None = None) -> int:
    """Pixels that show a header and `rows` rows without a scrollbar, at most `max_px`."""
    height = (max(rows, 1) + 1) * ROW_HEIGHT_PX + _BORDER_PX
    return height if max_px is None else min(height, max_px)


def header(name: str, unit: str) -> str:
    """A column header with its unit: `综合得分（分）`."""
    return labels.HEADER_WITH_UNIT.format(name=name, unit=unit)


def number_format(digits: int) -> str:
    """A printf format with thousands separators, as `formatting.number` writes numbers."""
    return f"%,.{digits}f"


def number_column(
    name: str, unit: str | None = None, digits: int = 2, **kwargs: Any
) -> ColumnConfig:
    """A number column headed `name（unit）` showing `digits` decimals with separators."""
    label = name if unit is None else header(name, unit)
    return st.column_config.NumberColumn(label, format=number_format(digits), **kwargs)


def indicator_column(key: str) -> ColumnConfig:
    """An indicator value column headed `亩均税收（万元/亩）`; ratios shown as percentages."""
    meta = labels.INDICATORS[key]
    if meta.percent:
        return st.column_config.NumberColumn(header(meta.name, meta.unit), format="percent")
    return number_column(meta.name, meta.unit)


def ranking_column_config(profile: Profile, scale: str) -> dict[str, ColumnConfig]:
    """Config for `queries.ranking_table`: rank, tier and class, scores (分), values with units."""
    h = labels.SCORE_HEADERS
    points = labels.UNIT_POINTS
    config: dict[str, ColumnConfig] = {
        "rank": st.column_config.NumberColumn(h["rank"], format="%d", pinned=True),
        "tier": st.column_config.TextColumn(h["tier"], pinned=True, width="small"),
        "tier_class": st.column_config.TextColumn(h["tier_class"]),
        "name": st.column_config.TextColumn(h["name"], pinned=True),
        "credit_code": st.column_config.TextColumn(h["credit_code"]),
        "industry": st.column_config.TextColumn(h["industry"]),
        "town": st.column_config.TextColumn(h["town"]),
        "pool_size": number_column(h["pool_size"], labels.UNIT_FIRMS, 0),
        "total": number_column(h["total"], points),
        "bonus": number_column(h["bonus"], points),
        "deduction": number_column(h["deduction"], points),
        "land_mu": number_column(h["land_mu"]),
        "status": st.column_config.TextColumn(h["status"]),
        "override": st.column_config.TextColumn(labels.EVAL_EXPORT_HEADERS["override"]),
    }
    for spec in profile.indicators(scale):
        config[f"score_{spec.key}"] = number_column(
            labels.score_header(f"score_{spec.key}"),
            points,
            help=labels.RANKINGS_TEXT["weight_help"].format(weight=spec.weight),
        )
        config[spec.key] = indicator_column(spec.key)
    return config

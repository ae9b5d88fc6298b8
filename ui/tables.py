"""Column configurations: Chinese headers and a unit or number format on every numeric column."""

from __future__ import annotations

import streamlit as st

from muyun import labels
from muyun.profile import Profile


def indicator_column(key: str) -> st.column_config.NumberColumn:
    """An indicator value column headed `亩均税收（万元/亩）`; ratios shown as percentages."""
    meta = labels.INDICATORS[key]
    if meta.percent:
        return st.column_config.NumberColumn(f"{meta.name}（%）", format="percent")
    return st.column_config.NumberColumn(f"{meta.name}（{meta.unit}）", format="%.2f")


def ranking_column_config(profile: Profile, scale: str) -> dict[str, object]:
    """Config for `queries.ranking_table`: rank, tier and class, scores (分), values with units."""
    h = labels.SCORE_HEADERS
    points = labels.UNIT_POINTS
    config: dict[str, object] = {
        "rank": st.column_config.NumberColumn(h["rank"], format="%d", pinned=True),
        "tier": st.column_config.TextColumn(h["tier"], pinned=True, width="small"),
        "tier_class": st.column_config.TextColumn(h["tier_class"]),
        "name": st.column_config.TextColumn(h["name"], pinned=True),
        "credit_code": st.column_config.TextColumn(h["credit_code"]),
        "industry": st.column_config.TextColumn(h["industry"]),
        "town": st.column_config.TextColumn(h["town"]),
        "pool_size": st.column_config.NumberColumn(f"{h['pool_size']}（家）", format="%d"),
        "total": st.column_config.NumberColumn(f"{h['total']}（{points}）", format="%.2f"),
        "bonus": st.column_config.NumberColumn(f"{h['bonus']}（{points}）", format="%.2f"),
        "deduction": st.column_config.NumberColumn(f"{h['deduction']}（{points}）", format="%.2f"),
        "land_mu": st.column_config.NumberColumn(h["land_mu"], format="%.2f"),
        "status": st.column_config.TextColumn(h["status"]),
    }
    for spec in profile.indicators(scale):
        config[f"score_{spec.key}"] = st.column_config.NumberColumn(
            f"{labels.score_header(f'score_{spec.key}')}（{points}）",
            format="%.2f",
            help=labels.RANKINGS_TEXT["weight_help"].format(weight=spec.weight),
        )
        config[spec.key] = indicator_column(spec.key)
    return config

"""ui/cache.py: what a page reads of an earlier year comes from the store when it keeps that
year's tiers, and equals what the scored year says (issue 15: no scoring for a few columns)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from muyun import land, programmes, scoring, towns
from ui import cache

PROFILE = "yongkang-default"
COLUMN_SETS = (programmes.HISTORY_COLUMNS, land.PREVIOUS_YEAR_COLUMNS, towns.PREVIOUS_YEAR_COLUMNS)


@pytest.mark.parametrize("columns", COLUMN_SETS)
def test_a_stored_years_columns_equal_its_scored_frames_without_scoring_it(
    app_store: Path, monkeypatch: pytest.MonkeyPatch, columns: tuple[str, ...]
) -> None:
    expected = cache.scored_year(2023, PROFILE, cache.BASIS_LIVE)[list(columns)]
    st.cache_resource.clear()  # a new server process: nothing scored in memory
    st.cache_data.clear()

    def no_scoring(*args: object, **kwargs: object) -> None:
        raise AssertionError("scored a year")

    monkeypatch.setattr(scoring, "score_prepared", no_scoring)
    got = cache.scored_columns(2023, PROFILE, cache.BASIS_LIVE, columns)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_exact=True)


def test_a_profile_without_stored_tiers_is_cut_from_its_scored_year(app_store: Path) -> None:
    columns = programmes.HISTORY_COLUMNS
    got = cache.scored_columns(2023, "huangyan-2022", cache.BASIS_LIVE, columns)
    expected = cache.scored_year(2023, "huangyan-2022", cache.BASIS_LIVE)[list(columns)]
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_exact=True)

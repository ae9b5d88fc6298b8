"""`muyun/results.py`: the columns of the result file the command line and the evaluation
export hand out."""

from __future__ import annotations

import numpy as np

from muyun import policy, results, scoring
from tests.test_scoring import YEAR, insert, random_firms, shipped


def test_the_result_file_columns_share_the_scored_year_and_leave_it_as_it_is(empty_con):
    """The file's columns, in the file's order, are the scored year's own arrays (no 100 MB
    copy at province scale), and writing to the file's table does not reach the year."""
    insert(empty_con, random_firms(50))
    prof = shipped("yongkang-default")
    scored = policy.with_money(scoring.score_year(empty_con, YEAR, prof), prof, {})
    table = results.result_columns(scored, prof)
    assert table.columns.tolist()[: len(results.LEAD_COLUMNS)] == list(results.LEAD_COLUMNS)
    assert table.columns.tolist()[-len(policy.COLUMNS) :] == list(policy.COLUMNS)
    assert table.attrs["benchmarks"] == scored.attrs["benchmarks"]
    for column in ("total", "score_tax_per_mu", "tax_per_mu"):
        assert np.shares_memory(table[column].to_numpy(), scored[column].to_numpy())
    before = scored["total"].copy()
    table.loc[0, "total"] = -1.0
    assert scored["total"].equals(before)

"""The result file's columns: what `muyun score` writes and an evaluation run exports.

Why one module: the command line, the 年度评价 page and `muyun evaluation export` hand out the
same table (an official compares them side by side), so its columns and its Excel wording are
defined once, here, rather than in a command that the page would have to import.
"""

from __future__ import annotations

import pandas as pd

from muyun import labels, policy, profile, scoring

LEAD_COLUMNS: tuple[str, ...] = (
    "year",
    "credit_code",
    "name",
    "industry",
    "scale",
    "town",
    "status",
    "reason",
    "land_own_mu",
    "leased_in_mu",
    "leased_out_mu",
    "unregistered_lease_mu",
    "land_mu",
    "total",
    "rank",
    "pool",
    "pool_size",
    "tier",
    "tier_before_veto",
    "veto",
    "exempt",
)
TAIL_COLUMNS: tuple[str, ...] = (
    *scoring.BONUS_COLUMNS,
    "bonus",
    "deduction_safety",
    "deduction_env",
    "deduction",
)


def result_columns(result: pd.DataFrame, prof: profile.Profile) -> pd.DataFrame:
    """The exported columns: every indicator value, and benchmark/score/imputed of the used ones;
    the four policy-money columns (万元) when the profile has `[policy]`."""
    keys = prof.indicator_keys()
    per_indicator = [
        column for key in keys for column in (f"bench_{key}", f"score_{key}", f"imputed_{key}")
    ]
    money = list(policy.COLUMNS) if policy.enabled(prof) else []
    columns = [
        *LEAD_COLUMNS,
        *scoring.INDICATOR_FORMULAS,
        *per_indicator,
        *TAIL_COLUMNS,
        *money,
    ]
    # Columns side by side, not `result[columns]`: that copies every selected block (~100 MB,
    # 0.12 s at 200,000 rows), while this frame shares the result's arrays until one is written
    # (pandas' copy-on-write) and the writer only reads them. The columns carry the result's
    # attrs, which concat keeps.
    return pd.concat([result[column] for column in columns], axis=1)


def flags_as_words(table: pd.DataFrame) -> pd.DataFrame:
    """Excel for officials: 是/否 instead of True/False."""
    words = {value: word for word, value in labels.YES_NO.items()}
    flags = [c for c in table.columns if table[c].dtype == bool]
    return table.assign(**{c: table[c].map(words) for c in flags})

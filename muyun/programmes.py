"""Programmes (issue 14): who took part in what, and what it did for them.

Why a matched difference-in-differences: firms join a programme such as N+X 数字化改造 because
they are small, or struggling, or keen — so comparing participants with everyone else, or their
own before and after alone, mixes the programme with who they are and with the year. Each
participant is compared with the `k` non-participants of the same industry and scale whose
pre-period value is nearest its own (with replacement), and the effect is the mean of

    (participant's change from the year before joining to the year after)
    − (its matches' mean change over the same years).

The interval is a bootstrap over participants (their matched differences resampled, percentile
interval); the analytic standard error of the mean difference is reported beside it. Both treat
the matches as fixed, which understates the uncertainty a little when controls are reused —
the page says the interval is approximate.

A participant is evaluated when its cohort year T (first year in the programme) has a year
before (T − 1) and a year after (T + 1) in the scored history; otherwise it is counted as not
yet evaluable.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from muyun import labels, queries

OUTCOMES: tuple[str, ...] = ("tax_per_mu", "va_per_mu", "tier_score")
# What the difference-in-differences reads of a scored year (`_outcome`): each year is kept as
# a copy of these columns, not its 83 (four province years at once passed 1.5 GB).
HISTORY_COLUMNS: tuple[str, ...] = (
    "credit_code",
    "industry",
    "scale",
    "status",
    "tier",
    "total",
    "tax_per_mu",
    "va_per_mu",
)
TIER_SCORE = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}  # tier as a number: higher is better
DEFAULT_NEIGHBOURS = 3
DEFAULT_BOOTSTRAP = 2000
CONFIDENCE = 0.95


def load_participation(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every participation row (year, programme, credit_code, funds_10k, project)."""
    return con.execute(
        "SELECT year, programme, credit_code, funds_10k, project FROM programme_participation "
        "ORDER BY programme, year, credit_code"
    ).df()


def summary(participation: pd.DataFrame) -> pd.DataFrame:
    """Per programme and year: firms, funds (万元) and projects."""
    if participation.empty:
        return pd.DataFrame(columns=["programme", "year", "firms", "funds_10k", "projects"])
    grouped = participation.groupby(["programme", "year"], sort=True)
    return grouped.agg(
        firms=("credit_code", "nunique"),
        funds_10k=("funds_10k", "sum"),
        projects=("project", "nunique"),
    ).reset_index()


@dataclass(frozen=True)
class _Outcome:
    """One outcome in one scored year, rows with a value only: codes, values, total scores
    and the (industry, scale) cell of each row (−1 without one)."""

    codes: pd.Series
    value: np.ndarray
    total: np.ndarray
    cell: np.ndarray


def _outcome(scored: pd.DataFrame, outcome: str) -> _Outcome:
    """The outcome's value per firm of one scored year (NaN rows dropped). Arrays, not a frame
    of Python strings: at province scale a year has 200,000 rows and is read six times."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if outcome == "tier_score":
        tier = scored["tier"].to_numpy(dtype=object, na_value=None)
        value = np.full(len(scored), np.nan)
        for letter, score in TIER_SCORE.items():
            value[tier == letter] = score
        ranked = (scored["status"] == labels.STATUS_EVALUATED).to_numpy(dtype=bool)
        value[~ranked] = np.nan
    else:
        value = pd.to_numeric(scored[outcome], errors="coerce").to_numpy(dtype=float)
    keep = np.flatnonzero(~np.isnan(value))
    industry, _ = pd.factorize(scored["industry"].astype(str).iloc[keep])
    scale, scales = pd.factorize(scored["scale"].astype(str).iloc[keep])
    cell = np.where((industry >= 0) & (scale >= 0), industry * max(len(scales), 1) + scale, -1)
    total = pd.to_numeric(scored["total"], errors="coerce").to_numpy(dtype=float)
    return _Outcome(
        codes=scored["credit_code"].iloc[keep].reset_index(drop=True),
        value=value[keep],
        total=total[keep],
        cell=cell,
    )


def evaluation_years(participation: pd.DataFrame, programme: str) -> list[int]:
    """The scored years the programme's evaluation reads: the year before and the year after
    each cohort's first year (`tier_shares` reads every year, but only the tiers)."""
    rows = participation[participation["programme"] == programme]
    cohorts = rows.groupby("credit_code")["year"].min().unique()
    return sorted({int(y) + step for y in cohorts for step in (-1, 1)})


@dataclass(frozen=True)
class Effect:
    """One programme's effect on one outcome (units of the outcome; tier_score in tier steps)."""

    programme: str
    outcome: str
    participants: int  # distinct firms in the programme
    evaluated: int  # participants with a pre and a post value and at least one match
    not_evaluable: int  # cohort too recent, values missing, or no comparable firm
    treated_pre: float
    treated_post: float
    control_pre: float
    control_post: float
    did: float
    ci_low: float
    ci_high: float
    se: float  # analytic standard error of the mean matched difference
    cohorts: tuple[int, ...]

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return bool(self.ci_low > 0 or self.ci_high < 0)


def matched_differences(
    history: dict[int, pd.DataFrame],
    participation: pd.DataFrame,
    programme: str,
    outcome: str,
    *,
    neighbours: int = DEFAULT_NEIGHBOURS,
) -> pd.DataFrame:
    """Per evaluated participant: cohort, pre/post values, its matches' mean pre/post, difference.

    Controls are firms never in `programme` (any year), of the same industry and scale in the
    pre year, with values in both years; the `neighbours` nearest on the pre value are used,
    ties (tiers are few values) broken by the nearest pre-year total score.
    """
    rows = participation[participation["programme"] == programme]
    everyone = pd.Series(rows["credit_code"].unique())
    cohort = rows.groupby("credit_code")["year"].min()
    out: list[dict[str, object]] = []
    for year in sorted(cohort.unique()):
        pre_year, post_year = int(year) - 1, int(year) + 1
        if pre_year not in history or post_year not in history:
            continue
        pre = _outcome(history[pre_year], outcome)
        post = _outcome(history[post_year], outcome)
        at = queries.position_in(pre.codes, post.codes)
        both = np.flatnonzero(at >= 0)  # firms with both values, in the pre year's order
        codes, value, total = pre.codes.iloc[both], pre.value[both], pre.total[both]
        after, cell = post.value[at[both]], pre.cell[both]
        members = pd.Series(cohort.index[cohort == year])
        treated = np.flatnonzero(queries.position_in(codes, members) >= 0)
        control = queries.position_in(codes, everyone) < 0
        cells = {c: np.flatnonzero(control & (cell == c)) for c in set(cell[treated]) if c >= 0}
        for i in treated:
            candidates = cells.get(cell[i])
            if candidates is None or len(candidates) == 0:
                continue
            distance = np.abs(value[candidates] - value[i])
            closeness = np.nan_to_num(np.abs(total[candidates] - total[i]), nan=np.inf)
            take = candidates[np.lexsort((closeness, distance))[:neighbours]]
            c_pre = float(value[take].mean())
            c_post = float(after[take].mean())
            pre_i, post_i = float(value[i]), float(after[i])
            out.append(
                {
                    "credit_code": codes.iloc[i],
                    "cohort": int(year),
                    "pre": pre_i,
                    "post": post_i,
                    "control_pre": c_pre,
                    "control_post": c_post,
                    "difference": (post_i - pre_i) - (c_post - c_pre),
                }
            )
    columns = ["credit_code", "cohort", "pre", "post", "control_pre", "control_post", "difference"]
    return pd.DataFrame(out, columns=columns)


def evaluate(
    history: dict[int, pd.DataFrame],
    participation: pd.DataFrame,
    programme: str,
    outcome: str,
    *,
    neighbours: int = DEFAULT_NEIGHBOURS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
) -> Effect:
    """The matched difference-in-differences of one programme on one outcome, with a 95 %
    bootstrap interval (deterministic for a given seed). NaN figures when nobody is evaluable."""
    pairs = matched_differences(history, participation, programme, outcome, neighbours=neighbours)
    firms = participation.loc[participation["programme"] == programme, "credit_code"].nunique()
    diff = pairs["difference"].to_numpy(dtype=float)
    n = len(diff)
    if n == 0:
        nan = float("nan")
        blank = (nan,) * 8
        return Effect(programme, outcome, firms, 0, firms, *blank, ())
    rng = np.random.default_rng(seed)
    draws = diff[rng.integers(0, n, size=(bootstrap, n))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return Effect(
        programme=programme,
        outcome=outcome,
        participants=firms,
        evaluated=n,
        not_evaluable=firms - n,
        treated_pre=float(pairs["pre"].mean()),
        treated_post=float(pairs["post"].mean()),
        control_pre=float(pairs["control_pre"].mean()),
        control_post=float(pairs["control_post"].mean()),
        did=float(diff.mean()),
        ci_low=float(low),
        ci_high=float(high),
        se=se,
        cohorts=tuple(sorted(int(c) for c in pairs["cohort"].unique())),
    )


def evaluate_all(
    history: dict[int, pd.DataFrame],
    participation: pd.DataFrame,
    programme: str,
    *,
    neighbours: int = DEFAULT_NEIGHBOURS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
) -> list[Effect]:
    """The programme's effect on every outcome (亩均税收, 亩均增加值, tier)."""
    return [
        evaluate(
            history,
            participation,
            programme,
            outcome,
            neighbours=neighbours,
            bootstrap=bootstrap,
            seed=seed,
        )
        for outcome in OUTCOMES
    ]


def tier_shares(
    history: dict[int, pd.DataFrame], participation: pd.DataFrame, programme: str
) -> pd.DataFrame:
    """Participants' tiers in each scored year (counts per tier), to show before and after."""
    members = participation.loc[participation["programme"] == programme, "credit_code"]
    rows = []
    for year, scored in sorted(history.items()):
        mine = scored[
            queries.among(scored["credit_code"], members)
            & (scored["status"] == labels.STATUS_EVALUATED)
        ]
        counts = mine["tier"].astype(str).value_counts()
        rows.append({"year": year, **{t: int(counts.get(t, 0)) for t in labels.TIERS}})
    return pd.DataFrame(rows, columns=["year", *labels.TIERS])


def effects_frame(effects: list[Effect]) -> pd.DataFrame:
    """The effects as a table (one row per outcome) for the page and the export."""
    rows = [
        {
            "outcome": labels.PROGRAMME_OUTCOMES[e.outcome],
            "evaluated": e.evaluated,
            "not_evaluable": e.not_evaluable,
            "treated_pre": e.treated_pre,
            "treated_post": e.treated_post,
            "control_pre": e.control_pre,
            "control_post": e.control_post,
            "did": e.did,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "se": e.se,
            "verdict": labels.PROGRAMME_TEXT["significant" if e.significant else "not_significant"],
        }
        for e in effects
    ]
    return pd.DataFrame(rows)

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

from muyun import labels

OUTCOMES: tuple[str, ...] = ("tax_per_mu", "va_per_mu", "tier_score")
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


def outcome_values(scored: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """credit_code, industry, scale and the outcome's value in one scored year (NaN dropped)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if outcome == "tier_score":
        ranked = scored["status"] == labels.STATUS_EVALUATED
        value = scored["tier"].astype(object).map(TIER_SCORE).where(ranked)
    else:
        value = scored[outcome]
    frame = pd.DataFrame(
        {
            "credit_code": scored["credit_code"].to_numpy(),
            "industry": scored["industry"].astype(str).to_numpy(),
            "scale": scored["scale"].astype(str).to_numpy(),
            "value": pd.to_numeric(value, errors="coerce").to_numpy(dtype=float),
            "total": pd.to_numeric(scored["total"], errors="coerce").to_numpy(dtype=float),
        }
    )
    return frame.dropna(subset=["value"])


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
    everyone = set(rows["credit_code"])
    cohort = rows.groupby("credit_code")["year"].min()
    out: list[dict[str, object]] = []
    for year in sorted(cohort.unique()):
        pre_year, post_year = int(year) - 1, int(year) + 1
        if pre_year not in history or post_year not in history:
            continue
        pre = outcome_values(history[pre_year], outcome).set_index("credit_code")
        post = outcome_values(history[post_year], outcome).set_index("credit_code")["value"]
        both = pre.join(post.rename("post"), how="inner")
        members = cohort.index[cohort == year]
        treated = both[both.index.isin(members)]
        controls = both[~both.index.isin(everyone)]
        by_cell = {key: cell for key, cell in controls.groupby(["industry", "scale"])}
        for code, row in treated.iterrows():
            cell = by_cell.get((row["industry"], row["scale"]))
            if cell is None or cell.empty:
                continue
            distance = np.abs(cell["value"].to_numpy() - float(row["value"]))
            closeness = np.nan_to_num(
                np.abs(cell["total"].to_numpy() - float(row["total"])), nan=np.inf
            )
            take = np.lexsort((closeness, distance))[:neighbours]
            c_pre = float(cell["value"].to_numpy()[take].mean())
            c_post = float(cell["post"].to_numpy()[take].mean())
            out.append(
                {
                    "credit_code": code,
                    "cohort": int(year),
                    "pre": float(row["value"]),
                    "post": float(row["post"]),
                    "control_pre": c_pre,
                    "control_post": c_post,
                    "difference": (float(row["post"]) - float(row["value"])) - (c_post - c_pre),
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
    members = set(participation.loc[participation["programme"] == programme, "credit_code"])
    rows = []
    for year, scored in sorted(history.items()):
        mine = scored[
            scored["credit_code"].isin(members) & (scored["status"] == labels.STATUS_EVALUATED)
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

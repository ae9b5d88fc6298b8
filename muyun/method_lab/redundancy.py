"""Redundancy of a profile's indicators: Spearman correlations per scale (JRC/COINr practice).

Why Spearman: the indicators are heavy-tailed ratios (one firm on a sliver of land has a huge
亩均税收), and what the method uses is their order relative to a benchmark, so rank correlation
is the honest measure. Two indicators above 0.9 count the same thing twice (the JRC's
"collinearity" flag: effectively a doubled weight). An indicator strongly correlated with its
own denominator (|ρ| ≥ 0.7, the usual "strong" line) measures size rather than efficiency —
e.g. 亩均税收 falling with land because small plots score high.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from muyun import labels, scoring
from muyun.profile import Profile

PAIR_MAX = 0.9
DENOMINATOR_MIN = 0.7
MIN_PAIRS = 10  # fewer firms with both values than this: no correlation is shown


@dataclass(frozen=True)
class Redundancy:
    """Per scale the indicator × indicator matrix, and the flagged pairs and denominators."""

    matrices: dict[str, pd.DataFrame]  # scale → Spearman ρ, indicator keys both ways
    pairs: pd.DataFrame  # scale, first, second, rho (|ρ| > PAIR_MAX)
    denominators: pd.DataFrame  # scale, indicator, denominator, rho, strong


def spearman(frame: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ of every pair of columns over the rows where both are defined (each pair
    ranked on its own complete rows: the result of pandas' pairwise `corr(method="spearman")`,
    which the tests check); NaN with fewer than `MIN_PAIRS` rows."""
    columns = list(frame.columns)
    values = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in columns}
    # A column without gaps is ranked once over all rows, which is what every pair of two such
    # columns ranks (ranking is what takes the time at 200,000 firms).
    full = {c: _ranks(v) for c, v in values.items() if len(v) and not np.isnan(v).any()}
    out = pd.DataFrame(np.nan, index=columns, columns=columns)
    for i, first in enumerate(columns):
        out.iat[i, i] = 1.0
        for j in range(i + 1, len(columns)):
            second = columns[j]
            both = ~np.isnan(values[first]) & ~np.isnan(values[second])
            if both.sum() < MIN_PAIRS:
                continue
            if first in full and second in full:
                rho = _pearson(full[first], full[second])
            else:
                rho = _rank_corr(values[first][both], values[second][both])
            out.iat[i, j] = out.iat[j, i] = rho
    return out


def check_year(data: scoring.YearData, profile: Profile) -> Redundancy:
    """The matrices and flags of each scale the profile scores, over its 评价/不定级 firms."""
    scored = scoring.scored_mask(data, profile)
    matrices: dict[str, pd.DataFrame] = {}
    pairs: list[dict[str, object]] = []
    dens: list[dict[str, object]] = []
    for scale, specs in profile.scales.items():
        rows = scored & (data.scale_code == labels.SCALES.index(scale))
        keys = [spec.key for spec in specs]
        frame = pd.DataFrame({key: data.values[key][rows] for key in keys})
        matrix = spearman(frame)
        matrices[scale] = matrix
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                rho = matrix.at[first, second]
                if abs(rho) > PAIR_MAX:
                    pairs.append({"scale": scale, "first": first, "second": second, "rho": rho})
        for key in keys:
            denominator = data.denominators[key][rows]
            value = data.values[key][rows]
            defined = ~np.isnan(value)
            rho = (
                _rank_corr(value[defined], denominator[defined])
                if defined.sum() >= MIN_PAIRS
                else np.nan
            )
            dens.append(
                {
                    "scale": scale,
                    "indicator": key,
                    "denominator": scoring.INDICATOR_FORMULAS[key][1],
                    "rho": rho,
                    "strong": bool(abs(rho) >= DENOMINATOR_MIN),
                }
            )
    return Redundancy(
        matrices=matrices,
        pairs=pd.DataFrame(pairs, columns=["scale", "first", "second", "rho"]),
        denominators=pd.DataFrame(
            dens, columns=["scale", "indicator", "denominator", "rho", "strong"]
        ),
    )


def _rank_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of average ranks (ties share their mean rank); NaN without spread."""
    return _pearson(_ranks(a), _ranks(b))


def _ranks(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(method="average").to_numpy(dtype=float)


def _pearson(ra: np.ndarray, rb: np.ndarray) -> float:
    da = ra - ra.mean()
    db = rb - rb.mean()
    den = np.sqrt((da * da).sum() * (db * db).sum())
    return float((da * db).sum() / den) if den > 0 else np.nan

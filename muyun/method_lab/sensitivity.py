"""How much each firm's rank and tier depend on the method's choices (OECD/JRC, COINr).

Three views on one scale's ranked firms (status 评价), all re-using the engine's result:

- **Drop one**: each indicator removed and its weight spread over the others in proportion
  (the total stays the same); how many firms change tier.
- **Variance-based indices** of the ranks and tiers to each weight and to the cap, as COINr's
  `get_sensitivity` computes them: Saltelli's design (matrices A and B from one scrambled Sobol
  sequence of 2·d dimensions, and A with column i taken from B for every factor i) and Jansen's
  estimators — first order S_i = (V − ½·E[(f(B) − f(A_B^i))²]) / V, total
  S_Ti = ½·E[(f(A) − f(A_B^i))²] / V (Saltelli et al. 2010, table 2). Each weight and the cap
  (one multiplier on every indicator's cap) is an independent factor, uniform in
  [1 − spread, 1 + spread] × its value; the weights are not rescaled to their sum, since a
  variance decomposition needs independent factors (rescaling ties every weight to the others).
  The two outputs are the JRC's mean absolute rank shift from the nominal ranks, and the share
  of firms whose tier differs from the nominal tier.
- **Per firm**: the 5–95 % rank interval and the probability of each tier over all runs
  (every row of A, B and A_B^i is a draw from the factors' distribution).

Why it is fast enough for a province: the per-point scores (value / benchmark) are computed once;
a run only multiplies weights, re-caps the capped indicators (one vector minimum per capped
indicator) and ranks each pool — runs go in chunks, like the what-if robustness run, each
chunk tiered in one call, and the number of base samples adapts to the size of the pool
(`base_samples`). Still, at province scale an analysis is tens of millions of firm-runs:
`plan` tells a page how large it is before anything is scored, so the page can leave it to a
click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from muyun import labels, scoring
from muyun.profile import Profile, TierRule

SPREAD = 0.25  # ±25 %: COINr's example noise on weights
SEED = 20240601
CAP_FACTOR = "cap"  # the factor name of the cap multiplier (indicator keys name the weights)
RUN_BUDGET = 24_000_000  # firms × runs of one scale's analysis (N adapts to the pool)
AUTO_CELLS = 5_000_000  # firms × runs a page may run unasked (about a second); more on request
MIN_SAMPLES, MAX_SAMPLES = 16, 128
_CHUNK_CELLS = 4_000_000  # firms × runs per chunk (memory: a few arrays of this many floats)
_NO_SPREAD = 1e-12
_IDENTITY = ("credit_code", "name", "industry", "town", "pool")


class EngineMismatch(RuntimeError):
    """The nominal method did not give back the engine's totals: refuse rather than mislead."""


@dataclass(frozen=True, eq=False)
class Model:
    """One scale's ranked firms reduced to what re-weighting and re-capping changes."""

    firms: pd.DataFrame  # identity columns, in the engine's display order
    keys: tuple[str, ...]
    weights: np.ndarray  # K
    ratio: np.ndarray  # n × K: max(value / benchmark, 0), NaN where the value is missing
    caps: np.ndarray  # K, inf without a cap
    impute: np.ndarray  # K: missing values take the mean per-point score ("average_score")
    base: np.ndarray  # n: bonus − deduction
    pools: np.ndarray  # n: pool codes
    pool_size: np.ndarray
    tax: np.ndarray
    veto: np.ndarray
    tiers: TierRule

    @property
    def has_cap(self) -> bool:
        """Whether any indicator is capped (else the cap is no factor)."""
        return bool(np.isfinite(self.caps).any())

    def factors(self) -> tuple[str, ...]:
        """The factor names: each indicator's weight, then the cap when there is one."""
        return (*self.keys, CAP_FACTOR) if self.has_cap else self.keys


@dataclass(frozen=True)
class Sensitivity:
    """The three views (see the module docstring) and the sample that produced them."""

    drop_one: pd.DataFrame  # indicator, weight, moved, up, down
    indices: pd.DataFrame  # factor, output, first_order, total_effect
    firms: pd.DataFrame  # identity, rank, tier, rank_p5, rank_p95, prob_A…prob_D, borderline
    samples: int  # N, the base sample size
    runs: int  # N × (d + 2)
    spread: float


def build_model(scored: pd.DataFrame, profile: Profile, scale: str) -> Model:
    """The model of `scale` from the engine's result under `profile` (checked against it)."""
    pool = scored.loc[
        (scored["status"] == labels.STATUS_EVALUATED) & (scored["scale"] == scale)
    ].reset_index(drop=True)
    specs = profile.indicators(scale)
    n = len(pool)
    ratio = np.empty((n, len(specs)))
    for k, spec in enumerate(specs):
        value = pool[spec.key].to_numpy(dtype=float, na_value=np.nan)
        bench = pool[f"bench_{spec.key}"].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(bench > 0, np.clip(value / bench, 0.0, None), 0.0)
        ratio[:, k] = np.where(np.isnan(value), np.nan, r)
    model = Model(
        firms=pool[[*_IDENTITY, "rank", "tier", "total"]].copy(),
        keys=tuple(spec.key for spec in specs),
        weights=np.array([spec.weight for spec in specs], dtype=float),
        ratio=ratio,
        caps=np.array([math.inf if s.cap is None else s.cap for s in specs], dtype=float),
        impute=np.array([spec.missing == "average_score" for spec in specs], dtype=bool),
        base=pool["bonus"].to_numpy(dtype=float, na_value=0.0)
        - pool["deduction"].to_numpy(dtype=float, na_value=0.0),
        pools=pd.factorize(pool["pool"].astype(str))[0].astype(np.int64),
        pool_size=pool["pool_size"].to_numpy(dtype=np.int64),
        tax=pool["tax_per_mu"].to_numpy(dtype=float, na_value=np.nan),
        veto=pool["veto"].to_numpy(dtype=bool, na_value=False),
        tiers=profile.tiers,
    )
    nominal = totals(model, model.weights[None, :], np.ones(1))[0]
    engine = pool["total"].to_numpy(dtype=float, na_value=np.nan)
    if not np.allclose(nominal, engine, rtol=0.0, atol=1e-5):
        raise EngineMismatch(labels.METHOD_LAB_ERRORS["engine_mismatch"])
    return model


def totals(model: Model, weight_sets: np.ndarray, cap_factors: np.ndarray) -> np.ndarray:
    """Totals (runs × n) under each row of weights and each cap multiplier, rounded like the
    engine and summed in profile order (so the nominal run gives back the engine's totals).

    An uncapped indicator's per-point scores are the same in every run (only its weight
    varies), so they are filled in once; a capped one is re-capped per run."""
    runs = weight_sets.shape[0]
    out = np.zeros((runs, len(model.firms)))
    term = np.empty_like(out)
    for k in range(len(model.keys)):
        r = model.ratio[:, k]
        missing = np.isnan(r)
        impute = model.impute[k] and missing.any()
        units: np.ndarray
        if np.isfinite(model.caps[k]):
            units = np.minimum(r[None, :], model.caps[k] * cap_factors[:, None])
            if impute:
                defined = ~missing
                mean = units[:, defined].mean(axis=1) if defined.any() else np.zeros(runs)
                units = np.where(missing[None, :], mean[:, None], units)
            else:
                units[:, missing] = 0.0
        else:
            fill = (r[~missing].mean() if (~missing).any() else 0.0) if impute else 0.0
            units = np.where(missing, fill, r)[None, :]
        np.multiply(weight_sets[:, k : k + 1], units, out=term)
        out += term
    return scoring.round_tol(out + model.base)


def ranks_and_tiers(
    model: Model, weight_sets: np.ndarray, cap_factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks per pool and tier codes (0–3 = A–D, after the veto), runs × n.

    Each run is ranked on its own (one sort of n is cheaper than one of runs × n); all runs are
    tiered in one call, the firms' pool sizes, tax and veto broadcast over the runs."""
    total = totals(model, weight_sets, cap_factors)
    ranks = np.empty(total.shape, dtype=np.int32)
    for run, row in enumerate(total):
        ranks[run] = scoring.competition_rank(row, model.pools)
    codes = scoring.tier_code_array(ranks, model.pool_size, model.tax, model.veto, model.tiers)
    return ranks, codes.astype(np.int8)


def drop_one(model: Model) -> pd.DataFrame:
    """Per indicator: firms whose tier changes when it is dropped and its weight is spread over
    the others in proportion to theirs (up = a better tier, down = a worse one)."""
    sets = []
    total = model.weights.sum()
    for k in range(len(model.keys)):
        rest = total - model.weights[k]
        w = model.weights * (total / rest if rest > 0 else 0.0)
        w[k] = 0.0
        sets.append(w)
    nominal = _nominal(model)[1]
    _, codes = ranks_and_tiers(
        model, np.array(sets).reshape(-1, len(model.keys)), np.ones(len(sets))
    )
    moved = codes != nominal[None, :]
    return pd.DataFrame(
        {
            "indicator": list(model.keys),
            "weight": model.weights,
            "moved": moved.sum(axis=1),
            "up": (codes < nominal[None, :]).sum(axis=1),
            "down": (codes > nominal[None, :]).sum(axis=1),
        }
    )


def saltelli(dimensions: int, samples: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Matrices A and B (samples × dimensions, in [0, 1)) from one scrambled Sobol sequence of
    2·d dimensions, as Saltelli's design takes them; `samples` is rounded up to a power of 2."""
    from scipy.stats import qmc  # a second to import: only when an analysis runs

    m = max(math.ceil(math.log2(max(samples, 2))), 1)
    points = qmc.Sobol(d=2 * dimensions, scramble=True, seed=seed).random_base2(m)
    return points[:, :dimensions], points[:, dimensions:]


def jansen(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices (Jansen) of each factor i from f(A), f(B) and f(A_B^i)
    (`y_ab` is d × N); zeros when the output does not vary at all."""
    both = np.concatenate([y_a, y_b])
    variance = float(np.var(both, ddof=1))
    if not variance > _NO_SPREAD * max(1.0, float(np.mean(both)) ** 2):  # constant up to noise
        zeros = np.zeros(y_ab.shape[0])
        return zeros, zeros.copy()
    first = (variance - 0.5 * np.mean((y_b[None, :] - y_ab) ** 2, axis=1)) / variance
    total = 0.5 * np.mean((y_a[None, :] - y_ab) ** 2, axis=1) / variance
    return first, total


def base_samples(firms: int, factors: int, budget: int = RUN_BUDGET) -> int:
    """N: the largest power of 2 with firms × N × (d + 2) within the budget, 16 to 512."""
    if firms == 0:
        return MIN_SAMPLES
    fit = budget / (firms * (factors + 2))
    n = 2 ** math.floor(math.log2(max(fit, 1)))
    return int(min(max(n, MIN_SAMPLES), MAX_SAMPLES))


def plan(data: scoring.YearData, profile: Profile, scale: str) -> tuple[int, int]:
    """(firms, runs) of the scale's analysis, read off the prepared year without scoring it:
    the firms the profile scores in the scale (the ranked ones and the few 不定级, an upper
    bound) and N × (d + 2) runs for them. A page uses it to run a small analysis at once and
    leave a province-scale one (tens of millions of firm-runs) to a click."""
    in_scale = data.scale_code == labels.SCALES.index(scale)
    firms = int((scoring.scored_mask(data, profile) & in_scale).sum())
    specs = profile.indicators(scale)
    factors = len(specs) + any(spec.cap is not None for spec in specs)
    return firms, base_samples(firms, factors) * (factors + 2)


def analyse(
    scored: pd.DataFrame,
    profile: Profile,
    scale: str,
    *,
    samples: int | None = None,
    spread: float = SPREAD,
    seed: int = SEED,
) -> Sensitivity:
    """Drop-one, the variance-based indices and the per-firm intervals of one scale."""
    if not 0 < spread < 1:
        raise ValueError(labels.METHOD_LAB_ERRORS["bad_spread"])
    model = build_model(scored, profile, scale)
    names = model.factors()
    d = len(names)
    n_base = samples or base_samples(len(model.firms), d)
    a, b = saltelli(d, n_base, seed)
    n_base = a.shape[0]
    design = np.concatenate([a, b, *(_swap(a, b, i) for i in range(d))])
    factors = 1.0 - spread + 2.0 * spread * design
    weight_sets = factors[:, : len(model.keys)] * model.weights
    caps = factors[:, -1] if model.has_cap else np.ones(len(factors))
    nominal_rank, nominal_tier = _nominal(model)
    n = len(model.firms)
    runs = len(factors)
    shift = np.zeros(runs)
    changed = np.zeros(runs)
    tier_counts = np.zeros((4, n))
    all_ranks = np.empty((runs, n), dtype=np.int32)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, runs, step):
        stop = min(start + step, runs)
        ranks, codes = ranks_and_tiers(model, weight_sets[start:stop], caps[start:stop])
        all_ranks[start:stop] = ranks
        if n:
            shift[start:stop] = np.abs(ranks - nominal_rank[None, :]).mean(axis=1)
            changed[start:stop] = (codes != nominal_tier[None, :]).mean(axis=1)
        for tier in range(4):
            tier_counts[tier] += (codes == tier).sum(axis=0)
    rows = []
    for output, y in (("rank", shift), ("tier", changed)):
        y_a, y_b = y[:n_base], y[n_base : 2 * n_base]
        y_ab = y[2 * n_base :].reshape(d, n_base)
        first, total = jansen(y_a, y_b, y_ab)
        rows += [
            {"factor": name, "output": output, "first_order": f, "total_effect": t}
            for name, f, t in zip(names, first, total, strict=True)
        ]
    return Sensitivity(
        drop_one=drop_one(model),
        indices=pd.DataFrame(rows, columns=["factor", "output", "first_order", "total_effect"]),
        firms=_per_firm(model, all_ranks, tier_counts / runs, nominal_tier),
        samples=n_base,
        runs=runs,
        spread=spread,
    )


def borderline(result: Sensitivity) -> pd.DataFrame:
    """The firms whose nominal tier holds in under 80 % of the runs, least stable first."""
    firms = result.firms
    return firms[firms["borderline"].to_numpy(dtype=bool)].sort_values("prob_current")


# ── internals ──────────────────────────────────────────────────────────────────────────────

STABLE_SHARE = 0.80


def _swap(a: np.ndarray, b: np.ndarray, column: int) -> np.ndarray:
    out = a.copy()
    out[:, column] = b[:, column]
    return out


def _nominal(model: Model) -> tuple[np.ndarray, np.ndarray]:
    ranks, codes = ranks_and_tiers(model, model.weights[None, :], np.ones(1))
    return ranks[0], codes[0]


def _per_firm(
    model: Model, ranks: np.ndarray, shares: np.ndarray, nominal_tier: np.ndarray
) -> pd.DataFrame:
    firms = model.firms.copy()
    if len(firms):
        low, high = np.percentile(ranks, [5, 95], axis=0, method="nearest")
    else:
        low = high = np.zeros(0)
    firms["rank_p5"] = np.asarray(low, dtype=np.int64)
    firms["rank_p95"] = np.asarray(high, dtype=np.int64)
    for index, tier in enumerate(labels.TIERS):
        firms[f"prob_{tier}"] = shares[index]
    current = shares[nominal_tier, np.arange(len(firms))] if len(firms) else np.zeros(0)
    firms["prob_current"] = current
    firms["borderline"] = current < STABLE_SHARE
    return firms

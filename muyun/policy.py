"""差别化政策测算: what a tier costs or saves each firm, and the treasury, in 万元 (methodology §9).

Why a module of its own, after scoring: the money depends only on a scored year's tiers (after
veto and any override), three raw columns (electricity, water, own land) and the profile's
`[policy]` rates, so the live score, a published run and every what-if scenario hand it the same
frame shape and get the same four columns. Everything is vectorised over the year (numpy), so
adding the money to `score_year` costs a few per cent of the score itself
(`benchmarks/bench_policy.py`).

The repeat escalation needs the tiers a firm held in the years before (`prior_tiers`: year →
Series credit_code → tier). A year missing from the mapping, or a firm without a tier in it,
breaks the run. Totals are always sums of the per-firm figures, never recomputed otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from muyun import labels
from muyun.profile import PolicyRates, Profile

COLUMNS: tuple[str, ...] = (
    "electricity_surcharge",
    "water_surcharge",
    "land_tax_relief",
    "policy_net",
)
M2_PER_MU = 10_000 / 15  # 1 亩 = 10,000 / 15 平方米 (§9)
YUAN_PER_WAN = 10_000
GROUPS: tuple[str, ...] = ("tier", "industry", "town")
TOTAL_COLUMNS: tuple[str, ...] = (
    "firms",
    "land_tax_relief",
    "electricity_surcharge",
    "water_surcharge",
    "surcharges",
    "policy_net",
)
# Rate sliders of the what-if page: flat, allow-listed names (URL and stored scenarios).
RATE_PREFIXES = ("r_elec_", "r_water_", "r_relief_")
RATE_REPEAT = "r_elec_repeat"
ELECTRICITY_MAX = 2.0  # 元/千瓦时
ELECTRICITY_STEP = 0.01
PCT_MAX = 100.0
PCT_STEP = 1.0

_TIERS = labels.TIERS
_NO_TIER = -1


def enabled(profile: Profile) -> bool:
    """Whether the profile computes money at all (a profile without `[policy]` computes none)."""
    return profile.policy is not None


def prior_years(profile: Profile, year: int) -> list[int]:
    """The years before `year` whose tiers the repeat escalation looks at (newest first)."""
    policy = profile.policy
    if policy is None or policy.repeat is None:
        return []
    return [year - k for k in range(1, policy.repeat.years)]


def tier_history(scored_years: Mapping[int, pd.DataFrame]) -> dict[int, pd.Series]:
    """year → Series credit_code → tier (NaN when untiered), from scored years of one profile."""
    out: dict[int, pd.Series] = {}
    for year, frame in scored_years.items():
        ranked = (frame["status"] == labels.STATUS_EVALUATED).to_numpy(dtype=bool)
        tiers = frame["tier"].to_numpy(dtype=object, na_value=None)
        out[int(year)] = pd.Series(
            np.where(ranked, tiers, None),
            index=pd.Index(frame["credit_code"].astype(str), name="credit_code"),
            name="tier",
        )
    return out


def tier_codes(frame: pd.DataFrame) -> np.ndarray:
    """0–3 for A–D of firms with status 评价 and a tier, −1 for everybody else.

    Through Arrow's `index_in` (no Python object per row): this runs on every scored year.
    """
    tiers = pa.array(frame["tier"], type=pa.string(), from_pandas=True)
    found = pc.index_in(tiers, value_set=pa.array(_TIERS, type=pa.string()))
    codes = found.fill_null(_NO_TIER).to_numpy(zero_copy_only=False)
    ranked = (frame["status"] == labels.STATUS_EVALUATED).to_numpy(dtype=bool, na_value=False)
    return np.where(ranked, codes, _NO_TIER).astype(np.int64)


def held_repeat(
    frame: pd.DataFrame,
    policy: PolicyRates,
    prior_tiers: Mapping[int, pd.Series],
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Whether each firm held `repeat.tier` in each of the `repeat.years − 1` years before.

    This is the history half of the escalation; the firm's own tier this year decides the rest.
    Only `rows` (a boolean mask; None: all) are looked up, the others are False — callers pass
    the few firms whose tier is the repeat tier, so a year of 200,000 firms costs little.
    """
    n = len(frame)
    held = np.zeros(n, dtype=bool)
    rule = policy.repeat
    if rule is None or n == 0:
        return held
    where = np.arange(n) if rows is None else np.flatnonzero(rows)
    if not len(where):
        return held
    codes = frame["credit_code"].take(where).astype(str).to_numpy(dtype=object)
    years = frame["year"].take(where).to_numpy(dtype=np.int64)
    ok = np.ones(len(where), dtype=bool)
    for year in np.unique(years):
        mine = years == year
        for back in range(1, rule.years):
            before = prior_tiers.get(int(year) - back)
            if before is None:
                ok[mine] = False
                break
            position = before.index.get_indexer(codes[mine])
            tiers = before.to_numpy(dtype=object, na_value=None)
            was = np.zeros(len(position), dtype=bool)
            found = position >= 0
            was[found] = tiers[position[found]] == rule.tier
            ok[mine] &= was
    held[where] = ok
    return held


def repeat_rows(policy: PolicyRates, *codes: np.ndarray) -> np.ndarray | None:
    """Rows whose tier (in any of `codes`) is the repeat tier: the only ones worth a lookup."""
    if policy.repeat is None:
        return None
    tier = _TIERS.index(policy.repeat.tier)
    mask = np.zeros(len(codes[0]), dtype=bool)
    for array in codes:
        mask |= array == tier
    return mask


def money(
    frame: pd.DataFrame,
    policy: PolicyRates,
    codes: np.ndarray,
    held: np.ndarray,
) -> dict[str, np.ndarray]:
    """The four §9 columns (万元) for tier codes `codes` (−1: none) and repeat history `held`.

    `frame` supplies electricity_10k_kwh, water_t and land_own_mu; missing values count 0.
    """
    elec = _zero_nan(frame["electricity_10k_kwh"])
    water = _zero_nan(frame["water_t"])
    land = _zero_nan(frame["land_own_mu"])
    elec_rate = _rates(policy.electricity)[codes]
    if policy.repeat is not None:
        repeat = (codes == _TIERS.index(policy.repeat.tier)) & held
        elec_rate = np.where(repeat, policy.repeat.rate, elec_rate)
    water_pct = _rates(policy.water)[codes]
    relief_pct = _rates(policy.land_relief)[codes]
    electricity = elec * elec_rate
    water_money = water * (policy.water_base_price or 0.0) * water_pct / 100 / YUAN_PER_WAN
    relief = land * M2_PER_MU * (policy.land_tax_rate or 0.0) * relief_pct / 100 / YUAN_PER_WAN
    return {
        "electricity_surcharge": electricity,
        "water_surcharge": water_money,
        "land_tax_relief": relief,
        "policy_net": relief - electricity - water_money,
    }


def policy_columns(
    scored: pd.DataFrame, profile: Profile, prior_tiers: Mapping[int, pd.Series]
) -> pd.DataFrame:
    """The four §9 columns (万元) aligned to `scored`'s index; no columns without `[policy]`.

    `scored` is a scored year (or several: each row's own year picks its prior years) whose
    `tier` is final (after veto and any override); `prior_tiers` maps earlier years to the
    tiers firms held then (`tier_history`, or the published history).
    """
    policy = profile.policy
    if policy is None:
        return pd.DataFrame(index=scored.index)
    codes = tier_codes(scored)
    held = held_repeat(scored, policy, prior_tiers, repeat_rows(policy, codes))
    return pd.DataFrame(money(scored, policy, codes, held), index=scored.index)


def with_money(
    scored: pd.DataFrame, profile: Profile, prior_tiers: Mapping[int, pd.Series]
) -> pd.DataFrame:
    """`scored` with the four columns and `repeat_escalated` appended (the page's frame).

    Unchanged when the profile has no `[policy]`.
    """
    policy = profile.policy
    if policy is None:
        return scored
    codes = tier_codes(scored)
    held = held_repeat(scored, policy, prior_tiers, repeat_rows(policy, codes))
    out = scored.assign(**money(scored, policy, codes, held))
    repeat = policy.repeat
    out["repeat_escalated"] = (
        (codes == _TIERS.index(repeat.tier)) & held if repeat is not None else False
    )
    return out


def net_by_tier(
    frame: pd.DataFrame, policy: PolicyRates, prior_tiers: Mapping[int, pd.Series]
) -> np.ndarray:
    """n × 4: each firm's `policy_net` had it tier A, B, C, D this year (same history).

    The robustness run picks from it by the tiers of each random weight set.
    """
    held = held_repeat(frame, policy, prior_tiers)
    n = len(frame)
    columns = [
        money(frame, policy, np.full(n, code, dtype=np.int64), held)["policy_net"]
        for code in range(len(_TIERS))
    ]
    return np.column_stack(columns) if n else np.zeros((0, len(_TIERS)))


def next_tier_gain(
    scored: pd.DataFrame, profile: Profile, prior_tiers: Mapping[int, pd.Series]
) -> pd.Series:
    """What each firm's `policy_net` would gain a year one tier up (NaN: untiered, A, no money).

    At the better tier the firm leaves its repeat run (the run is of the tier it leaves), unless
    the better tier is itself the repeat tier and the firm held it before.
    """
    policy = profile.policy
    gain = np.full(len(scored), np.nan)
    if policy is None:
        return pd.Series(gain, index=scored.index, name="next_tier_gain")
    codes = tier_codes(scored)
    up = np.where(codes > 0, codes - 1, _NO_TIER)
    held = held_repeat(scored, policy, prior_tiers, repeat_rows(policy, codes, up))
    now = money(scored, policy, codes, held)["policy_net"]
    better = money(scored, policy, up, held)["policy_net"]
    movable = codes > 0
    gain[movable] = (better - now)[movable]
    return pd.Series(gain, index=scored.index, name="next_tier_gain")


# ── totals ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Totals:
    """Sums of the per-firm figures over a set of firms (万元)."""

    firms: int
    land_tax_relief: float
    electricity_surcharge: float
    water_surcharge: float
    policy_net: float

    @property
    def surcharges(self) -> float:
        return self.electricity_surcharge + self.water_surcharge


def total(frame: pd.DataFrame) -> Totals:
    """The sums of a frame carrying the four columns; `firms` counts those with a tier."""
    return Totals(
        firms=int(np.count_nonzero(tier_codes(frame) >= 0)),
        **{c: math.fsum(frame[c].to_numpy(dtype=float)) for c in COLUMNS},
    )


def totals_by(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per tier, industry or town: tiered firms, relief, surcharges and net (sums of firms).

    Only firms with a tier carry money, so only they are counted and grouped; tiers come in
    A–D order, industries in reference order, towns alphabetically.
    """
    if by not in GROUPS:
        raise ValueError(by)
    rows = _tiered_rows(frame)
    # Each distinct group once (factorize stays in Arrow): no Python string per firm.
    codes, found = pd.factorize(frame[by].take(rows).astype(str))
    names = list(_TIERS) if by == "tier" else sorted(found, key=_group_order(by))
    position = pd.Index(names).get_indexer(found)[codes]
    out: dict[str, object] = {"group": names}
    out["firms"] = np.bincount(position, minlength=len(names)).astype(np.int64)
    for column in COLUMNS:
        weights = frame[column].to_numpy(dtype=float)[rows]
        out[column] = np.bincount(position, weights=weights, minlength=len(names))
    result = pd.DataFrame(out)
    result["surcharges"] = result["electricity_surcharge"] + result["water_surcharge"]
    return result[["group", *TOTAL_COLUMNS]]


def firms_behind(
    frame: pd.DataFrame, by: str, group: str | None, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The tiered firms behind one figure of `totals_by(frame, by)` (None: all of them), most
    paid first (lowest `policy_net`), with only `columns` (None: all).

    Why `columns`: a province year has ~150,000 tiered firms and ~70 columns, and the page
    shows ten; copying every column cost each run of 政策测算 ~280 MB at its peak.
    """
    rows = _tiered_rows(frame)
    if group is not None:
        rows = rows[(frame[by].take(rows).astype(str) == group).to_numpy(dtype=bool)]
    rows = rows[np.argsort(frame["policy_net"].to_numpy(dtype=float)[rows], kind="stable")]
    return (frame if columns is None else frame[list(columns)]).iloc[rows]


def _tiered_rows(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the firms with a tier: the only ones that carry money. Positions, not a
    filtered copy of the frame, so a sum reads only the columns it needs."""
    return np.flatnonzero(tier_codes(frame) >= 0)


# ── rate sliders ───────────────────────────────────────────────────────────────────────────


def rate_params(policy: PolicyRates) -> dict[str, float]:
    """The adjustable rates as a flat mapping: every tier of each table, and the repeat rate."""
    params: dict[str, float] = {}
    for tier, rate in policy.electricity.items():
        params[f"r_elec_{tier}"] = rate
    if policy.repeat is not None:
        params[RATE_REPEAT] = policy.repeat.rate
    for tier, pct in policy.water.items():
        params[f"r_water_{tier}"] = pct
    for tier, pct in policy.land_relief.items():
        params[f"r_relief_{tier}"] = pct
    return params


def rate_bound(name: str, value: float) -> tuple[float, float, float]:
    """(low, high, step) of a rate slider, wide enough for the profile's own value."""
    if name.startswith("r_elec_"):
        return 0.0, max(ELECTRICITY_MAX, value), ELECTRICITY_STEP
    if name.startswith("r_relief_"):
        return 0.0, PCT_MAX, PCT_STEP
    return 0.0, max(PCT_MAX, value), PCT_STEP


def with_rates(policy: PolicyRates, params: Mapping[str, float]) -> PolicyRates:
    """A copy with the rates of `params` (names of `rate_params`; others are ignored)."""
    known = rate_params(policy)

    def table(prefix: str, current: dict[str, float]) -> dict[str, float]:
        return {t: float(params.get(f"{prefix}{t}", v)) for t, v in current.items()}

    repeat = policy.repeat
    if repeat is not None and RATE_REPEAT in params and RATE_REPEAT in known:
        repeat = replace(repeat, rate=float(params[RATE_REPEAT]))
    return replace(
        policy,
        electricity=table("r_elec_", policy.electricity),
        repeat=repeat,
        water=table("r_water_", policy.water),
        land_relief=table("r_relief_", policy.land_relief),
    )


def rate_label(name: str, policy: PolicyRates) -> str:
    """The Chinese slider label of a rate name."""
    L = labels.POLICY_RATE_PARAMS
    if name == RATE_REPEAT and policy.repeat is not None:
        return L["r_elec_repeat"].format(tier=policy.repeat.tier)
    for prefix in RATE_PREFIXES:
        if name.startswith(prefix):
            return L[f"{prefix}{{tier}}"].format(tier=name[len(prefix) :])
    return name


# ── internals ─────────────────────────────────────────────────────────────────────────────


def _rates(table: Mapping[str, float]) -> np.ndarray:
    """Rate per tier code, with a trailing 0 that code −1 (no tier) picks."""
    return np.array([table.get(t, 0.0) for t in _TIERS] + [0.0], dtype=float)


def _zero_nan(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(values), 0.0, values)


def _group_order(by: str) -> Callable[[str], tuple[int, str]]:
    """Industries in reference order (unknown ones after), anything else alphabetically."""
    if by == "industry":
        order = {name: i for i, name in enumerate(labels.INDUSTRIES)}
        return lambda name: (order.get(name, len(order)), name)
    return lambda name: (0, name)

"""Evaluation profiles: the county parameters of the 亩均效益综合评价 method, as checked TOML.

Why profiles are data: counties change weights, benchmarks and bands every year, and the engine
must reproduce any published method by swapping a file (methodology.md). Loading is strict — a
typo in an indicator key or a weight written as text would silently change every tier, so each
problem raises `ProfileError` with a Chinese message naming the file and the key.

Why frozen dataclasses: a loaded profile is shared by every session of the server (cached once)
and the what-if page derives a new one on every slider move (`with_weights`, `with_tiers`,
`with_bonus_cap`); immutability means no session can change another's profile.
"""

from __future__ import annotations

import functools
import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from muyun import labels

PROFILES_DIR = Path(__file__).resolve().parent.parent / "data" / "profiles"
DEFAULT_PROFILE = "yongkang-default"

AVERAGE = "average"
PRIOR_YEAR_AVERAGE = "prior_year_average"  # methodology §3: year − 1's average as a fixed base
BENCHMARK_RULES: tuple[str, ...] = (AVERAGE, PRIOR_YEAR_AVERAGE)
MISSING_POLICIES: tuple[str, ...] = ("zero", "average_score")
POOL_BY: tuple[str, ...] = ("industry", "none")

# What a profile gets when it leaves a key out: the defaults methodology.md states.
DEFAULT_POOL_BY = "industry"  # §5: pools are scale × industry
DEFAULT_BELOW_MIN_LAND_MU = 3.0  # §1: 规下 is evaluated from 3 亩 of effective land
DEFAULT_LOW_EFFICIENCY_TAX_PER_MU = 3.0  # §6: C firms under 3 万元/亩 join the low-efficiency list
DEFAULT_A_PCT = 20  # §5: A = the first 20 % (inclusive)
DEFAULT_B_PCT = 80  # §5: B = up to the first 80 % (inclusive)
DEFAULT_D_PCT = 2  # §5: D = the last 2 % (inclusive) …
DEFAULT_D_MAX_TAX_PER_MU = 6.0  # §5: … with 亩均税收 under 6 万元/亩

_ERRORS = labels.PROFILE_ERRORS

_INDICATOR_FIELDS = ("weight", "benchmark", "benchmark_multiplier", "cap", "missing")
_TOP_LEVEL = (
    "meta",
    "evaluation",
    "tiers",
    "scales",
    "bonus",
    "deductions",
    "policies",
    "policy",
    "warning",
)
_EVALUATION_FIELDS = ("pool_by", "below_min_land_mu", "low_efficiency_tax_per_mu")
_TIER_FIELDS = ("a_pct", "b_pct", "d_pct", "d_max_tax_per_mu")
_BONUS_FIELDS = (
    "scales",
    "cap",
    "listing",
    "investment_per_point",
    "investment_max",
    "talent",
    "water",
)
_DEDUCTION_FIELDS = ("scales", "safety_incident", "env_penalty", "cap")
_POLICY_FIELDS = (
    "illustrative",
    "source",
    "electricity_surcharge",
    "water_surcharge",
    "land_tax_relief",
)
_REPEAT_FIELDS = ("tier", "years", "rate")


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the offending key."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(_ERRORS["error"].format(file=file, key=key, problem=problem))


@dataclass(frozen=True)
class IndicatorSpec:
    """One scored indicator of a scale: `weight` points × clamp(value / benchmark, 0, cap)."""

    key: str
    weight: float
    benchmark: float | str
    cap: float | None = None
    missing: str = "zero"
    multiplier: float = 1.0  # `benchmark_multiplier` (§3): the benchmark used is multiplier × rule


@dataclass(frozen=True)
class TierRule:
    """Band percentages (integers, methodology §5) and the D rule's 亩均税收 line (万元/亩)."""

    a_pct: int = DEFAULT_A_PCT
    b_pct: int = DEFAULT_B_PCT
    d_pct: int = DEFAULT_D_PCT
    d_max_tax_per_mu: float = DEFAULT_D_MAX_TAX_PER_MU


@dataclass(frozen=True)
class BonusRule:
    """The four bonus items (加分) and their cap; `talent`/`water` rows are highest first."""

    scales: tuple[str, ...]
    cap: float | None
    listing: dict[str, float] = field(default_factory=dict)
    investment_per_point: float | None = None
    investment_max: float = 0.0
    talent: tuple[tuple[float, float], ...] = ()
    water: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class DeductionRule:
    """Points deducted per safety incident and per environmental penalty, optionally capped."""

    scales: tuple[str, ...]
    safety_incident: float = 0.0
    env_penalty: float = 0.0
    cap: float | None = None


@dataclass(frozen=True)
class RepeatRule:
    """The repeat escalation (§9): `years` consecutive years in `tier` → `rate` 元/千瓦时."""

    tier: str
    years: int
    rate: float


@dataclass(frozen=True)
class PolicyRates:
    """The `[policy]` section (methodology §9): what each tier pays or is relieved of.

    Tier tables hold only the tiers the profile names (a tier absent from a table means 0).
    `water_base_price` (元/吨) and `land_tax_rate` (元/平方米·年) are None when their table
    names no tier.
    """

    illustrative: bool = False
    source: str = ""
    electricity: dict[str, float] = field(default_factory=dict)  # 元/千瓦时
    repeat: RepeatRule | None = None
    water_base_price: float | None = None  # 元/吨
    water: dict[str, float] = field(default_factory=dict)  # % of the base price
    land_tax_rate: float | None = None  # 元/平方米·年
    land_relief: dict[str, float] = field(default_factory=dict)  # % of the tax relieved


@dataclass(frozen=True)
class Profile:
    """A complete, validated evaluation method (see methodology.md §3–§6)."""

    name: str
    illustrative: bool
    source: str
    pool_by: str
    below_min_land_mu: float
    low_efficiency_tax_per_mu: float
    tiers: TierRule
    scales: dict[str, tuple[IndicatorSpec, ...]]
    bonus: BonusRule | None = None
    deductions: DeductionRule | None = None
    policies: dict[str, str] = field(default_factory=dict)
    region: str = ""
    policy: PolicyRates | None = None
    warning: WarningRule | None = None  # `[warning]` (issue 14): early-warning lines, optional
    years: tuple[int, ...] = ()  # `[meta] years`: the evaluation years it applies to (() = any)

    def applies_to(self, year: int) -> bool:
        """True when the profile states no years or states this one."""
        return not self.years or int(year) in self.years

    def needs_prior_year(self) -> bool:
        """True when some benchmark is `"prior_year_average"` (scoring needs year − 1's data)."""
        return any(
            spec.benchmark == PRIOR_YEAR_AVERAGE for specs in self.scales.values() for spec in specs
        )

    def indicators(self, scale: str) -> tuple[IndicatorSpec, ...]:
        """The indicators scored for a scale (empty when the profile does not evaluate it)."""
        return self.scales.get(scale, ())

    def weights(self, scale: str) -> dict[str, float]:
        """Indicator key → weight for a scale, in profile order."""
        return {spec.key: spec.weight for spec in self.indicators(scale)}

    def indicator_keys(self) -> tuple[str, ...]:
        """Every indicator used by any scale, in the canonical order of `labels.INDICATORS`."""
        used = {spec.key for specs in self.scales.values() for spec in specs}
        return tuple(key for key in labels.INDICATORS if key in used)

    def with_weights(self, scale: str, weights: dict[str, float]) -> Profile:
        """A copy with some weights of one scale replaced (the what-if sliders)."""
        where = _msg("profile_named", name=self.name)
        if scale not in self.scales:
            raise ProfileError(where, f"scales.{scale}", _msg("scale_not_in_profile"))
        known = {spec.key for spec in self.scales[scale]}
        for key, weight in weights.items():
            if key not in known:
                raise ProfileError(
                    where, f"scales.{scale}.indicators.{key}", _msg("indicator_not_used")
                )
            _weight(weight, where, f"scales.{scale}.indicators.{key}.weight")
        specs = tuple(
            replace(spec, weight=float(weights[spec.key])) if spec.key in weights else spec
            for spec in self.scales[scale]
        )
        return replace(self, scales={**self.scales, scale: specs})

    def with_tiers(self, **fields: float) -> Profile:
        """A copy with some of a_pct, b_pct, d_pct, d_max_tax_per_mu replaced (validated)."""
        where = _msg("profile_named", name=self.name)
        unknown = set(fields) - set(_TIER_FIELDS)
        if unknown:
            raise ProfileError(where, f"tiers.{sorted(unknown)[0]}", _msg("unknown_tier_field"))
        current = {name: getattr(self.tiers, name) for name in _TIER_FIELDS}
        return replace(self, tiers=_tier_rule({**current, **fields}, where))

    def with_bonus_cap(self, cap: float | None) -> Profile:
        """A copy with another bonus cap (None: uncapped); without a bonus section, unchanged."""
        if self.bonus is None:
            return self
        if cap is not None:
            cap = _number(cap, _msg("profile_named", name=self.name), "bonus.cap", minimum=0.0)
        return replace(self, bonus=replace(self.bonus, cap=cap))

    def to_toml(self) -> str:
        """The profile as TOML text that `profile_from_toml` reads back to an equal profile."""
        out: list[str] = ["[meta]"]
        out.append(f"name = {_toml_str(self.name)}")
        if self.region:
            out.append(f"region = {_toml_str(self.region)}")
        out.append(f"illustrative = {'true' if self.illustrative else 'false'}")
        out.append(f"source = {_toml_str(self.source)}")
        if self.years:
            out.append(f"years = [{', '.join(str(y) for y in self.years)}]")
        out += [
            "",
            "[evaluation]",
            f"pool_by = {_toml_str(self.pool_by)}",
            f"below_min_land_mu = {_toml_num(self.below_min_land_mu)}",
            f"low_efficiency_tax_per_mu = {_toml_num(self.low_efficiency_tax_per_mu)}",
            "",
            "[tiers]",
        ]
        out += [f"{name} = {_toml_num(getattr(self.tiers, name))}" for name in _TIER_FIELDS]
        for scale, specs in self.scales.items():
            out += ["", f"[scales.{_toml_str(scale)}.indicators]"]
            for spec in specs:
                parts = [f"weight = {_toml_num(spec.weight)}"]
                bench = spec.benchmark
                shown = _toml_str(bench) if isinstance(bench, str) else _toml_num(bench)
                parts.append(f"benchmark = {shown}")
                if spec.multiplier != 1.0:
                    parts.append(f"benchmark_multiplier = {_toml_num(spec.multiplier)}")
                if spec.cap is not None:
                    parts.append(f"cap = {_toml_num(spec.cap)}")
                parts.append(f"missing = {_toml_str(spec.missing)}")
                out.append(f"{spec.key} = {{ {', '.join(parts)} }}")
        if self.bonus is not None:
            bonus = self.bonus
            out += ["", "[bonus]", f"scales = {_toml_list(bonus.scales)}"]
            if bonus.cap is not None:
                out.append(f"cap = {_toml_num(bonus.cap)}")
            if bonus.investment_per_point is not None:
                out.append(f"investment_per_point = {_toml_num(bonus.investment_per_point)}")
            out.append(f"investment_max = {_toml_num(bonus.investment_max)}")
            out.append(f"talent = {_toml_rows(bonus.talent)}")
            out.append(f"water = {_toml_rows(bonus.water)}")
            out += ["", "[bonus.listing]"]
            out += [f"{_toml_str(k)} = {_toml_num(v)}" for k, v in bonus.listing.items()]
        if self.deductions is not None:
            ded = self.deductions
            out += [
                "",
                "[deductions]",
                f"scales = {_toml_list(ded.scales)}",
                f"safety_incident = {_toml_num(ded.safety_incident)}",
                f"env_penalty = {_toml_num(ded.env_penalty)}",
            ]
            if ded.cap is not None:
                out.append(f"cap = {_toml_num(ded.cap)}")
        for tier, text in self.policies.items():
            out += ["", "[[policies]]", f"tier = {_toml_str(tier)}", f"text = {_toml_str(text)}"]
        if self.policy is not None:
            out += _policy_toml(self.policy)
        if self.warning is not None:
            out += _warning_toml(self.warning)
        return "\n".join(out) + "\n"


def benchmark_text(spec: IndicatorSpec, average: str = "") -> str:
    """A benchmark as a page shows it: the fixed number, `average` for "average" (the page's
    own wording), 上年度全市平均 for "prior_year_average", then × the multiplier if not 1."""
    texts = labels.BENCHMARK_TEXT
    if spec.benchmark == AVERAGE:
        base = average or AVERAGE
    elif spec.benchmark == PRIOR_YEAR_AVERAGE:
        base = texts["prior_year_average"]
    else:
        base = f"{float(spec.benchmark):g}"
    if spec.multiplier == 1.0:
        return base
    return texts["times"].format(base=base, multiplier=spec.multiplier)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file (raises `ProfileError`)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        detail = exc.strerror or exc
        raise ProfileError(target.name, _FILE, _msg("unreadable", detail=detail)) from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(target.name, _FILE, _msg("not_utf8")) from exc
    return profile_from_toml(text, target.name)


def profile_from_toml(text: str, name: str) -> Profile:
    """Validate TOML text into a Profile; `name` is the file name used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(name, _msg("key_syntax"), _msg("bad_toml", detail=exc)) from exc
    _no_unknown(data, _TOP_LEVEL, name, "")

    meta = _table(data.get("meta", {}), name, "meta")
    display = meta.get("name", Path(name).stem)
    if not isinstance(display, str) or not display.strip():
        raise ProfileError(name, "meta.name", _msg("name_empty"))
    illustrative = meta.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise ProfileError(name, "meta.illustrative", _msg("not_bool"))
    source = _text(meta.get("source", ""), name, "meta.source")
    region = _text(meta.get("region", ""), name, "meta.region")
    years = _years(meta.get("years", []), name)

    evaluation = _table(data.get("evaluation", {}), name, "evaluation")
    _no_unknown(evaluation, _EVALUATION_FIELDS, name, "evaluation.")
    pool_by = evaluation.get("pool_by", DEFAULT_POOL_BY)
    if pool_by not in POOL_BY:
        raise ProfileError(name, "evaluation.pool_by", _msg("pool_by", value=pool_by))
    below_min = _number(
        evaluation.get("below_min_land_mu", DEFAULT_BELOW_MIN_LAND_MU),
        name,
        "evaluation.below_min_land_mu",
        minimum=0,
    )
    low_line = _number(
        evaluation.get("low_efficiency_tax_per_mu", DEFAULT_LOW_EFFICIENCY_TAX_PER_MU),
        name,
        "evaluation.low_efficiency_tax_per_mu",
    )

    tiers = _tier_rule(_table(data.get("tiers", {}), name, "tiers"), name)

    if "scales" not in data:
        raise ProfileError(name, "scales", _msg("no_scales"))
    scales_raw = _table(data["scales"], name, "scales")
    if not scales_raw:
        raise ProfileError(name, "scales", _msg("no_scales"))
    scales: dict[str, tuple[IndicatorSpec, ...]] = {}
    for scale, body in scales_raw.items():
        where = f"scales.{scale}"
        if scale not in labels.SCALES:
            raise ProfileError(name, where, _msg("unknown_scale", scales=_joined(labels.SCALES)))
        body = _table(body, name, where)
        _no_unknown(body, ("indicators",), name, f"{where}.")
        indicators = _table(body.get("indicators", {}), name, f"{where}.indicators")
        if not indicators:
            raise ProfileError(name, f"{where}.indicators", _msg("no_indicators"))
        scales[scale] = tuple(
            _indicator(key, spec, name, f"{where}.indicators.{key}")
            for key, spec in indicators.items()
        )

    bonus = _bonus(data["bonus"], name) if "bonus" in data else None
    deductions = _deductions(data["deductions"], name) if "deductions" in data else None
    policies = _policies(data.get("policies", []), name)
    policy = _policy(data["policy"], name) if "policy" in data else None
    warning = _warning(data["warning"], name) if "warning" in data else None
    return Profile(
        name=display.strip(),
        illustrative=illustrative,
        source=source,
        pool_by=pool_by,
        below_min_land_mu=below_min,
        low_efficiency_tax_per_mu=low_line,
        tiers=tiers,
        scales=scales,
        bonus=bonus,
        deductions=deductions,
        policies=policies,
        region=region,
        policy=policy,
        warning=warning,
        years=years,
    )


def profile_path(stem: str) -> Path:
    """The file of a shipped profile by its stem; only names of shipped files are accepted."""
    if stem not in _profile_files():
        raise ProfileError(f"{stem}.toml", _FILE, _msg("not_shipped"))
    return PROFILES_DIR / f"{stem}.toml"


def shipped_profiles() -> dict[str, str]:
    """File stem → display name of every profile in data/profiles, the default first.

    Pages call this on every rerun (the sidebar's selector), so the names are cached until a
    file in the folder changes.
    """
    stamp = tuple(
        sorted((path.stem, path.stat().st_mtime_ns) for path in PROFILES_DIR.glob("*.toml"))
    )
    return dict(_display_names(stamp))


@functools.lru_cache(maxsize=4)
def _display_names(stamp: tuple[tuple[str, int], ...]) -> tuple[tuple[str, str], ...]:
    stems = sorted((stem for stem, _ in stamp), key=lambda s: (s != DEFAULT_PROFILE, s))
    return tuple((stem, load_profile(PROFILES_DIR / f"{stem}.toml").name) for stem in stems)


def _profile_files() -> set[str]:
    return {path.stem for path in PROFILES_DIR.glob("*.toml")}


# ── validation helpers ──────────────────────────────────────────────────────────────────────

_FILE = _ERRORS["key_file"]  # the "key" of a problem with the whole file


def _msg(template: str, /, **fields: Any) -> str:
    """A problem's Chinese text: `labels.PROFILE_ERRORS[template]` with its fields filled in."""
    return _ERRORS[template].format(**fields)


def _joined(values: Any) -> str:
    return labels.LIST_SEP.join(values)


def _no_unknown(table: dict[str, Any], allowed: tuple[str, ...], file: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ProfileError(
                file, f"{prefix}{key}", _msg("unknown_key", allowed=_joined(allowed))
            )


def _table(value: Any, file: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProfileError(file, key, _msg("not_table"))
    return value


def _text(value: Any, file: str, key: str) -> str:
    if not isinstance(value, str):
        raise ProfileError(file, key, _msg("not_text"))
    return value


def _number(value: Any, file: str, key: str, *, minimum: float | None = None) -> float:
    """A finite number (bool is not a number here), optionally ≥ minimum."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProfileError(file, key, _msg("not_number", value=value))
    number = float(value)
    if not math.isfinite(number):
        raise ProfileError(file, key, _msg("not_finite", value=value))
    if minimum is not None and number < minimum:
        raise ProfileError(file, key, _msg("below_minimum", minimum=minimum, value=value))
    return number


def _weight(value: Any, file: str, key: str) -> float:
    return _number(value, file, key, minimum=0.0)


def _percent(value: Any, file: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProfileError(file, key, _msg("not_percent", value=value))
    if not 0 <= value <= 100:
        raise ProfileError(file, key, _msg("percent_range", value=value))
    return value


def _tier_rule(raw: dict[str, Any], file: str) -> TierRule:
    _no_unknown(raw, _TIER_FIELDS, file, "tiers.")
    default = TierRule()
    a_pct = _percent(raw.get("a_pct", default.a_pct), file, "tiers.a_pct")
    b_pct = _percent(raw.get("b_pct", default.b_pct), file, "tiers.b_pct")
    d_pct = _percent(raw.get("d_pct", default.d_pct), file, "tiers.d_pct")
    if a_pct > b_pct:
        raise ProfileError(file, "tiers.b_pct", _msg("b_below_a", b_pct=b_pct, a_pct=a_pct))
    d_max = _number(
        raw.get("d_max_tax_per_mu", default.d_max_tax_per_mu), file, "tiers.d_max_tax_per_mu"
    )
    return TierRule(a_pct=a_pct, b_pct=b_pct, d_pct=d_pct, d_max_tax_per_mu=d_max)


def _indicator(key: str, raw: Any, file: str, where: str) -> IndicatorSpec:
    if key not in labels.INDICATORS:
        raise ProfileError(file, where, _msg("unknown_indicator", keys=_joined(labels.INDICATORS)))
    raw = _table(raw, file, where)
    _no_unknown(raw, _INDICATOR_FIELDS, file, f"{where}.")
    if "weight" not in raw:
        raise ProfileError(file, f"{where}.weight", _msg("no_weight"))
    weight = _weight(raw["weight"], file, f"{where}.weight")
    bench = raw.get("benchmark", AVERAGE)
    if isinstance(bench, str):
        if bench not in BENCHMARK_RULES:
            raise ProfileError(file, f"{where}.benchmark", _msg("bad_benchmark", value=bench))
    else:
        bench = _number(bench, file, f"{where}.benchmark")
        if bench <= 0:
            raise ProfileError(
                file, f"{where}.benchmark", _msg("benchmark_not_positive", value=bench)
            )
    cap = raw.get("cap")
    if cap is not None:
        cap = _number(cap, file, f"{where}.cap")
        if cap <= 0:
            raise ProfileError(file, f"{where}.cap", _msg("cap_not_positive", value=cap))
    missing = raw.get("missing", "zero")
    if missing not in MISSING_POLICIES:
        raise ProfileError(file, f"{where}.missing", _msg("bad_missing", value=missing))
    multiplier = _number(
        raw.get("benchmark_multiplier", 1.0), file, f"{where}.benchmark_multiplier"
    )
    if multiplier <= 0:
        raise ProfileError(file, f"{where}.benchmark_multiplier", _msg("not_positive"))
    return IndicatorSpec(
        key=key, weight=weight, benchmark=bench, cap=cap, missing=missing, multiplier=multiplier
    )


def _years(raw: Any, file: str) -> tuple[int, ...]:
    """`[meta] years`: distinct four-digit years, kept ascending."""
    if not isinstance(raw, list):
        raise ProfileError(file, "meta.years", _msg("years_not_list"))
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2200:
            raise ProfileError(file, "meta.years", _msg("bad_year", value=value))
    if len(set(raw)) != len(raw):
        raise ProfileError(file, "meta.years", _msg("years_repeated"))
    return tuple(sorted(raw))


def _scales(raw: Any, file: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return labels.SCALES
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ProfileError(file, key, _msg("scales_not_list"))
    for scale in raw:
        if scale not in labels.SCALES:
            raise ProfileError(file, key, _msg("unknown_scale_value", value=scale))
    return tuple(raw)


def _rows(raw: Any, file: str, key: str) -> tuple[tuple[float, float], ...]:
    """`[[threshold, points], …]` with thresholds strictly decreasing (first row reached wins)."""
    if not isinstance(raw, list):
        raise ProfileError(file, key, _msg("rows_not_list"))
    rows: list[tuple[float, float]] = []
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != 2:
            raise ProfileError(file, f"{key}[{i}]", _msg("row_not_pair"))
        threshold = _number(row[0], file, f"{key}[{i}]", minimum=0.0)
        points = _number(row[1], file, f"{key}[{i}]", minimum=0.0)
        if rows and threshold >= rows[-1][0]:
            raise ProfileError(file, f"{key}[{i}]", _msg("rows_not_descending"))
        rows.append((threshold, points))
    return tuple(rows)


def _bonus(raw: Any, file: str) -> BonusRule:
    raw = _table(raw, file, "bonus")
    _no_unknown(raw, _BONUS_FIELDS, file, "bonus.")
    cap = raw.get("cap")
    if cap is not None:
        cap = _number(cap, file, "bonus.cap", minimum=0.0)
    listing_raw = _table(raw.get("listing", {}), file, "bonus.listing")
    listing: dict[str, float] = {}
    for status, points in listing_raw.items():
        if status not in labels.LISTING_STATUSES:
            statuses = _joined(labels.LISTING_STATUSES)
            raise ProfileError(
                file, f"bonus.listing.{status}", _msg("unknown_listing", statuses=statuses)
            )
        listing[status] = _number(points, file, f"bonus.listing.{status}", minimum=0.0)
    per_point = raw.get("investment_per_point")
    if per_point is not None:
        per_point = _number(per_point, file, "bonus.investment_per_point")
        if per_point <= 0:
            raise ProfileError(file, "bonus.investment_per_point", _msg("not_positive"))
    return BonusRule(
        scales=_scales(raw.get("scales"), file, "bonus.scales"),
        cap=cap,
        listing=listing,
        investment_per_point=per_point,
        investment_max=_number(
            raw.get("investment_max", 0), file, "bonus.investment_max", minimum=0
        ),
        talent=_rows(raw.get("talent", []), file, "bonus.talent"),
        water=_rows(raw.get("water", []), file, "bonus.water"),
    )


def _deductions(raw: Any, file: str) -> DeductionRule:
    raw = _table(raw, file, "deductions")
    _no_unknown(raw, _DEDUCTION_FIELDS, file, "deductions.")
    cap = raw.get("cap")
    if cap is not None:
        cap = _number(cap, file, "deductions.cap", minimum=0.0)
    return DeductionRule(
        scales=_scales(raw.get("scales"), file, "deductions.scales"),
        safety_incident=_number(
            raw.get("safety_incident", 0), file, "deductions.safety_incident", minimum=0
        ),
        env_penalty=_number(raw.get("env_penalty", 0), file, "deductions.env_penalty", minimum=0),
        cap=cap,
    )


def _policies(raw: Any, file: str) -> dict[str, str]:
    if not isinstance(raw, list):
        raise ProfileError(file, "policies", _msg("policies_not_list"))
    policies: dict[str, str] = {}
    for i, item in enumerate(raw):
        item = _table(item, file, f"policies[{i}]")
        _no_unknown(item, ("tier", "text"), file, f"policies[{i}].")
        tier = item.get("tier")
        if tier not in labels.TIERS:
            tiers = _joined(labels.TIERS)
            raise ProfileError(
                file, f"policies[{i}].tier", _msg("policy_tier", tiers=tiers, value=tier)
            )
        if tier in policies:
            raise ProfileError(file, f"policies[{i}].tier", _msg("policy_duplicate", tier=tier))
        policies[tier] = _text(item.get("text", ""), file, f"policies[{i}].text")
    return policies


def _tier_table(
    raw: dict[str, Any], extra: tuple[str, ...], file: str, where: str, *, maximum: float | None
) -> dict[str, float]:
    """Tier letter → non-negative number (≤ maximum); other keys must be in `extra`."""
    _no_unknown(raw, (*labels.TIERS, *extra), file, f"{where}.")
    out: dict[str, float] = {}
    for tier in labels.TIERS:
        if tier not in raw:
            continue
        value = _number(raw[tier], file, f"{where}.{tier}", minimum=0.0)
        if maximum is not None and value > maximum:
            raise ProfileError(file, f"{where}.{tier}", _policy_msg("relief_over", value=raw[tier]))
        out[tier] = value
    return out


def _policy_msg(template: str, /, **fields: Any) -> str:
    return labels.POLICY_PROFILE_ERRORS[template].format(**fields)


def _repeat(raw: Any, file: str, where: str) -> RepeatRule:
    raw = _table(raw, file, where)
    _no_unknown(raw, _REPEAT_FIELDS, file, f"{where}.")
    if any(key not in raw for key in _REPEAT_FIELDS):
        raise ProfileError(file, where, _policy_msg("repeat_missing"))
    tier = raw["tier"]
    if tier not in labels.TIERS:
        raise ProfileError(
            file,
            f"{where}.tier",
            _policy_msg("repeat_tier", tiers=_joined(labels.TIERS), value=tier),
        )
    years = raw["years"]
    if isinstance(years, bool) or not isinstance(years, int) or years < 2:
        raise ProfileError(file, f"{where}.years", _policy_msg("repeat_years", value=years))
    rate = _number(raw["rate"], file, f"{where}.rate", minimum=0.0)
    return RepeatRule(tier=tier, years=years, rate=rate)


def _base(
    raw: dict[str, Any], key: str, tiers: dict[str, float], file: str, where: str
) -> float | None:
    """A table's base (price or tax rate): required once the table names a tier."""
    if key not in raw:
        if tiers:
            raise ProfileError(file, f"{where}.{key}", _policy_msg("needs_base", key=key))
        return None
    return _number(raw[key], file, f"{where}.{key}", minimum=0.0)


def _policy(raw: Any, file: str) -> PolicyRates:
    """The `[policy]` section, laid out exactly as methodology §9."""
    raw = _table(raw, file, "policy")
    _no_unknown(raw, _POLICY_FIELDS, file, "policy.")
    illustrative = raw.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise ProfileError(file, "policy.illustrative", _msg("not_bool"))
    source = _text(raw.get("source", ""), file, "policy.source")

    where = "policy.electricity_surcharge"
    elec_raw = _table(raw.get("electricity_surcharge", {}), file, where)
    electricity = _tier_table(elec_raw, ("repeat",), file, where, maximum=None)
    repeat = _repeat(elec_raw["repeat"], file, f"{where}.repeat") if "repeat" in elec_raw else None

    where = "policy.water_surcharge"
    water_raw = _table(raw.get("water_surcharge", {}), file, where)
    water = _tier_table(water_raw, ("base_price",), file, where, maximum=None)
    base_price = _base(water_raw, "base_price", water, file, where)

    where = "policy.land_tax_relief"
    land_raw = _table(raw.get("land_tax_relief", {}), file, where)
    relief = _tier_table(land_raw, ("rate",), file, where, maximum=100.0)
    land_rate = _base(land_raw, "rate", relief, file, where)
    return PolicyRates(
        illustrative=illustrative,
        source=source,
        electricity=electricity,
        repeat=repeat,
        water_base_price=base_price,
        water=water,
        land_tax_rate=land_rate,
        land_relief=relief,
    )


def _policy_toml(policy: PolicyRates) -> list[str]:
    """The `[policy]` section as TOML lines (read back by `_policy` to an equal value)."""
    out = [
        "",
        "[policy]",
        f"illustrative = {'true' if policy.illustrative else 'false'}",
        f"source = {_toml_str(policy.source)}",
        "",
        "[policy.electricity_surcharge]",
    ]
    out += [f"{tier} = {_toml_num(rate)}" for tier, rate in policy.electricity.items()]
    if policy.repeat is not None:
        rep = policy.repeat
        out.append(
            f"repeat = {{ tier = {_toml_str(rep.tier)}, years = {rep.years}, "
            f"rate = {_toml_num(rep.rate)} }}"
        )
    out += ["", "[policy.water_surcharge]"]
    if policy.water_base_price is not None:
        out.append(f"base_price = {_toml_num(policy.water_base_price)}")
    out += [f"{tier} = {_toml_num(pct)}" for tier, pct in policy.water.items()]
    out += ["", "[policy.land_tax_relief]"]
    if policy.land_tax_rate is not None:
        out.append(f"rate = {_toml_num(policy.land_tax_rate)}")
    out += [f"{tier} = {_toml_num(pct)}" for tier, pct in policy.land_relief.items()]
    return out


# ── TOML writing (tomllib only reads) ──────────────────────────────────────────────────────


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_num(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _toml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def _toml_rows(rows: tuple[tuple[float, float], ...]) -> str:
    return "[" + ", ".join(f"[{_toml_num(a)}, {_toml_num(b)}]" for a, b in rows) + "]"


# ── early warning (issue 14): 警戒值 / 优质值 per indicator and the watch list's parameters ─────

WARNING_BASES: tuple[str, ...] = ("value", "growth")  # the indicator itself, or % vs last year
DEFAULT_WARNING_MARGIN_POINTS = 3.0
DEFAULT_WARNING_DECLINE_YEARS = 3
_WARNING_FIELDS = ("illustrative", "source", "margin_points", "decline_years", "thresholds")
_THRESHOLD_FIELDS = ("basis", "alert", "quality", "scales")
_WARN_ERRORS = labels.WARNING_PROFILE_ERRORS


@dataclass(frozen=True)
class Threshold:
    """An indicator's 警戒值 (alert) and 优质值 (quality); on basis "growth" both are % changes.

    Every indicator is higher-is-better, so a value under `alert` warns and one at or above
    `quality` is a highlight.
    """

    basis: str = "value"
    alert: float | None = None
    quality: float | None = None
    scales: tuple[str, ...] = labels.SCALES  # the scales the line applies to


@dataclass(frozen=True)
class WarningRule:
    """The `[warning]` section: how near a tier's cut-off counts as at risk (points), how many
    consecutive yearly falls of 亩均税收 count as a decline, and the per-indicator lines."""

    illustrative: bool = False
    source: str = ""
    margin_points: float = DEFAULT_WARNING_MARGIN_POINTS
    decline_years: int = DEFAULT_WARNING_DECLINE_YEARS
    thresholds: dict[str, Threshold] = field(default_factory=dict)


def _warning(raw: Any, file: str) -> WarningRule:
    """The `[warning]` section, checked like the rest (Chinese errors naming the key)."""
    raw = _table(raw, file, "warning")
    _no_unknown(raw, _WARNING_FIELDS, file, "warning.")
    illustrative = raw.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise ProfileError(file, "warning.illustrative", _msg("not_bool"))
    source = _text(raw.get("source", ""), file, "warning.source")
    margin = _number(
        raw.get("margin_points", DEFAULT_WARNING_MARGIN_POINTS),
        file,
        "warning.margin_points",
        minimum=0.0,
    )
    years = raw.get("decline_years", DEFAULT_WARNING_DECLINE_YEARS)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 10:
        raise ProfileError(file, "warning.decline_years", _WARN_ERRORS["years"].format(value=years))
    thresholds: dict[str, Threshold] = {}
    for key, body in _table(raw.get("thresholds", {}), file, "warning.thresholds").items():
        where = f"warning.thresholds.{key}"
        if key not in labels.INDICATORS:
            keys = _joined(labels.INDICATORS)
            raise ProfileError(file, where, _msg("unknown_indicator", keys=keys))
        body = _table(body, file, where)
        _no_unknown(body, _THRESHOLD_FIELDS, file, f"{where}.")
        basis = body.get("basis", "value")
        if basis not in WARNING_BASES:
            raise ProfileError(file, f"{where}.basis", _WARN_ERRORS["basis"].format(value=basis))
        alert = _number(body["alert"], file, f"{where}.alert") if "alert" in body else None
        quality = _number(body["quality"], file, f"{where}.quality") if "quality" in body else None
        if alert is None and quality is None:
            raise ProfileError(file, where, _WARN_ERRORS["empty"])
        if alert is not None and quality is not None and quality <= alert:
            problem = _WARN_ERRORS["order"].format(alert=alert, quality=quality)
            raise ProfileError(file, f"{where}.quality", problem)
        scales = _scales(body.get("scales"), file, f"{where}.scales")
        thresholds[key] = Threshold(basis, alert, quality, scales)
    return WarningRule(illustrative, source, margin, years, thresholds)


def _warning_toml(rule: WarningRule) -> list[str]:
    """The `[warning]` section as TOML lines (read back by `_warning` to an equal value)."""
    out = [
        "",
        "[warning]",
        f"illustrative = {'true' if rule.illustrative else 'false'}",
        f"source = {_toml_str(rule.source)}",
        f"margin_points = {_toml_num(rule.margin_points)}",
        f"decline_years = {rule.decline_years}",
        "",
        "[warning.thresholds]",
    ]
    for key, line in rule.thresholds.items():
        parts = [f"basis = {_toml_str(line.basis)}"]
        if line.alert is not None:
            parts.append(f"alert = {_toml_num(line.alert)}")
        if line.quality is not None:
            parts.append(f"quality = {_toml_num(line.quality)}")
        parts.append(f"scales = {_toml_list(line.scales)}")
        out.append(f"{key} = {{ {', '.join(parts)} }}")
    return out

"""Data quality of a year before it is scored: coverage, outliers, impossible or suspicious rows.

Why these checks (OECD/JRC Handbook on composite indicators, COINr's `get_data_avail` and
`check_SkewKurt`): an indicator that few firms report scores most of them by the missing rule,
and a handful of extreme values moves an `"average"` benchmark for everyone. The thresholds are
the JRC rules of thumb — coverage below 65 %, |robust z| above 3.5 (Iglewicz–Hoaglin), skewness
above 2 together with kurtosis above 3.5. The row rules catch what a bureau's spreadsheet let
through: tax, value added or R&D above revenue, value added without employees, own land jumping
by more than half from last year, and registered leases that lease out more land than the firm
now holds (a later re-import of the firm with less land is not re-checked by the importer).

Everything is vectorised over the year's arrays (`scoring.YearData`), so a 200,000-firm
province is checked in well under a second; every flag keeps the rows behind it (`flag_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from muyun import labels, scoring
from muyun.profile import Profile

COVERAGE_MIN = 0.65
ROBUST_Z_MAX = 3.5
SKEW_MAX = 2.0
KURT_MAX = 3.5
LAND_CHANGE_MAX = 0.5  # |own land / last year's − 1|
_MAD_SCALE = 0.6745  # Φ⁻¹(0.75): the robust z of Iglewicz and Hoaglin
_MEAN_AD_SCALE = 1.253314  # √(π/2): the same z when the MAD is 0 (mean absolute deviation)
_TOL = 1e-6

# Rule keys, in the order the panel lists them (Chinese names in labels.QUALITY_RULES).
RULE_TAX = "tax_gt_revenue"
RULE_VA = "va_gt_revenue"
RULE_RD = "rd_gt_revenue"
RULE_EMPLOYEES = "va_without_employees"
RULE_LAND = "land_jump"
RULE_LEASE = "lease_out_gt_land"
RULE_OUTLIER = "outlier"
RULE_COVERAGE = "low_coverage"
ROW_RULES: tuple[str, ...] = (RULE_TAX, RULE_VA, RULE_RD, RULE_EMPLOYEES, RULE_LAND, RULE_LEASE)

_ID_COLUMNS = ("credit_code", "name", "scale", "industry", "town")

_PRIOR_LAND_SQL = """
SELECT credit_code, land_own_mu AS prior_land_own_mu FROM enterprises WHERE year = ?
"""


@dataclass(frozen=True)
class QualityReport:
    """The panel's tables; `flags` holds every flagged row of every rule (exportable)."""

    year: int
    indicator_coverage: pd.DataFrame  # scale, indicator, firms, defined, coverage, low
    firm_coverage: pd.DataFrame  # firms under COVERAGE_MIN only, with their coverage
    shape: pd.DataFrame  # scale, indicator, skewness, kurtosis, outliers, skewed
    flags: pd.DataFrame  # rule, credit_code, name, …, indicator, value, detail

    def counts(self) -> pd.Series:
        """Rule → number of flagged rows (every rule listed, 0 included)."""
        rules = (*ROW_RULES, RULE_OUTLIER, RULE_COVERAGE)
        return self.flags["rule"].value_counts().reindex(list(rules), fill_value=0)


def prior_land(con: duckdb.DuckDBPyConnection, year: int) -> pd.Series:
    """credit_code → own land (亩) of year − 1, for the land-change rule (empty without it)."""
    frame = con.execute(_PRIOR_LAND_SQL, [int(year) - 1]).df()
    return frame.set_index("credit_code")["prior_land_own_mu"].astype(float)


def check_year(
    data: scoring.YearData, profile: Profile, prior_land_own: pd.Series | None = None
) -> QualityReport:
    """Every check of the panel on one prepared year under the profile's scales and indicators.

    Coverage and outliers look at the firms the profile scores (评价 and 不定级), per scale and
    the indicators that scale uses; the row rules look at every row of the year.
    """
    scored = scoring.scored_mask(data, profile)
    frame = data.frame
    parts: list[_Flag] = []
    coverage_rows: list[dict[str, object]] = []
    shape_rows: list[dict[str, object]] = []
    firm_defined = np.zeros(len(data))
    firm_used = np.zeros(len(data))
    for scale, specs in profile.scales.items():
        rows = scored & (data.scale_code == labels.SCALES.index(scale))
        firms = int(rows.sum())
        for spec in specs:
            value = data.values[spec.key]
            defined = rows & ~np.isnan(value)
            firm_defined += defined
            firm_used += rows
            share = defined.sum() / firms if firms else np.nan
            coverage_rows.append(
                {
                    "scale": scale,
                    "indicator": spec.key,
                    "firms": firms,
                    "defined": int(defined.sum()),
                    "coverage": share,
                    "low": bool(firms and share < COVERAGE_MIN),
                }
            )
            z = robust_z(value[defined])
            out = np.abs(z) > ROBUST_Z_MAX
            skew, kurt = _skew_kurt(value[defined])
            shape_rows.append(
                {
                    "scale": scale,
                    "indicator": spec.key,
                    "skewness": skew,
                    "kurtosis": kurt,
                    "outliers": int(out.sum()),
                    "skewed": bool(skew > SKEW_MAX and kurt > KURT_MAX),
                }
            )
            if out.any():
                where = np.flatnonzero(defined)[out]
                parts.append(_Flag(where, RULE_OUTLIER, spec.key, value[where], z[out]))
    with np.errstate(invalid="ignore", divide="ignore"):
        firm_share = np.where(firm_used > 0, firm_defined / firm_used, np.nan)
    low_firms = np.flatnonzero((firm_used > 0) & (firm_share < COVERAGE_MIN))
    parts.append(_Flag(low_firms, RULE_COVERAGE, "", firm_share[low_firms]))
    firm_coverage = frame[list(_ID_COLUMNS)].take(low_firms).assign(coverage=firm_share[low_firms])
    parts += _row_rules(data, prior_land_own)
    flags = _flag_rows(frame, parts)
    return QualityReport(
        year=data.year,
        indicator_coverage=pd.DataFrame(coverage_rows, columns=_COVERAGE_COLUMNS),
        firm_coverage=firm_coverage.reset_index(drop=True),
        shape=pd.DataFrame(shape_rows, columns=_SHAPE_COLUMNS),
        flags=flags,
    )


def robust_z(values: np.ndarray) -> np.ndarray:
    """0.6745 (x − median) / MAD; with MAD 0, (x − median) / (1.2533 × mean |x − median|);
    all zeros when both are 0 (no spread: nothing stands out)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    median = np.median(values)
    deviation = np.abs(values - median)
    mad = np.median(deviation)
    if mad > 0:
        return _MAD_SCALE * (values - median) / mad
    mean_ad = deviation.mean()
    if mean_ad > 0:
        return (values - median) / (_MEAN_AD_SCALE * mean_ad)
    return np.zeros_like(values)


_COVERAGE_COLUMNS = ["scale", "indicator", "firms", "defined", "coverage", "low"]
_SHAPE_COLUMNS = ["scale", "indicator", "skewness", "kurtosis", "outliers", "skewed"]
FLAG_COLUMNS = [
    "rule",
    *_ID_COLUMNS,
    "indicator",
    "value",
    "robust_z",
    "detail",
]


def _skew_kurt(values: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis as pandas (and COINr) compute them (NaN if < 4)."""
    if values.size < 4:
        return np.nan, np.nan
    series = pd.Series(values)
    return float(series.skew()), float(series.kurt())


@dataclass(frozen=True)
class _Flag:
    """The flag rows of one rule: the firms at `where`, what was checked and why it fired."""

    where: np.ndarray
    rule: str
    indicator: str
    value: np.ndarray
    z: np.ndarray | None = None
    detail: list[str] | None = None


def _flag_rows(frame: pd.DataFrame, flags: list[_Flag]) -> pd.DataFrame:
    """Every rule's flag rows, one after the other. The firms' identities are taken from the
    year in one go: each take of a text column copies the whole column first (200,000 names)."""
    positions = np.concatenate([np.asarray(f.where, dtype=np.intp) for f in flags])
    ids = frame[list(_ID_COLUMNS)].take(positions)
    parts = []
    start = 0
    for flag in flags:
        stop = start + len(flag.where)
        part = ids.iloc[start:stop].reset_index(drop=True)
        start = stop
        part.insert(0, "rule", flag.rule)
        parts.append(
            part.assign(
                indicator=flag.indicator,
                value=np.asarray(flag.value, dtype=float),
                robust_z=np.nan if flag.z is None else np.asarray(flag.z, dtype=float),
                detail="" if flag.detail is None else flag.detail,
            )[FLAG_COLUMNS]
        )
    return pd.concat(parts, ignore_index=True)


def _row_rules(data: scoring.YearData, prior_land_own: pd.Series | None) -> list[_Flag]:
    """The six impossible/suspicious-row rules, each with its rows and a detail text."""
    frame = data.frame
    text = labels.QUALITY_DETAIL

    def column(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=float, na_value=np.nan)

    tax, revenue, va, rd = column("tax"), column("revenue"), column("value_added"), column("rd")
    employees, own = column("employees"), column("land_own_mu")
    out: list[_Flag] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for rule, part, name in (
            (RULE_TAX, tax, "tax"),
            (RULE_VA, va, "value_added"),
            (RULE_RD, rd, "rd"),
        ):
            where = np.flatnonzero(part > revenue + _TOL)
            details = [
                text["over_revenue"].format(value=part[i], revenue=revenue[i]) for i in where
            ]
            out.append(_Flag(where, rule, name, part[where], None, details))
        where = np.flatnonzero((employees == 0) & (va > 0))
        details = [text["no_employees"].format(value=va[i]) for i in where]
        out.append(_Flag(where, RULE_EMPLOYEES, "value_added", va[where], None, details))
        if prior_land_own is not None and len(prior_land_own):
            found = prior_land_own.index.get_indexer(frame["credit_code"])  # 8× faster than map
            prior = prior_land_own.to_numpy(dtype=float, na_value=np.nan)
            before = np.where(found >= 0, prior[found], np.nan)
            change = own / before - 1.0
            where = np.flatnonzero((before > 0) & (np.abs(change) > LAND_CHANGE_MAX + _TOL))
            details = [
                text["land_jump"].format(before=before[i], now=own[i], change=change[i] * 100)
                for i in where
            ]
            out.append(_Flag(where, RULE_LAND, "land_own_mu", own[where], None, details))
        held = own + column("leased_in_mu")
        leased_out = column("leased_out_mu")
        where = np.flatnonzero(leased_out > held + _TOL)
        details = [text["lease_out"].format(out=leased_out[i], held=held[i]) for i in where]
        out.append(_Flag(where, RULE_LEASE, "leased_out_mu", leased_out[where], None, details))
    return out

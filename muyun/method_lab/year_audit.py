"""One year's method audit: data quality, redundancy and sensitivity under one profile."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from muyun import scoring
from muyun.method_lab import quality, redundancy, sensitivity
from muyun.profile import Profile


@dataclass(frozen=True)
class Audit:
    """The data-quality, redundancy and sensitivity results of one year under one profile."""

    quality: quality.QualityReport
    redundancy: redundancy.Redundancy
    sensitivity: dict[str, sensitivity.Sensitivity]  # scale → result


def audit_year(
    data: scoring.YearData,
    profile: Profile,
    scored: pd.DataFrame | None = None,
    prior_land_own: pd.Series | None = None,
    *,
    samples: int | None = None,
) -> Audit:
    """Every check of the lab on a prepared year; `scored` is the engine's result when the
    caller has it (else it is scored here)."""
    result = scored if scored is not None else scoring.score_prepared(data, profile)
    return Audit(
        quality=quality.check_year(data, profile, prior_land_own),
        redundancy=redundancy.check_year(data, profile),
        sensitivity={
            scale: sensitivity.analyse(result, profile, scale, samples=samples)
            for scale in profile.scales
        },
    )

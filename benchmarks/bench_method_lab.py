"""Method-lab speed, printed against a same-run baseline (medians).

The audit of the demo year — data quality, redundancy and sensitivity (drop-one, Sobol indices,
per-firm rank intervals) of every scale of the default profile, from the prepared year and the
engine's result — at city scale (issue 17: < 2 s) and at 200,000 firms (< 20 s). The baseline,
measured in the same run on the same data, is `scoring.score_year` (the read and the whole
score of the year), so the ratio says how many full scorings one audit costs.

    python benchmarks/bench_method_lab.py [--runs 5] [--no-200k]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from muyun import db, demo, profile, scoring  # noqa: E402
from muyun.method_lab import quality, year_audit  # noqa: E402


def median_s(action: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls (after one warm-up call)."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, runs: int) -> dict[str, float | str]:
    """Baseline score_year, and the audit (quality + redundancy + sensitivity, all scales)."""
    con = db.connect(path, read_only=True)
    try:
        year = int(con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0])
        prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
        data = scoring.load_year(con, year)
        scored = scoring.score_prepared(data, prof)
        land = quality.prior_land(con, year)
        baseline = median_s(lambda: scoring.score_year(con, year, prof), runs)
        audit = median_s(lambda: year_audit.audit_year(data, prof, scored, land), runs)
        result = year_audit.audit_year(data, prof, scored, land)
    finally:
        con.close()
    samples = ", ".join(
        f"{scale} N={s.samples} ({s.runs:,} runs × {len(s.firms):,} firms)"
        for scale, s in result.sensitivity.items()
    )
    return {"firms": float(len(data)), "baseline": baseline, "audit": audit, "samples": samples}


def report(label: str, target_s: float, out: dict[str, Any]) -> None:
    ratio = out["audit"] / out["baseline"]
    verdict = "ok" if out["audit"] < target_s else "OVER TARGET"
    print(
        f"{label}: {out['firms']:,.0f} firms | audit (median) {out['audit']:.2f} s "
        f"[target < {target_s:g} s: {verdict}] | baseline score_year (median) "
        f"{out['baseline'] * 1000:.0f} ms | ratio {ratio:.1f}×"
    )
    print(f"  sensitivity sample: {out['samples']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure")
    parser.add_argument("--no-200k", action="store_true", help="skip the 200,000-firm year")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city.duckdb"
        demo.build_demo_database(city)
        report("city (demo)", 2.0, measure(city, args.runs))
        if not args.no_200k:
            province = Path(tmp) / "province.duckdb"
            demo.build_demo_database(province, enterprises=200_000)
            report("province", 20.0, measure(province, max(1, args.runs // 2)))


if __name__ == "__main__":
    main()

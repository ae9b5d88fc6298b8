"""Method-lab speed, printed against a same-run baseline (medians).

The audit of the demo year — data quality, redundancy and sensitivity (drop-one, Sobol indices,
per-firm rank intervals) of every scale of the default profile, from the prepared year and the
engine's result — at city scale (issue 17: < 2 s) and at 200,000 firms (< 20 s). The baseline,
measured in the same run on the same data, is `scoring.score_year` (the read and the whole
score of the year), so the ratio says how many full scorings one audit costs. Each part is
timed on its own too, since the page runs one tab at a time (issue 15): the data-quality tab
opens the page, the redundancy tab follows a click, and a province-scale sensitivity analysis
runs when the official asks for it (`sensitivity.plan` against `sensitivity.AUTO_CELLS`).

    python benchmarks/bench_method_lab.py [--runs 5] [--no-200k]
        [--city PATH] [--province PATH]   (existing stores instead of building the demos)
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
from muyun.method_lab import quality, redundancy, sensitivity, year_audit  # noqa: E402


def median_s(action: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls (after one warm-up call)."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, runs: int) -> dict[str, Any]:
    """Baseline score_year, the audit (quality + redundancy + sensitivity, all scales), and
    each part alone."""
    con = db.connect(path, read_only=True)
    try:
        year = int(con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0])
        prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
        data = scoring.load_year(con, year)
        scored = scoring.score_prepared(data, prof)
        land = quality.prior_land(con, year)
        baseline = median_s(lambda: scoring.score_year(con, year, prof), runs)
        audit = median_s(lambda: year_audit.audit_year(data, prof, scored, land), runs)
        parts = {
            "quality": median_s(lambda: quality.check_year(data, prof, land), runs),
            "redundancy": median_s(lambda: redundancy.check_year(data, prof), runs),
        }
        for scale in prof.scales:
            parts[f"sensitivity {scale}"] = median_s(
                lambda scale=scale: sensitivity.analyse(scored, prof, scale), runs
            )
        result = year_audit.audit_year(data, prof, scored, land)
        plans = {scale: sensitivity.plan(data, prof, scale) for scale in prof.scales}
    finally:
        con.close()
    samples = ", ".join(
        f"{scale} N={s.samples} ({s.runs:,} runs × {len(s.firms):,} firms; "
        + ("runs when the tab opens" if _auto(plans[scale]) else "runs on request")
        + ")"
        for scale, s in result.sensitivity.items()
    )
    return {
        "firms": float(len(data)),
        "baseline": baseline,
        "audit": audit,
        "parts": parts,
        "samples": samples,
    }


def _auto(plan: tuple[int, int]) -> bool:
    firms, runs = plan
    return firms * runs <= sensitivity.AUTO_CELLS


def report(label: str, target_s: float, out: dict[str, Any]) -> None:
    ratio = out["audit"] / out["baseline"]
    verdict = "ok" if out["audit"] < target_s else "OVER TARGET"
    print(
        f"{label}: {out['firms']:,.0f} firms | audit (median) {out['audit']:.2f} s "
        f"[target < {target_s:g} s: {verdict}] | baseline score_year (median) "
        f"{out['baseline'] * 1000:.0f} ms | ratio {ratio:.1f}×"
    )
    parts = " | ".join(
        f"{name} {seconds:.2f} s ({seconds / out['baseline']:.1f}×)"
        for name, seconds in out["parts"].items()
    )
    print(f"  each part (median, × score_year): {parts}")
    print(f"  sensitivity sample: {out['samples']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure")
    parser.add_argument("--no-200k", action="store_true", help="skip the 200,000-firm year")
    parser.add_argument("--city", type=Path, help="an existing city store (read only)")
    parser.add_argument("--province", type=Path, help="an existing 200,000-firm store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        city = args.city or Path(tmp) / "city.duckdb"
        if args.city is None:
            demo.build_demo_database(city)
        report("city (demo)", 2.0, measure(city, args.runs))
        if not args.no_200k:
            province = args.province or Path(tmp) / "province.duckdb"
            if args.province is None:
                demo.build_demo_database(province, enterprises=200_000)
            report("province", 20.0, measure(province, max(1, args.runs // 2)))


if __name__ == "__main__":
    main()

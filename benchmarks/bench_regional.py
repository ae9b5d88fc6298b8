"""How long the 镇街考核, 预警关注 and 专项政策评估 views take (issues 14, 15), beside a same-run
baseline: scoring one year with the engine (what every page already pays, cached).

Each view is given what the app gives it (`ui/regional.py`): the league the year and the year
before; the watch list the year and, of the years its rules look back on, only the columns they
read (`watchlist.earlier_year`); the programme evaluation the years around its cohorts.

    python benchmarks/bench_regional.py                      # the demo city, built here
    python benchmarks/bench_regional.py --enterprises 20000
    python benchmarks/bench_regional.py --db /tmp/p15/prov.duckdb   # an existing store (read-only)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import db, demo, programmes, queries, scoring, towns, watchlist
from muyun.profile import load_profile, profile_path


def median_of(runs: int, work: Callable[[], object]) -> float:
    """The median of `runs` timings of `work`, in seconds (the machine is shared: medians)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, runs: int) -> None:
    """Print each view's time and its ratio to scoring one year, on the store at `path`."""
    prof = load_profile(profile_path("yongkang-default"))
    con = db.connect(path, read_only=True)
    years = queries.available_years(con)
    year = max(years)
    scorable = set(scoring.scorable_years(years, prof))
    part = programmes.load_participation(con)
    earlier = [y for y in watchlist.history_years(prof, year) if y in scorable]
    wanted = {year, year - 1, *earlier, *programmes.evaluation_years(part, demo.PROGRAMME_NX)}
    scored = {y: scoring.score_year(con, y, prof) for y in sorted(wanted & scorable)}
    watch = {y: watchlist.earlier_year(scored[y], prof) for y in earlier} | {year: scored[year]}
    evaluated = {y: scored[y] for y in programmes.evaluation_years(part, demo.PROGRAMME_NX)}
    names = [r[0] for r in con.execute("SELECT name FROM towns").fetchall()]
    firms = len(scored[year])

    base = median_of(runs, lambda: scoring.score_year(con, year, prof))

    def league() -> object:
        inputs = towns.load_inputs(con, year)
        return towns.league(scored[year], scored.get(year - 1), inputs, prof, names)

    timings = {
        "镇街排名 (league, 2 years)": median_of(runs, league),
        "镇街企业 (one town's firms)": median_of(
            runs, lambda: towns.town_firms(scored[year], names[0])
        ),
        "预警名单 (watch list)": median_of(runs, lambda: watchlist.watch_list(watch, year, prof)),
        "预警阈值 (threshold counts)": median_of(
            runs, lambda: watchlist.threshold_counts(watch, year, prof)
        ),
        "专项评估 (DiD, 3 outcomes, 2000 bootstrap)": median_of(
            runs, lambda: programmes.evaluate_all(evaluated, part, demo.PROGRAMME_NX)
        ),
    }
    con.close()
    print(f"firms in {year}: {firms:,}; baseline score_year: {base * 1000:.1f} ms (median)")
    for name, seconds in timings.items():
        print(f"{name:<45} {seconds * 1000:8.1f} ms   ratio {seconds / base:5.2f}× baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=None)
    parser.add_argument("--db", type=Path, default=None, help="an existing store (read-only)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.db is not None:
        measure(args.db, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        demo.build_demo_database(path, enterprises=args.enterprises)
        measure(path, args.runs)


if __name__ == "__main__":
    main()

"""How long the 镇街考核, 预警关注 and 专项政策评估 views take on the demo city (issue 14), beside
a same-run baseline: scoring one year with the engine (what every page already pays, cached).

    python benchmarks/bench_regional.py                   # the demo city
    python benchmarks/bench_regional.py --enterprises 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import db, demo, programmes, scoring, towns, watchlist
from muyun.profile import load_profile, profile_path


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    prof = load_profile(profile_path("yongkang-default"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        demo.build_demo_database(path, enterprises=args.enterprises)
        con = db.connect(path, read_only=True)
        year = max(demo.YEARS)
        history = {y: scoring.score_year(con, y, prof) for y in demo.YEARS}
        part = programmes.load_participation(con)
        names = [r[0] for r in con.execute("SELECT name FROM towns").fetchall()]
        firms = len(history[year])

        base = best_of(args.runs, lambda: scoring.score_year(con, year, prof))

        def league() -> object:
            inputs = towns.load_inputs(con, year)
            return towns.league(history[year], history[year - 1], inputs, prof, names)

        timings = {
            "镇街排名 (league, 1 year)": best_of(args.runs, league),
            "预警名单 (watch list)": best_of(
                args.runs, lambda: watchlist.watch_list(history, year, prof)
            ),
            "专项评估 (DiD, 3 outcomes, 2000 bootstrap)": best_of(
                args.runs, lambda: programmes.evaluate_all(history, part, demo.PROGRAMME_NX)
            ),
        }
        con.close()
    print(f"firms in {year}: {firms:,}; baseline score_year: {base * 1000:.1f} ms")
    for name, seconds in timings.items():
        print(f"{name:<45} {seconds * 1000:8.1f} ms   ratio {seconds / base:5.2f}× baseline")


if __name__ == "__main__":
    main()

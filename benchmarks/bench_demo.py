"""How long the demo database takes to build, beside a same-run baseline.

The baseline is the floor any builder pays: DuckDB writing the same tables (same rows, same
schema, one transaction, checkpointed) from DataFrames that are already in memory. The ratio
says how much the simulation itself costs on top of that.

    python benchmarks/bench_demo.py                      # the city and 200,000 firms a year
    python benchmarks/bench_demo.py --enterprises 50000  # a smaller province-size run
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import db, demo

TABLES = (
    "enterprises",
    "leases",
    "rectification_projects",
    "rectification_targets",
    "parks",
    "funds",
    "plot_ratio_upgrades",
    "published_facts",
    "dataset_info",
)


def baseline_write(source: Path, target: Path) -> float:
    """Seconds to write `source`'s tables into a fresh database from in-memory DataFrames."""
    with duckdb.connect(str(source), read_only=True) as con:
        frames = {t: con.execute(f"SELECT * FROM {t}").df() for t in TABLES}
    started = time.perf_counter()
    con = db.connect(target)
    try:
        con.execute("BEGIN TRANSACTION")
        for table, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            con.unregister("frame")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - started


def measure(label: str, enterprises: int | None, workdir: Path) -> None:
    path = workdir / f"{label}.duckdb"
    started = time.perf_counter()
    summary = demo.build_demo_database(path, enterprises=enterprises)
    build = time.perf_counter() - started
    base = baseline_write(path, workdir / f"{label}-baseline.duckdb")
    size_mb = path.stat().st_size / 1e6
    per_year = summary.enterprise_rows / len(summary.firms)
    print(
        f"{label:<10} {per_year:>10,.0f} {summary.enterprise_rows:>12,} {summary.leases:>9,} "
        f"{build:>9.2f} {base:>11.2f} {build / base:>7.1f}x {size_mb:>8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--enterprises", type=int, default=200_000, help="firms per year, large run"
    )
    parser.add_argument("--skip-large", action="store_true", help="only the default city")
    args = parser.parse_args()
    print(
        f"{'dataset':<10} {'firms/year':>10} {'rows (5 y)':>12} {'leases':>9} "
        f"{'build s':>9} {'baseline s':>11} {'ratio':>8} {'file MB':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        measure("city", None, workdir)
        if not args.skip_large:
            measure("province", args.enterprises, workdir)
    print("baseline = DuckDB writing the same tables from in-memory DataFrames (same run)")


if __name__ == "__main__":
    main()

"""`muyun score --input` and `muyun import` of a province-scale CSV against DuckDB on the same file.

Why a same-run baseline (issue 15): seconds depend on the machine and on what else it runs, so
every round also times what DuckDB alone does with the file: read it (`read_csv` with its own
type detection), rank each firm within its industry by tax per mu (a window function) and write
the result as CSV. The commands run as an official runs them (`python -m muyun …`, a fresh
interpreter each time) and so does the baseline (`python -c …` with DuckDB); the same work is also
timed inside this process, without interpreter start and imports. A reference, not the goal,
is timed beside it: DuckDB writing a file as wide as muyun's result (64 columns, 42 computed
numbers; methodology §8 fixes them), so the cost of that width shows. Rounds interleave all cases;
medians and ratios are printed for wall-clock seconds and for CPU seconds (user + system, DuckDB's
threads and child processes included), which other load on the machine disturbs far less. The
goal is both commands within 2.5× of the baseline.

Each checkout's bytecode is compiled before the rounds, as `pip install` compiles an installed
package's: with PYTHONDONTWRITEBYTECODE set (this machine sets it) every command would otherwise
compile muyun's sources again (~0.1 s a run), while DuckDB and pandas load compiled bytecode.

    python benchmarks/bench_score_cli.py [--rows 200000 | --db STORE --year 2024] [--runs 5]
        [--repo OTHER_CHECKOUT]   # also time another checkout's commands (before/after)
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import csv
import functools
import io
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from muyun import db, importer  # noqa: E402
from muyun.cli import main as cli_main  # noqa: E402
from muyun.labels import TABLE_HEADERS  # noqa: E402

PROFILE = "yongkang-default"
TAX, LAND, INDUSTRY = (TABLE_HEADERS["enterprises"][k] for k in ("tax", "land_own_mu", "industry"))
# DuckDB alone: read, rank within the industry by tax per mu, write. `{src}`/`{out}` are paths;
# `{computed}` is empty for the baseline and holds the wide reference's extra columns.
BASELINE_SQL = f"""
    COPY (
        SELECT *, rank() OVER (
            PARTITION BY "{INDUSTRY}" ORDER BY "{TAX}" / nullif("{LAND}", 0) DESC NULLS LAST
        ) AS rank_in_industry{{computed}}
        FROM read_csv('{{src}}')
    ) TO '{{out}}' (HEADER, DELIMITER ',')
"""
QUIET = "SET enable_progress_bar = false;"
PROCESS_BASELINE = "baseline (DuckDB read + rank + write), process"
# A reference beside the goal's baseline, not the goal: DuckDB writing a file as wide as the
# result muyun writes (methodology §8 fixes what every result carries: 64 columns, 42 of them
# computed numbers, three times the input's bytes), so the cost of that width can be told apart
# from muyun's own work.
WIDE_REFERENCE = "reference: DuckDB, a file as wide as muyun's, process"
INSIDE_BASELINE = "baseline, in this process"
BASELINE_SCRIPT = f"import duckdb, sys; duckdb.connect().execute('{QUIET}' + sys.argv[1])"


def wide_reference_sql(src: Path, out: Path, width: int) -> str:
    """`BASELINE_SQL` with computed numbers (ratios of the input's number columns, full
    precision as muyun's) added until the file has `width` columns, as muyun's result has."""
    described = duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_csv('{src}')").fetchall()
    numbers = [str(row[0]) for row in described if row[1] in ("DOUBLE", "BIGINT")]
    pairs = itertools.islice(
        itertools.cycle(itertools.permutations(numbers, 2)), max(width - len(described) - 1, 0)
    )
    computed = "".join(
        f', "{a}" / nullif("{b}", 0) AS computed_{i}' for i, (a, b) in enumerate(pairs)
    )
    return BASELINE_SQL.format(src=src, out=out, computed=computed)


def write_input(path: Path, rows: int, store: str | None, year: int) -> None:
    """The enterprise CSV as a bureau sends it: Chinese headers, 是/否, blanks for missing."""
    if store is None:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_import import enterprises_frame

        enterprises_frame(rows).to_csv(path, index=False, encoding="utf-8")
        return
    con = db.connect(store, read_only=True)
    try:
        frame = con.execute(
            "SELECT * FROM enterprises WHERE year = ? ORDER BY credit_code", [year]
        ).df()
    finally:
        con.close()
    for column in frame.select_dtypes("bool").columns:
        frame[column] = frame[column].map({True: "是", False: "否"})
    frame.rename(columns=TABLE_HEADERS["enterprises"]).to_csv(path, index=False)


def cpu_seconds() -> float:
    """User + system CPU of this process and of its finished children (DuckDB's threads too)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `run()`: on a busy machine the CPU time moves far less."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    run()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def command(repo: Path, *args: str) -> Callable[[], object]:
    """`python -m muyun ARGS` from checkout `repo`, failing loudly."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    argv = [sys.executable, "-m", "muyun", *args]
    return lambda: subprocess.run(argv, cwd=repo, env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic firms (no --db)")
    parser.add_argument("--db", help="export this store's year instead of synthetic firms")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repo", type=Path, help="another checkout to time as well")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "enterprises.csv"
        write_input(src, args.rows, args.db, args.year)
        lines = sum(1 for _ in src.open("rb")) - 1
        print(f"input: {lines:,} firms, {src.stat().st_size / 1e6:.1f} MB ({src})")
        baseline_sql = BASELINE_SQL.format(src=src, out=work / "baseline.csv", computed="")
        stores = iter(range(10_000))

        def fresh_store() -> str:
            return str(work / f"store{next(stores)}.duckdb")

        def import_in_process() -> tuple[float, float]:
            con = db.connect(":memory:")  # the empty store is not timed
            try:
                return timed(lambda: importer.import_file(con, src, "enterprises"))
            finally:
                con.close()

        def import_command(repo: Path) -> tuple[float, float]:
            store = fresh_store()
            return timed(command(repo, "import", str(src), "--table", "enterprises", "--db", store))

        def score_in_process() -> tuple[float, float]:
            with contextlib.redirect_stdout(io.StringIO()):  # its summary, printed each round
                return timed(lambda: cli_main([*score, str(work / "s.csv")]))

        score = ("score", "--input", str(src), "--profile", PROFILE, "--out")
        with contextlib.redirect_stdout(io.StringIO()):  # untimed: the result file's width
            cli_main([*score, str(work / "s.csv")])
        with (work / "s.csv").open(encoding="utf-8-sig") as handle:
            width = len(next(csv.reader(handle)))
        baseline_command = [sys.executable, "-c", BASELINE_SCRIPT, baseline_sql]
        wide_sql = wide_reference_sql(src, work / "wide.csv", width)
        wide_command = [sys.executable, "-c", BASELINE_SCRIPT, wide_sql]
        cases: dict[str, Callable[[], tuple[float, float]]] = {
            PROCESS_BASELINE: lambda: timed(lambda: subprocess.run(baseline_command, check=True)),
            INSIDE_BASELINE: lambda: timed(lambda: duckdb.connect().execute(QUIET + baseline_sql)),
            WIDE_REFERENCE: lambda: timed(lambda: subprocess.run(wide_command, check=True)),
        }
        checkouts = {"": ROOT} | ({" [--repo]": args.repo.resolve()} if args.repo else {})
        for tag, repo in checkouts.items():
            compileall.compile_dir(repo / "muyun", quiet=1)
            score_command = command(repo, *score, str(work / "scores.csv"))
            cases[f"muyun score --input, process{tag}"] = functools.partial(timed, score_command)
            cases[f"muyun import, process{tag}"] = functools.partial(import_command, repo)
        cases["score --input, in this process"] = score_in_process
        cases["import_file, in this process"] = import_in_process

        measured: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for round_no in range(args.runs):
            for name, run in cases.items():
                measured[name].append(run())
            print(f"  round {round_no + 1}/{args.runs} done")
    report(measured, args.runs)


def report(measured: dict[str, list[tuple[float, float]]], runs: int) -> None:
    """Medians (wall-clock and CPU) of each case, and each command's ratios to its baseline."""
    for index, unit in enumerate(("wall-clock", "CPU")):
        medians = {
            name: statistics.median(m[index] for m in runs_) for name, runs_ in measured.items()
        }
        print(f"\n{unit} seconds, medians of {runs} runs (interleaved in the same run):")
        for name, value in medians.items():
            spread = ", ".join(f"{m[index]:.2f}" for m in measured[name])
            print(f"  {name:55s} {value:6.2f}   ({spread})")
        print(f"ratios to the baseline, {unit} (goal ≤ 2.5):")
        for name, value in medians.items():
            if name not in (PROCESS_BASELINE, INSIDE_BASELINE, WIDE_REFERENCE):
                base = medians[INSIDE_BASELINE if "this process" in name else PROCESS_BASELINE]
                print(f"  {name:55s} {value / base:5.2f}×")
        wide = medians[WIDE_REFERENCE]
        print(f"the reference (not the goal), {unit}:")
        print(f"  {WIDE_REFERENCE:55s} {wide / medians[PROCESS_BASELINE]:5.2f}× the baseline")
        for name, value in medians.items():
            if name.startswith("muyun score --input, process"):
                print(f"  {name:55s} {value / wide:5.2f}× the reference")


if __name__ == "__main__":
    main()

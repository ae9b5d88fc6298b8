"""Evaluation runs: creating a run (freeze + score + store), reading it back, a correction preview.

Prints, for synthetic years of 4,000 and 200,000 enterprises (with leases, as
`bench_scoring.synthesise` makes them), on a database file:
- create: `evaluation.create_run` (copy the year's rows and the profile, score the snapshot,
  store the results, append the audit row), beside the baseline measured in the same run: a
  plain `scoring.score_year` of the same live year; the ratio create ÷ baseline;
- read: `evaluation.run_result` (the stored result joined back, overrides applied);
- preview: `evaluation.preview_correction` for one firm's tax (re-score the frozen pool).

Run: `python benchmarks/bench_evaluation.py [--sizes 4000 200000]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import db, evaluation, profile, scoring
from muyun.accounts import ROLE_ADMIN, Account

_spec = importlib.util.spec_from_file_location(
    "bench_scoring", Path(__file__).resolve().parent / "bench_scoring.py"
)
bench_scoring = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scoring)

ADMIN = Account("bench", "基准测试", ROLE_ADMIN)


def seconds(func) -> tuple[object, float]:
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def bench(n: int, workdir: Path) -> None:
    firms, leases = bench_scoring.synthesise(n)
    database = db.Database(workdir / f"eval_{n}.duckdb")
    with database.write() as cur:
        bench_scoring.load(cur, firms, leases)
    path = profile.profile_path(profile.DEFAULT_PROFILE)
    text = path.read_text(encoding="utf-8")
    con = database.reader()
    _, baseline = seconds(
        lambda: scoring.score_year(con, bench_scoring.YEAR, profile.load_profile(path))
    )
    run_id, create = seconds(
        lambda: evaluation.create_run(
            database, bench_scoring.YEAR, text, profile_id=profile.DEFAULT_PROFILE, actor=ADMIN
        )
    )
    result, read = seconds(lambda: evaluation.run_result(con, run_id))
    code = str(result["credit_code"].iloc[len(result) // 2])
    changes = {"tax": float(result["tax"].iloc[len(result) // 2]) * 2}
    preview, previewed = seconds(lambda: evaluation.preview_correction(con, run_id, code, changes))
    print(
        f"{n:>8,} firms: create {create:6.2f} s (score_year baseline {baseline:5.2f} s, "
        f"ratio {create / baseline:4.1f}); read {read:5.2f} s; "
        f"preview {previewed:5.2f} s ({len(preview.moved):,} firms moved)"
    )
    database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 200_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            bench(n, Path(tmp))


if __name__ == "__main__":
    main()

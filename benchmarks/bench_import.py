"""Import throughput: a valid 200,000-row enterprises CSV (and a smaller xlsx) into a fresh store.

Why a same-run baseline: absolute seconds depend on the machine and on what else it runs, so the
script also times DuckDB's own `read_csv` of the same file into a table (no validation at all)
and, for xlsx, calamine's bare read of the sheet, and prints the ratios.

    python benchmarks/bench_import.py [--rows 200000] [--xlsx-rows 50000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import creditcode, db, importer
from muyun.labels import INDUSTRIES, LISTING_STATUSES, TABLE_HEADERS


def enterprises_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """A valid enterprises table (Chinese headers) with realistic spreads and some blanks."""
    rng = np.random.default_rng(seed)
    py_rng = random.Random(seed)
    codes: set[str] = set()
    while len(codes) < rows:
        codes.add(creditcode.make_code(py_rng))
    towns = pd.read_csv(db.TOWNS_CSV)["name"].to_numpy()
    above = rng.random(rows) < 0.26
    land = np.round(rng.lognormal(2.5, 0.9, rows), 2)
    revenue = np.round(land * rng.lognormal(4.5, 0.6, rows), 1)
    employees = np.maximum(1, (land * rng.lognormal(1.6, 0.5, rows)).astype(int))
    optional = rng.random(rows) < 0.9
    frame = pd.DataFrame(
        {
            "year": 2024,
            "credit_code": sorted(codes),
            "name": [f"永康示例企业{i:06d}有限公司" for i in range(rows)],
            "industry": rng.choice(INDUSTRIES, rows),
            "town": rng.choice(towns, rows),
            "scale": np.where(above, "规上", "规下"),
            "land_own_mu": land,
            "tax": np.round(revenue * rng.normal(0.04, 0.02, rows), 2),
            "value_added": np.where(above, np.round(revenue * 0.22, 1), np.nan),
            "revenue": revenue,
            "employees": np.where(above, employees, -1),
            "energy_tce": np.where(optional, np.round(revenue * 0.05, 1), np.nan),
            "electricity_10k_kwh": np.round(revenue * 0.03, 2),
            "emission_t": np.where(optional, np.round(land * 0.02, 3), np.nan),
            "rd": np.round(revenue * 0.03, 1),
            "water_t": np.round(land * 300.0),
            "investment": np.round(revenue * 0.05, 1),
            "listing": rng.choice(LISTING_STATUSES, rows, p=[0.94, 0.03, 0.02, 0.01]),
            "talents": (employees * 0.2).astype(int),
            "safety_incidents": (rng.random(rows) < 0.01).astype(int),
            "env_penalties": (rng.random(rows) < 0.02).astype(int),
            "veto": np.where(rng.random(rows) < 0.005, "是", "否"),
            "exempt": np.where(rng.random(rows) < 0.01, "是", "否"),
        }
    )
    frame["employees"] = frame["employees"].astype(object).where(above, "")
    return frame.rename(columns=TABLE_HEADERS["enterprises"])


def timed(label: str, func):
    """Run `func` once, print and return (its result, seconds)."""
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"  {label}: {seconds:.2f} s")
    return result, seconds


def bench_csv(rows: int, work: Path) -> None:
    path = work / "enterprises.csv"
    enterprises_frame(rows).to_csv(path, index=False, encoding="utf-8")
    print(f"CSV, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB")
    con = db.connect(work / "csv.duckdb")
    result, seconds = timed(
        "muyun import (validate + write)", lambda: importer.import_file(con, path, "enterprises")
    )
    assert result.rows_added == rows, result
    again, again_s = timed(
        "re-import (upsert replaces all)", lambda: importer.import_file(con, path, "enterprises")
    )
    assert again.rows_replaced == rows, again
    con.close()
    base = db.connect(work / "baseline.duckdb")
    _, base_s = timed(
        "baseline: DuckDB read_csv into a table",
        lambda: base.execute(
            "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true)", [str(path)]
        ),
    )
    base.close()
    print(f"  throughput: {rows / seconds:,.0f} rows/s (re-import {rows / again_s:,.0f} rows/s)")
    print(f"  ratio import / baseline: {seconds / base_s:.1f}×")


def bench_xlsx(rows: int, work: Path) -> None:
    path = work / "enterprises.xlsx"
    frame = enterprises_frame(rows, seed=8)
    timed(
        f"writing the {rows:,}-row xlsx (not part of the import)",
        lambda: frame.to_excel(path, index=False, engine="xlsxwriter"),
    )
    print(f"xlsx, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB")
    if rows < 200_000:
        print("  (smaller than the CSV: writing a 200,000-row workbook takes about a minute;")
        print("   --xlsx-rows 200000 runs the full size)")
    con = db.connect(work / "xlsx.duckdb")
    result, seconds = timed(
        "muyun import (validate + write)", lambda: importer.import_file(con, path, "enterprises")
    )
    assert result.rows_added == rows, result
    con.close()
    from python_calamine import CalamineWorkbook

    _, base_s = timed(
        "baseline: calamine bare read of the sheet",
        lambda: CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(),
    )
    print(f"  throughput: {rows / seconds:,.0f} rows/s")
    print(f"  ratio import / baseline: {seconds / base_s:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="CSV rows")
    parser.add_argument("--xlsx-rows", type=int, default=50_000, help="xlsx rows (0 skips)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_csv(args.rows, work)
        if args.xlsx_rows:
            bench_xlsx(args.xlsx_rows, work)


if __name__ == "__main__":
    main()

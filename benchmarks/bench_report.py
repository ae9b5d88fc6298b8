"""Batch rate of enterprise reports (亩均效益分析报告) for the largest demo industry.

Builds the demo city in a temporary directory, then produces one PDF per evaluated firm of the
industry with the most evaluated firms in the latest year, exactly as
`python -m muyun report --industry X --out DIR` does (score once, render in worker processes).

Baseline, measured in the same run: a minimal one-page fpdf2 PDF (title + firm name) with the
same Noto Sans SC font handed to fpdf2 directly — the cheapest PDF with this font that fpdf2
can make. Targets (issue 7): ≥ 5 reports/s on the 2-core machine, one report's PDF < 1 MB.

Run: python benchmarks/bench_report.py [--jobs N] [--limit N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fpdf import FPDF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import db, demo, labels, queries, report
from muyun.profile import DEFAULT_PROFILE, load_profile, profile_path


def baseline_pdf(font: Path, name: str) -> bytes:
    """One page, two lines of Chinese, the full font given to fpdf2 as it is."""
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", "", str(font))
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, name, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, labels.REPORT_TEXT["title"])
    return bytes(pdf.output())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=report.default_jobs())
    parser.add_argument("--limit", type=int, default=None, help="at most this many reports")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        started = time.perf_counter()
        demo.build_demo_database(path)
        print(f"demo database built in {time.perf_counter() - started:.1f} s")
        con = db.connect(path, read_only=True)
        year = queries.available_years(con)[-1]
        profile = load_profile(profile_path(DEFAULT_PROFILE))

        started = time.perf_counter()
        ctx = report.prepare_context(con, year, profile)
        prepare_s = time.perf_counter() - started
        evaluated = ctx.scored.loc[ctx.scored["status"] == labels.STATUS_EVALUATED]
        industry = evaluated.groupby("industry").size().idxmax()
        codes = report.evaluated_codes(ctx, industry=industry)[: args.limit]
        print(f"year {year}, largest industry {industry}: {len(codes)} evaluated firms")
        print(f"scoring {year} and the trend years once: {prepare_s:.2f} s")

        out = Path(tmp) / "reports"
        out.mkdir()
        sizes = []
        started = time.perf_counter()
        for code, pdf in report.iter_pdfs(ctx, codes, jobs=args.jobs):
            name = report.report_filename(code, str(ctx.row(code)["name"]))
            (out / name).write_bytes(pdf)
            sizes.append(len(pdf))
        batch_s = time.perf_counter() - started
        con.close()

        rate = len(codes) / batch_s
        total_rate = len(codes) / (batch_s + prepare_s)
        print(
            f"batch ({args.jobs} process(es)): {len(codes)} PDFs in {batch_s:.1f} s "
            f"= {rate:.1f} reports/s ({total_rate:.1f}/s including the one-off scoring); "
            f"target ≥ 5/s: {'OK' if total_rate >= 5 else 'MISSED'}"
        )
        print(
            f"PDF size: median {statistics.median(sizes) / 1024:.0f} KB, "
            f"max {max(sizes) / 1024:.0f} KB; target < 1 MB: "
            f"{'OK' if max(sizes) < 1_000_000 else 'MISSED'}"
        )

        font = report.cjk_font_path()
        name = str(ctx.row(codes[0])["name"])
        baseline_pdf(font, name)  # warm-up
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            size = len(baseline_pdf(font, name))
            runs.append(time.perf_counter() - started)
        base_s = statistics.median(runs)
        per_report = batch_s / len(codes) * args.jobs  # CPU seconds per report
        print(
            f"baseline: minimal one-page fpdf2 PDF with the same font {base_s * 1000:.0f} ms "
            f"({size / 1024:.0f} KB) = {1 / base_s:.1f} PDFs/s on one core"
        )
        print(
            f"one full report costs {per_report * 1000:.0f} ms of one core = "
            f"{per_report / base_s:.2f}× the minimal PDF"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

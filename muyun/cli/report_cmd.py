"""`python -m muyun report`: one firm's 亩均效益分析报告 (PDF or HTML), or a batch of PDFs.

Why the batch scores once: `report.prepare_context` scores the year (and the trend years) a single
time and every PDF reuses it; worker processes receive that context, never a database handle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from muyun import db, labels, report
from muyun.export import to_csv_bytes
from muyun.profile import DEFAULT_PROFILE, ProfileError, load_profile, profile_path

TEXT = labels.REPORT_CLI_TEXT


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report` sub-command."""
    p = sub.add_parser("report", help=TEXT["help"], description=TEXT["help"])
    p.add_argument("--db", type=Path, default=None, help=TEXT["db"])
    p.add_argument("--year", type=int, required=True, help=TEXT["year"])
    p.add_argument("--code", help=TEXT["code"])
    p.add_argument("--out", type=Path, required=True, help=TEXT["out"])
    p.add_argument("--profile", type=Path, default=None, help=TEXT["profile"])
    p.add_argument("--industry", choices=labels.INDUSTRIES, help=TEXT["industry"])
    p.add_argument("--tier", choices=labels.TIERS, help=TEXT["tier"])
    p.add_argument("--jobs", type=int, default=None, help=TEXT["jobs"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 on success; 1 with a Chinese message on stderr otherwise."""
    batch = bool(args.industry or args.tier)
    if args.code and batch:
        return _fail(TEXT["both"])
    if not args.code and not batch:
        return _fail(TEXT["need_target"])
    if args.code and args.out.suffix.lower() not in (".pdf", ".html", ".htm"):
        return _fail(TEXT["suffix"])
    path = db.db_path(args.db)
    if not path.is_file():
        return _fail(TEXT["no_db"].format(path=path))
    try:
        profile = load_profile(args.profile or profile_path(DEFAULT_PROFILE))
        con = db.connect(path, read_only=True)
        try:
            ctx = report.prepare_context(con, args.year, profile)
            if args.code:
                return _one(con, ctx, args)
            return _batch(ctx, args)
        finally:
            con.close()
    except (ProfileError, report.ReportError, OSError) as exc:
        return _fail(str(exc))


def _one(
    con: duckdb.DuckDBPyConnection, ctx: report.ReportContext, args: argparse.Namespace
) -> int:
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        out.write_bytes(report.render_pdf(con, ctx.year, args.code, ctx.profile, context=ctx))
    else:
        page = report.render_html(con, ctx.year, args.code, ctx.profile, context=ctx)
        out.write_text(page, encoding="utf-8")
    print(TEXT["done_one"].format(path=out))
    return 0


def _batch(ctx: report.ReportContext, args: argparse.Namespace) -> int:
    codes = report.evaluated_codes(ctx, industry=args.industry, tier=args.tier)
    if not codes:
        return _fail(
            TEXT["none"].format(year=ctx.year, industry=args.industry or "—", tier=args.tier or "—")
        )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    jobs = args.jobs if args.jobs is not None else report.default_jobs(len(codes))
    index = []
    pdfs = report.iter_pdfs(ctx, codes, jobs=jobs)
    unit = labels.REPORT_TEXT["progress_unit"]
    for code, pdf in tqdm(pdfs, total=len(codes), desc=TEXT["progress"], unit=unit):
        name = report.report_filename(code, str(ctx.row(code)["name"]))
        (out / name).write_bytes(pdf)
        index.append(report.index_row(ctx, code, name))
    index_path = out / "index.csv"
    index_path.write_bytes(to_csv_bytes(pd.DataFrame(index)))
    print(TEXT["done_batch"].format(n=len(index), index=index_path))
    return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1

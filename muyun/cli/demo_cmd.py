"""`python -m muyun demo-data`: build the synthetic demo database (city or province size).

Why a command: the app builds the demo city by itself on first start, but benchmarks, tests and
an official who wants a fresh copy (or a bigger one) need to build it on demand.
"""

from __future__ import annotations

import argparse

from muyun import db, demo, labels

DESCRIPTION = (
    "生成演示数据库：虚构企业，2020–2024 年，按永康公开统计口径校准；"
    "另含公开发布的低效用地整治、小微企业园、专项经费数据。原有文件将被覆盖。\n"
    "Build the synthetic demo database (fictional firms, 2020–2024, calibrated to Yongkang's "
    "published figures, plus the real published land-rectification, park and fund figures). "
    "An existing file is replaced."
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 50:
        raise argparse.ArgumentTypeError("至少 50 家 / at least 50")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo-data` sub-command."""
    p = sub.add_parser(
        "demo-data",
        help="生成演示数据库 / build the demo database",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help="数据库文件（默认：环境变量 MUYUN_DB 或 data/muyun.duckdb）"
        " / database file (default: $MUYUN_DB or data/muyun.duckdb)",
    )
    p.add_argument(
        "--enterprises",
        metavar="N",
        type=_positive,
        help=f"每年企业数（默认为永康全市约 {demo.DEFAULT_FIRMS_PER_YEAR:,} 家；"
        "如 200000 生成全省规模数据用于性能测试）"
        f" / firms per year (default: the city, ≈{demo.DEFAULT_FIRMS_PER_YEAR:,}; "
        "e.g. 200000 for a province-size benchmark set)",
    )
    p.add_argument(
        "--seed",
        metavar="S",
        type=int,
        default=demo.DEFAULT_SEED,
        help=f"随机种子，相同种子生成相同数据（默认 {demo.DEFAULT_SEED}）"
        f" / random seed; the same seed gives the same data (default {demo.DEFAULT_SEED})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the database and print what it holds and how long it took."""
    path = db.db_path(args.db)
    summary = demo.build_demo_database(path, enterprises=args.enterprises, seed=args.seed)
    up, down = labels.SCALES
    print(f"演示数据库已生成 / demo database built: {summary.path}")
    print(f"随机种子 / seed: {summary.seed}")
    print(f"年度 / year   {up:>8} {down:>8} {down + '≥3亩':>10}")
    for year, counts in summary.firms.items():
        print(f"{year}        {counts[up]:>8,} {counts[down]:>8,} {counts['evaluated_down']:>10,}")
    print(f"企业年度记录 / enterprise rows: {summary.enterprise_rows:,}")
    print(f"租赁备案 / leases: {summary.leases:,}")
    print(f"整治项目 / rectification projects: {summary.rectification_projects:,}")
    print(f"小微企业园 / parks: {summary.parks:,}")
    print(f"用时 / build time: {summary.seconds:.2f} s")
    print(labels.DEMO_NOTICE)
    return 0

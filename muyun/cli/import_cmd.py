"""`python -m muyun import FILE --table T [--db PATH]`: one bureau file in, whole or not at all.

Why errors go to stderr one per line: officials (or a script) fix the file from that list; the
exit code tells a script whether anything was written (0) or nothing was (1).
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from muyun import db, importer
from muyun.labels import IMPORT_TEXT, TABLE_NAMES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `import` sub-command."""
    tables = "，".join(f"{key}（{name}）" for key, name in TABLE_NAMES.items())
    p = sub.add_parser(
        "import",
        help="导入一张数据表（.xlsx/.csv）：全部通过才写入，否则不作任何修改",
        description=(
            "按数据字典校验并导入一个 .xlsx 或 .csv 文件（UTF-8、UTF-8 BOM、GBK 均可，"
            "中文或英文表头）。任何一处错误都不会写入数据库，所有错误逐行输出到标准错误；"
            "同一年度同一主键的记录会被替换。"
        ),
    )
    p.add_argument("file", metavar="FILE", help="要导入的 .xlsx 或 .csv 文件")
    p.add_argument(
        "--table", required=True, choices=list(TABLE_NAMES), help=f"目标数据表：{tables}"
    )
    p.add_argument(
        "--db", default=None, help="数据库文件（默认：环境变量 MUYUN_DB，否则 data/muyun.duckdb）"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the file; 0 with a summary on stdout, or 1 with every error on stderr."""
    try:
        con = db.connect(args.db)
    except duckdb.Error as exc:
        path = db.db_path(args.db)
        print(IMPORT_TEXT["db_unavailable"].format(path=path, detail=exc), file=sys.stderr)
        return 1
    try:
        result = importer.import_file(con, args.file, args.table)
    except importer.ImportFailed as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        for warning in exc.warnings:
            print(IMPORT_TEXT["warning_prefix"] + warning, file=sys.stderr)
        print(IMPORT_TEXT["failed"].format(count=len(exc.errors)), file=sys.stderr)
        return 1
    finally:
        con.close()
    print(result.summary())
    for warning in result.warnings:
        print(IMPORT_TEXT["warning_prefix"] + warning)
    return 0

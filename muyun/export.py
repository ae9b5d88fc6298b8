"""Write tables for officials: UTF-8 CSV with English keys, or Excel with Chinese headers.

Why xlsxwriter: it is the fastest maintained pure-Python xlsx writer (200,000-row score exports
stay in seconds) and pandas drives it directly; reading is done elsewhere with calamine.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from muyun.labels import score_header


def to_excel_bytes(
    frame: pd.DataFrame,
    header: Callable[[str], str] = score_header,
    sheet_name: str = "结果",
) -> bytes:
    """An .xlsx file (bytes) of `frame` with Chinese column headers and a frozen header row."""
    buffer = io.BytesIO()
    renamed = frame.rename(columns={c: header(c) for c in frame.columns})
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        renamed.to_excel(writer, sheet_name=sheet_name, index=False)
        sheet = writer.sheets[sheet_name]
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, max(len(renamed.columns) - 1, 0), 14)
    return buffer.getvalue()


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM, so Excel on a Chinese Windows desktop opens it without mojibake."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` to `.csv` (English keys) or `.xlsx` (Chinese headers) by the file suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        target.write_bytes(to_csv_bytes(frame))
    elif suffix == ".xlsx":
        target.write_bytes(to_excel_bytes(frame))
    else:
        raise ValueError(f"不支持的输出格式“{suffix}”，请使用 .csv 或 .xlsx")
    return target

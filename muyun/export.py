"""Write tables for officials: UTF-8 CSV with English keys, or Excel with Chinese headers.

Why xlsxwriter: it is the fastest maintained pure-Python xlsx writer (200,000-row score exports
stay in seconds) and pandas drives it directly; reading is done elsewhere with calamine.

Why Arrow's CSV writer and not `DataFrame.to_csv`: 200,000 rows × 57 columns (50 float, 5 text,
a flag, an integer; 5 % missing) took 0.9 s here against pandas' 11.9 s, same run. Every
CSV the product writes (score CLI, rankings page, report index) goes through `to_csv_bytes` or
`write_table`, so they share one format: a UTF-8 BOM, a header of the frame's column names, text
quoted, missing values as empty cells, booleans as true/false, timestamps as pandas prints them.
Both writers neutralise formula-like text cells (`neutralise_frame`), so no export can carry a
live formula or link from imported text.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from muyun.labels import EXPORT_TEXT, INDICATORS, score_header

_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed")
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…),
# =cmd|' /C calc'!A0, @SUM(…)); tab and carriage return can hide such a start. OWASP's advice
# ("CSV injection"): prefix the cell with an apostrophe, which Excel, WPS and LibreOffice show
# as text and do not display.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain signed number ("-12.5", "+3%") is not a formula, so it is left as it is.
_PLAIN_NUMBER = r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?%?"
# xlsxwriter otherwise turns "=…" text into a live formula and "http://…" into a hyperlink.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe."""
    risky = isinstance(value, str) and value.startswith(FORMULA_LEADS)
    if risky and not re.fullmatch(_PLAIN_NUMBER, value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell `neutralise`d (a copy when anything changes).

    Every exporter of the product (Excel, CSV, the batch ZIP's index, report tables) passes its
    table through here, so untrusted names from an import can never run on an official's desk.
    """
    out = frame
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue
        text = column.astype("string")
        risky = text.str.startswith(FORMULA_LEADS).fillna(False).to_numpy(dtype=bool)
        if not risky.any():
            continue
        if out is frame:
            out = frame.copy()
        out.iloc[:, position] = column.map(neutralise)
    return out


def to_excel_bytes(
    frame: pd.DataFrame,
    header: Callable[[str], str] = score_header,
    sheet_name: str = EXPORT_TEXT["sheet"],
) -> bytes:
    """An .xlsx file (bytes) of `frame` with Chinese column headers and a frozen header row."""
    buffer = io.BytesIO()
    renamed = neutralise_frame(frame).rename(columns={c: header(c) for c in frame.columns})
    renamed.columns = [neutralise(str(c)) for c in renamed.columns]
    engine_kwargs = {"options": XLSX_OPTIONS}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs=engine_kwargs) as writer:
        renamed.to_excel(writer, sheet_name=sheet_name, index=False)
        sheet = writer.sheets[sheet_name]
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, max(len(renamed.columns) - 1, 0), 14)
        # Ratios such as R&D intensity are stored as 0.0452; Excel shows them as 4.52 %, so the
        # cell reads the same as the page and the "（%）" header.
        percent = writer.book.add_format({"num_format": "0.00%"})
        for index, column in enumerate(frame.columns):
            if column in INDICATORS and INDICATORS[column].percent:
                sheet.set_column(index, index, 14, percent)
    return buffer.getvalue()


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM, so Excel on a Chinese Windows desktop opens it without mojibake."""
    buffer = io.BytesIO()
    _write_csv(frame, buffer)
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` to `.csv` (English keys) or `.xlsx` (Chinese headers) by the file suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        with target.open("wb") as handle:
            _write_csv(frame, handle)
    elif suffix == ".xlsx":
        target.write_bytes(to_excel_bytes(frame))
    else:
        raise ValueError(EXPORT_TEXT["bad_suffix"].format(suffix=suffix))
    return target


def _write_csv(frame: pd.DataFrame, handle: BinaryIO) -> None:
    """The BOM, then the frame (no index) through Arrow's CSV writer."""
    handle.write(codecs.BOM_UTF8)
    names = [str(neutralise(str(column))) for column in frame.columns]
    if not names:
        return
    frame = neutralise_frame(frame)
    arrays = [_arrow_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    pacsv.write_csv(pa.Table.from_arrays(arrays, names=names), handle, _CSV_OPTIONS)


def _arrow_column(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    """One column as Arrow; timestamps and mixed Python objects as the text pandas prints."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        column = column.astype("str")
    try:
        array = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        array = None
    if array is None or pa.types.is_nested(array.type):
        # Mixed types in one object column (or lists): each cell as its own text.
        return pa.array([None if _missing(v) else str(v) for v in column], type=pa.string())
    return array


def _missing(value: object) -> bool:
    """A cell pandas would write as empty (None, NaN, NA, NaT); list-like cells are not."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

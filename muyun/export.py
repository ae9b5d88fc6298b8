"""Write tables for officials (Chinese headers with units, the page's rounding, Excel formats)
and, for the command line's `muyun score` only, a machine-readable CSV with English keys.

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
import os
import re
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from muyun.labels import (
    EXPORT_TEXT,
    HEADER_WITH_UNIT,
    INDICATORS,
    UNIT_FIRMS,
    UNIT_POINTS,
    score_header,
)

# Rows Arrow's CSV writer formats per batch. Its default, 1,024, sets up a cast per column per
# batch: 12,500 (two batches per slice) took `write_csv_table` on a 200,000-row score table from
# 0.73 to 0.64 s CPU here (medians of 26, same run). Batches only split the work: same bytes.
CSV_BATCH_ROWS = 12_500
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed", batch_size=CSV_BATCH_ROWS)
_CSV_OPTIONS_NO_HEADER = pacsv.WriteOptions(
    quoting_style="needed", batch_size=CSV_BATCH_ROWS, include_header=False
)
# `write_csv_table`: rows per slice, and threads (two paid on the 2-core server; more cores
# would not be kept busy by a single writer of the joined bytes).
CSV_SLICE_ROWS = 25_000
CSV_THREADS = min(os.cpu_count() or 1, 2)
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…),
# =cmd|' /C calc'!A0, @SUM(…)); tab and carriage return can hide such a start. OWASP's advice
# ("CSV injection"): prefix the cell with an apostrophe, which Excel, WPS and LibreOffice show
# as text and do not display.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
_LEAD_BYTES = pa.array([lead.encode() for lead in FORMULA_LEADS], pa.binary())
# A plain signed number ("-12.5", "+3%") is not a formula, so it is left as it is.
_PLAIN_NUMBER = r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?%?"
# xlsxwriter otherwise turns "=…" text into a live formula and "http://…" into a hyperlink.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


# Columns counted in whole units (ranks, firm counts, years) although stored as floats.
WHOLE_COLUMNS = frozenset({"rank", "pool_size", "year", "rank_before", "firms"})
# Decimals of every other number: the page's `formatting.number` / `tables.number_column`.
DIGITS = 2
_POINT_COLUMNS = frozenset({"total", "bonus", "deduction", "total_before", "total_change"})
_POINT_PREFIXES = ("score_", "bonus_", "deduction_")
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\s]+')
_MAX_NAMED = 2


class ColumnFormat(NamedTuple):
    """How one column leaves the product: its header with unit, decimals and % display."""

    header: str
    digits: int = DIGITS
    percent: bool = False


def column_format(column: str, header: Callable[[str], str] = score_header) -> ColumnFormat:
    """The page's header (`综合得分（分）`), decimals and % flag of a result column."""
    title = header(column)
    unit = None
    if column in _POINT_COLUMNS or column.startswith(_POINT_PREFIXES):
        unit = UNIT_POINTS
    elif column == "pool_size":
        unit = UNIT_FIRMS
    if unit is not None and not title.endswith("）"):
        title = HEADER_WITH_UNIT.format(name=title, unit=unit)
    percent = column in INDICATORS and INDICATORS[column].percent
    return ColumnFormat(title, 0 if column in WHOLE_COLUMNS else DIGITS, percent)


def official_frame(
    frame: pd.DataFrame,
    header: Callable[[str], str] = score_header,
    *,
    percent_as_number: bool = True,
) -> pd.DataFrame:
    """`frame` as an official reads it: Chinese headers with units, numbers rounded like the
    page, 是/否 for flags, ratios as percentages (×100, header in %) unless Excel formats them."""
    columns: list[pd.Series] = []
    for position, column in enumerate(frame.columns):
        fmt = column_format(str(column), header)
        series = frame.iloc[:, position]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.map({True: EXPORT_TEXT["yes"], False: EXPORT_TEXT["no"]})
        elif pd.api.types.is_float_dtype(series.dtype):
            if fmt.percent:
                series = series * 100 if percent_as_number else series
                series = series.round(DIGITS if percent_as_number else DIGITS + 2)
            elif fmt.digits == 0 and series.dropna().mod(1).eq(0).all():
                series = series.round(0).astype("Int64")
            else:
                series = series.round(fmt.digits)
        columns.append(series.rename(fmt.header))
    out = pd.concat(columns, axis=1) if columns else pd.DataFrame()
    return neutralise_frame(out.reset_index(drop=True))


def file_stem(*parts: str | int | Iterable[str] | None) -> str:
    """A download's file name (no suffix) naming every filter: `2024_规下_门业_D_西城街道_行业排名`.

    A part may be a selection (several values); an empty one (= all) is left out, a long one
    is shortened to `门业等3项`. Characters a file system refuses become `-`.
    """
    words: list[str] = []
    for part in parts:
        if part is None:
            continue
        values = [str(part)] if isinstance(part, str | int) else [str(v) for v in part]
        if not values:
            continue
        if len(values) > _MAX_NAMED:
            words.append(EXPORT_TEXT["more"].format(first=values[0], n=len(values)))
        else:
            words.extend(values)
    cleaned = (_UNSAFE_IN_NAMES.sub("-", w).strip("-.") for w in words)
    return EXPORT_TEXT["name_sep"].join(w for w in cleaned if w)


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_LEADS)
        and not re.fullmatch(_PLAIN_NUMBER, value)
    ):
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
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)  # its categories are text cells too
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue
        if not _leads_formula(column.astype("string")):
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, column.map(neutralise))
    return out


def _leads_formula(text: pd.Series) -> bool:
    """Whether a cell of `text` starts with one of `FORMULA_LEADS` (all one ASCII byte, so the
    first byte of the UTF-8 cell decides). Why bytes: a province's 200,000 × 10 text cells took
    0.08 s as seven `str.startswith` passes and 0.04 s as one first-byte lookup."""
    array = pa.array(text, from_pandas=True)
    as_bytes = pa.large_binary() if pa.types.is_large_string(array.type) else pa.binary()
    first = pc.binary_slice(array.cast(as_bytes), 0, 1)
    return bool(pc.any(pc.is_in(first, value_set=_LEAD_BYTES.cast(as_bytes))).as_py())


def to_excel_bytes(
    frame: pd.DataFrame,
    header: Callable[[str], str] = score_header,
    sheet_name: str = EXPORT_TEXT["sheet"],
) -> bytes:
    """An .xlsx file (bytes) that opens ready to hand out: Chinese headers with units in a bold,
    frozen row with filter buttons, numbers rounded like the page with thousands separators,
    ratios such as R&D intensity as `0.00%` (stored 0.0452, shown 4.52 % like the page)."""
    buffer = io.BytesIO()
    table = official_frame(frame, header, percent_as_number=False)
    titles = [str(neutralise(str(c))) for c in table.columns]
    engine_kwargs = {"options": XLSX_OPTIONS}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs=engine_kwargs) as writer:
        table.to_excel(writer, sheet_name=sheet_name, index=False, header=False, startrow=1)
        book = writer.book
        sheet = writer.sheets[sheet_name]
        bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        formats = {
            "percent": book.add_format({"num_format": "0.00%"}),
            0: book.add_format({"num_format": "#,##0"}),
            DIGITS: book.add_format({"num_format": "#,##0.00"}),
        }
        for index, column in enumerate(frame.columns):
            fmt = column_format(str(column), header)
            values = table.iloc[:, index]
            width = _width([titles[index], *values.head(200).astype("string").fillna("")])
            if fmt.percent:
                sheet.set_column(index, index, width, formats["percent"])
            elif pd.api.types.is_integer_dtype(values.dtype):
                sheet.set_column(index, index, width, formats[0])
            elif pd.api.types.is_float_dtype(values.dtype):
                sheet.set_column(index, index, width, formats[min(fmt.digits, DIGITS)])
            else:
                sheet.set_column(index, index, width)
        if titles:
            sheet.write_row(0, 0, titles, bold)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(table), 1), len(titles) - 1)
    return buffer.getvalue()


def to_official_csv_bytes(
    frame: pd.DataFrame, header: Callable[[str], str] = score_header
) -> bytes:
    """The CSV an official downloads: `official_frame` (Chinese headers, units, the page's
    rounding, ratios in %) with a BOM, so Excel or WPS on a Chinese desktop opens it cleanly."""
    return to_csv_bytes(official_frame(frame, header))


def _width(cells: list[str]) -> int:
    """Column width in Excel characters: CJK characters count double, 8 to 40."""
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell) for cell in cells), default=8)
    return min(max(longest + 2, 8), 40)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM of `frame` as it is (machine-readable: column keys, full precision);
    officials get `to_official_csv_bytes`."""
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
    write_csv_table(pa.Table.from_arrays(arrays, names=names), handle)


def write_csv_table(
    table: pa.Table, handle: BinaryIO, *, rows: int | None = None, threads: int | None = None
) -> None:
    """`table` as CSV (header once), its row slices formatted on `threads` threads.

    Why: Arrow's writer is single-threaded and formatting 200,000 × 64 cells (42 float) took
    0.6 s, most of `muyun score`'s write; it releases the GIL, and a CSV row does not depend
    on its neighbours, so slices written separately and joined in order are byte for byte the
    file one writer makes. At most `threads` + 1 slices are held at once. `rows` and
    `threads` default to `CSV_SLICE_ROWS` and `CSV_THREADS`.
    """
    rows = CSV_SLICE_ROWS if rows is None else rows
    threads = CSV_THREADS if threads is None else threads
    if table.num_rows <= rows or threads < 2:
        pacsv.write_csv(table, handle, _CSV_OPTIONS)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[pa.Buffer]] = deque()
        for start in range(0, table.num_rows, rows):
            pending.append(pool.submit(_csv_slice, table.slice(start, rows), start == 0))
            if len(pending) > threads:
                handle.write(pending.popleft().result())
        while pending:
            handle.write(pending.popleft().result())


def _csv_slice(table: pa.Table, header: bool) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    options = _CSV_OPTIONS if header else _CSV_OPTIONS_NO_HEADER
    pacsv.write_csv(table, sink, options)
    return sink.getvalue()


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

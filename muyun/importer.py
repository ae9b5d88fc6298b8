"""Import the bureaus' Excel/CSV tables (data dictionary §5): check it all, write all or nothing.

Why this shape: officials fix a rejected file and send it again, so one pass must report every
error of a file (row as the spreadsheet shows it, the header as they wrote it, the value, the
reason) and never leave half a file in the store. Cells are read as text and parsed per column
with pandas string operations, so a 200,000-row file validates in seconds without a Python loop
over its cells; the write is one DuckDB transaction that deletes the keys being replaced and
inserts the whole frame at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from muyun import creditcode
from muyun.db import TOWNS_CSV, Database, rollback_quietly
from muyun.labels import (
    HEADER_UNIT_PATTERN,
    IMPORT_ERROR_HEADERS,
    IMPORT_LIMIT_TEXT,
    IMPORT_TEXT,
    INDUSTRIES,
    LIST_SEP,
    LISTING_STATUSES,
    MISSING_MARKERS,
    PARK_STATUSES,
    RECTIFICATION_CATEGORIES,
    RECTIFICATION_PATHS,
    RECTIFICATION_STATUSES,
    SCALE_ABOVE,
    SCALES,
    TABLE_HEADERS,
    TABLE_NAMES,
    TEMPLATE_COLUMN_NOTES,
    TEMPLATE_GUIDE_HEADERS,
    TEMPLATE_GUIDE_SHEET,
    TEMPLATE_KINDS,
    TEMPLATE_NOTES,
    TEMPLATE_REQUIRED,
    YES_NO,
)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "data" / "templates"
MAX_INTEGER = 2_147_483_647  # the store's INTEGER columns
HEADER_SEARCH_ROWS = 20  # a title row or two above the header is common in bureau exports
YES_VALUES = frozenset({*(w for w, flag in YES_NO.items() if flag), "Y", "YES", "TRUE", "1"})
NO_VALUES = frozenset({*(w for w, flag in YES_NO.items() if not flag), "N", "NO", "FALSE", "0"})
_CODE_FORMAT = f"[{creditcode.ALPHABET}]{{18}}"
_CODE_VALUES = np.full(128, 0, dtype=np.int64)
_CODE_VALUES[[ord(ch) for ch in creditcode.ALPHABET]] = np.arange(len(creditcode.ALPHABET))
_CODE_WEIGHTS = np.array(creditcode.WEIGHTS, dtype=np.int64)
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_INCOMING = "_muyun_incoming"

# --- limits -----------------------------------------------------------------------------------
# Every file is measured against these BEFORE it is parsed, so a hostile or broken file is refused
# in bounded time and memory instead of taking the server down (issue 10: a 1.8 KB workbook with
# a stray cell at XFD1048576 asked for 1.7·10¹⁰ cells). They are generous for real bureau files
# (a county's 200,000-row, 23-column enterprise table passes) and stated in README "Limits" and
# docs/data-dictionary.md. Change them here only.
MAX_FILE_BYTES = 100 * 1024 * 1024  # the file as uploaded (.streamlit/config.toml matches)
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # all parts of an .xlsx decompressed (zip bombs)
MAX_XML_PART_BYTES = 4 * 1024 * 1024  # workbook.xml, its relationships
MAX_SHEETS = 50
MAX_ROWS = 300_000  # spreadsheet rows, counted from row 1 (title rows and blanks included)
MAX_COLUMNS = 100
MAX_CELLS = 8_000_000  # rows × columns of the grid the reader would build (300,000 × 26)
MAX_LINE_BYTES = 64 * 1024  # one CSV line
MAX_ERRORS_PER_COLUMN = 50  # listed per column; the rest are counted in one line
MAX_ERRORS = 500  # listed in all
ERROR_VALUE_CHARS = 120  # a quoted value is cut after this many characters (text max is 100)
# Control characters (C0, DEL, C1) and the bidirectional overrides that reorder displayed text:
# never part of a name, and dangerous in exports and logs.
CONTROL_CHARS = r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


# --- the data dictionary as data -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import table: how its text is parsed and which values are allowed.

    `required` is "yes", "no" or `SCALE_ABOVE` (required for 规上 rows only); `lo`/`hi` are
    inclusive bounds unless `lo_open`; `default` fills an optional column left empty.
    """

    key: str
    kind: str  # int | num | text | code | enum | bool | town
    required: str = "yes"
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    choices: tuple[str, ...] = ()
    default: object = None
    max_len: int = 100


@dataclass(frozen=True)
class TableSpec:
    """An import table: its columns in store order and the key an import replaces by."""

    table: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]

    @property
    def has_year(self) -> bool:
        return any(c.key == "year" for c in self.columns)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _year(key: str = "year", required: str = "yes") -> Column:
    return Column(key, "int", required, lo=2000, hi=2100)


def _amount(key: str, required: str = "yes", *, positive: bool = False) -> Column:
    return Column(key, "num", required, lo=0, lo_open=positive)


SPECS: dict[str, TableSpec] = {
    "enterprises": TableSpec(
        "enterprises",
        (
            _year(),
            Column("credit_code", "code"),
            Column("name", "text"),
            Column("industry", "enum", choices=INDUSTRIES),
            Column("town", "town"),
            Column("scale", "enum", choices=SCALES),
            _amount("land_own_mu"),
            Column("tax", "num"),
            Column("value_added", "num", SCALE_ABOVE),
            _amount("revenue"),
            Column("employees", "int", SCALE_ABOVE, lo=0),
            _amount("energy_tce", "no"),
            _amount("electricity_10k_kwh", "no"),
            _amount("emission_t", "no"),
            _amount("rd", "no"),
            _amount("water_t", "no"),
            _amount("investment", "no"),
            Column("listing", "enum", "no", choices=LISTING_STATUSES, default=LISTING_STATUSES[0]),
            Column("talents", "int", "no", lo=0),
            Column("safety_incidents", "int", "no", lo=0, default=0),
            Column("env_penalties", "int", "no", lo=0, default=0),
            Column("veto", "bool", "no", default=False),
            Column("exempt", "bool", "no", default=False),
        ),
        ("year", "credit_code"),
    ),
    "leases": TableSpec(
        "leases",
        (
            _year(),
            Column("lessor_code", "code"),
            Column("lessee_code", "code"),
            _amount("land_mu", positive=True),
            _amount("floor_area_m2", "no"),
            Column("registered", "bool"),
            Column("record_no", "text", "no"),
        ),
        ("year", "lessor_code", "lessee_code"),
    ),
    "rectification_projects": TableSpec(
        "rectification_projects",
        (
            _year(),
            Column("project_id", "text"),
            Column("name", "text"),
            Column("town", "town"),
            Column("category", "enum", choices=RECTIFICATION_CATEGORIES),
            _amount("area_mu"),
            Column("path", "enum", choices=RECTIFICATION_PATHS),
            Column("status", "enum", choices=RECTIFICATION_STATUSES),
            Column("credit_code", "code", "no"),
        ),
        ("year", "project_id"),
    ),
    "rectification_targets": TableSpec(
        "rectification_targets",
        (
            _year(),
            Column("category", "enum", choices=RECTIFICATION_CATEGORIES),
            _amount("target_mu"),
        ),
        ("year", "category"),
    ),
    "parks": TableSpec(
        "parks",
        (
            Column("park_id", "text"),
            Column("name", "text"),
            Column("town", "town"),
            _amount("land_mu"),
            _amount("planned_floor_area_m2"),
            Column("status", "enum", choices=PARK_STATUSES),
            Column("on_cleared_land", "bool"),
            _year("provincial_year", "no"),
            Column("star_rating", "int", "no", lo=1, hi=5),
            _year("star_year", "no"),
            Column("firms", "int", "no", lo=0),
        ),
        ("park_id",),
    ),
    "funds": TableSpec(
        "funds",
        (
            _year(),
            Column("use", "text"),
            _amount("extracted_10k"),
            _amount("spent_10k"),
        ),
        ("year", "use"),
    ),
    "town_targets": TableSpec(
        "town_targets",
        (
            _year(),
            Column("town", "town"),
            Column("tax_per_mu_growth_pct", "num", "no", lo=-100, hi=1000),
            Column("va_per_mu_growth_pct", "num", "no", lo=-100, hi=1000),
            _amount("land_rectified_mu", "no"),
            Column("d_firms_cleared", "int", "no", lo=0),
            Column("low_eff_handled", "int", "no", lo=0),
        ),
        ("year", "town"),
    ),
    "programme_participation": TableSpec(
        "programme_participation",
        (
            _year(),
            Column("programme", "text"),
            Column("credit_code", "code"),
            _amount("funds_10k", "no"),
            Column("project", "text", "no"),
        ),
        ("year", "programme", "credit_code"),
    ),
}


# --- results and errors ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportError_:
    """One problem of a file: spreadsheet row (None: the whole file), header as written, value.

    The trailing underscore keeps clear of the builtin ImportError.
    """

    row: int | None
    column: str
    value: str
    reason: str
    hidden: int = 0  # > 0: not a problem but the count of further ones left out of the list

    def __str__(self) -> str:
        if self.hidden:
            return IMPORT_LIMIT_TEXT["more_line"].format(column=self.column, reason=self.reason)
        if self.row is None:
            return IMPORT_TEXT["file_error_line"].format(file=self.column, reason=self.reason)
        return IMPORT_TEXT["error_line"].format(
            row=self.row, column=self.column, value=self.value, reason=self.reason
        )


def errors_frame(errors: list[ImportError_]) -> pd.DataFrame:
    """Errors as a table with Chinese headers (行号, 列, 值, 原因), for the data page."""
    frame = pd.DataFrame(
        {
            "row": pd.array([e.row for e in errors], dtype="Int64"),
            "column": [e.column for e in errors],
            "value": [e.value for e in errors],
            "reason": [e.reason for e in errors],
        }
    )
    return frame.rename(columns=IMPORT_ERROR_HEADERS)


class ImportFailed(Exception):
    """The file was rejected; `.errors` lists every problem found, and nothing was written."""

    def __init__(self, errors: list[ImportError_], warnings: list[str] | None = None) -> None:
        self.errors = errors
        self.warnings = warnings or []
        lines = [IMPORT_TEXT["failed"].format(count=self.count)]
        lines += [str(e) for e in errors[:20]]
        super().__init__("\n".join(lines))

    @property
    def count(self) -> int:
        """Every problem found, including those left out of the (capped) list."""
        return sum(e.hidden or 1 for e in self.errors)

    def to_frame(self) -> pd.DataFrame:
        return errors_frame(self.errors)


@dataclass
class ImportResult:
    """What an import changed: rows added and replaced, the years it touched, its warnings."""

    table: str
    file_name: str
    sha256: str
    rows_added: int
    rows_replaced: int
    years: tuple[int, ...]
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.rows_added + self.rows_replaced

    def summary(self) -> str:
        """One Chinese sentence for the command line and the data page."""
        years = ""
        if self.years:
            joined = LIST_SEP.join(str(y) for y in self.years)
            years = IMPORT_TEXT["summary_years"].format(years=joined)
        return IMPORT_TEXT["summary"].format(
            table=TABLE_NAMES[self.table],
            file=self.file_name,
            rows=self.rows,
            added=self.rows_added,
            replaced=self.rows_replaced,
            years=years,
            warnings=len(self.warnings),
        )


class _Problems:
    """Collects row-level problems as arrays (one entry per bad cell), formatted at the end."""

    def __init__(
        self,
        raw: pd.DataFrame,
        rows: np.ndarray,
        headers: dict[str, str],
        position: dict[str, int] | None = None,
    ) -> None:
        self.raw = raw
        self.rows = rows
        self.headers = headers  # key → header as written (or the Chinese header if absent)
        self.position = position or {}  # key → column index in the file, for sorting
        self.parts: list[pd.DataFrame] = []
        self.file_level: list[ImportError_] = []
        self.found: dict[str, int] = {}  # problems per column, including those not kept

    def add(self, mask: np.ndarray | pd.Series, key: str, reason: str | np.ndarray) -> None:
        """Record `reason` (one text, or one per row) wherever `mask` holds, against `key`.

        Only the first `MAX_ERRORS_PER_COLUMN` of a call are kept (the rest are counted), and
        quoted values are clipped, so a file bad in every cell costs bounded memory and text.
        """
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(where):
            return
        self.found[key] = self.found.get(key, 0) + len(where)
        reasons = reason if isinstance(reason, str) else reason[where[:MAX_ERRORS_PER_COLUMN]]
        where = where[:MAX_ERRORS_PER_COLUMN]
        values = self.raw[key].to_numpy()[where] if key in self.raw else ""
        if key in self.raw:
            values = np.array([_clip(str(v)) for v in values], dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[where],
                    "key": key,
                    "order": self.position.get(key, -1),
                    "column": self.headers[key],
                    "value": values,
                    "reason": reasons,
                }
            )
        )

    def at_row(self, row: int, key: str, reason: str) -> None:
        """Record one problem on spreadsheet row `row`."""
        mask = self.rows == row
        self.add(mask, key, reason)

    def __bool__(self) -> bool:
        return bool(self.parts or self.file_level)

    def records(self) -> list[ImportError_]:
        """File-level problems first, then by row and column position in the file: the first
        `MAX_ERRORS_PER_COLUMN` of each column and `MAX_ERRORS` in all, then one line per
        column (and one overall) counting the problems left out."""
        out = list(self.file_level)
        if not self.parts:
            return out
        frame = pd.concat(self.parts, ignore_index=True).sort_values(
            ["row", "order"], kind="stable"
        )
        frame = frame[frame.groupby("key").cumcount() < MAX_ERRORS_PER_COLUMN]
        listed = frame.iloc[: max(MAX_ERRORS - len(out), 0)]
        out += [
            ImportError_(int(r), str(c), str(v), str(m))
            for r, c, v, m in zip(
                listed["row"], listed["column"], listed["value"], listed["reason"], strict=True
            )
        ]
        shown = listed["key"].value_counts()
        for key, found in self.found.items():
            rest = found - int(shown.get(key, 0))
            if rest > 0:
                reason = IMPORT_LIMIT_TEXT["more_errors"].format(count=rest)
                out.append(ImportError_(None, self.headers[key], "", reason, hidden=rest))
        return out

    def lines(self) -> list[str]:
        return [str(p) for p in self.records()]


# --- reading files into text cells ------------------------------------------------------------


@dataclass
class RawFile:
    """A file as text cells: `cells` is indexed by spreadsheet row number (1-based)."""

    file_name: str
    sha256: str
    cells: pd.DataFrame


class _FileProblem(Exception):
    """A file that cannot be read at all (type, encoding, not a workbook)."""


def _size(count: int) -> str:
    """A byte count for a message (KB/MB)."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.1f} KB"


def _limit(key: str, **values: object) -> _FileProblem:
    return _FileProblem(IMPORT_LIMIT_TEXT[key].format(**values))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# A CJK character in UTF-8 (three bytes): GBK text almost never forms one by accident.
_UTF8_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf]{2}")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK), then a detector's guess.

    A file that is UTF-8 up to some line and something else after it is mixed (two exports
    pasted together): it is refused naming that line, instead of being read as mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _UTF8_CJK.search(data, 0, utf8_error.start):
        row = _line_of(data, utf8_error.start)
        raise _limit("bad_line_encoding", row=row, encoding="UTF-8")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        gbk_error = exc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        row = _line_of(data, max(utf8_error.start, gbk_error.start))
        raise _limit("bad_line_encoding", row=row, encoding="UTF-8 / GBK")
    return str(best)


def _check_csv_shape(data: bytes) -> None:
    """Line length, line count and the widest line's column count, from the bytes, before any
    parser runs (a 10⁶-column line made pandas run for minutes with gigabytes)."""
    lines = data.split(b"\n")
    rows = len(lines) - (1 if not lines[-1].strip() else 0)  # a final line break ends a row

    def extent(columns: int) -> str:
        return IMPORT_LIMIT_TEXT["csv_extent"].format(rows=f"{rows:,}", columns=f"{columns:,}")

    if rows > MAX_ROWS:
        raise _limit("too_many_rows", rows=f"{rows:,}", limit=f"{MAX_ROWS:,}", extent=extent(0))
    first = lines[0]
    sep = b"\t" if b"\t" in first and b"," not in first else b","
    widest = 0
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise _limit("line_too_long", row=number, limit=_size(MAX_LINE_BYTES))
        widest = max(widest, line.count(sep) + 1)
    if widest > MAX_COLUMNS:
        # The byte count is an upper bound (a quoted name may hold a comma): count exactly.
        text = _decode(data)
        widest = max(
            (len(r) for r in csv.reader(io.StringIO(text), delimiter=sep.decode())), default=0
        )
        if widest > MAX_COLUMNS:
            raise _limit(
                "too_many_columns", columns=widest, limit=MAX_COLUMNS, extent=extent(widest)
            )
    if widest * rows > MAX_CELLS:
        raise _limit(
            "too_many_cells",
            cells=f"{widest * rows:,}",
            limit=f"{MAX_CELLS:,}",
            extent=extent(widest),
        )


def _csv_cells(data: bytes) -> pd.DataFrame:
    """Every line a row (blank ones too, so row numbers match a spreadsheet's), cells as text."""
    _check_csv_shape(data)
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    options = {
        "sep": "\t" if "\t" in first_line and "," not in first_line else ",",
        "header": None,
        "dtype": str,
        "na_filter": False,
        "skip_blank_lines": False,
    }
    try:
        cells = pd.read_csv(io.StringIO(text), **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError:
        # Ragged rows (a title line above the header, stray trailing cells): size by the widest.
        width = max(
            len(row) for row in csv.reader(io.StringIO(text), delimiter=str(options["sep"]))
        )
        cells = pd.read_csv(io.StringIO(text), names=range(width), **options)
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return cells


def _column_number(letters: bytes) -> int:
    """`A` → 1, `AA` → 27, `XFD` → 16384."""
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


_DIMENSION = re.compile(
    rb'<dimension\s+ref="\$?([A-Z]{1,4})\$?(\d{1,8})(?::\$?([A-Z]{1,4})\$?(\d{1,8}))?"'
)
# Row tags with their number and whether they are empty (`<row …/>` or `<row …></row>`: rows
# kept only for a height or style hold no cell and do not count).
_ROW_TAG = re.compile(rb'<row\b[^>]*?\sr="(\d{1,10})"[^>]*?(/?)>(</row>)?')
_ROW_TAG_FIRST = re.compile(rb'<row r="(\d{1,10})"[^>]*?(/?)>(</row>)?')  # Excel's form: fast
# Cell references of two or more letters (columns from AA) and of rows from 100,000: literal-
# prefixed patterns, so they are fast; smaller references cannot exceed a limit.
_WIDE_REF = re.compile(rb' r="([A-Z]{2,4})[0-9]')
_DEEP_REF = re.compile(rb' r="[A-Z]{1,4}([0-9]{6,10})"')
_CHUNK = 1024 * 1024


@dataclass
class _Extent:
    """How far a worksheet reaches, as declared (`<dimension>`) and as its XML actually goes."""

    declared_rows: int = 0
    declared_columns: int = 0
    rows: int = 0  # highest row number (or count of rows without numbers)
    columns: int = 0  # highest column (or most cells in one row)
    cells: int = 0  # cells actually written

    def check(self, sheet: str) -> None:
        for rows, columns, what in (
            (self.declared_rows, self.declared_columns, "declared"),
            (self.rows, self.columns, "actual"),
        ):
            extent = IMPORT_LIMIT_TEXT["extent"].format(
                sheet=sheet, rows=f"{rows:,}", columns=f"{columns:,}", kind=IMPORT_LIMIT_TEXT[what]
            )
            if rows > MAX_ROWS:
                raise _limit(
                    "too_many_rows", rows=f"{rows:,}", limit=f"{MAX_ROWS:,}", extent=extent
                )
            if columns > MAX_COLUMNS:
                raise _limit(
                    "too_many_columns", columns=f"{columns:,}", limit=MAX_COLUMNS, extent=extent
                )
            if rows * columns > MAX_CELLS:
                raise _limit(
                    "too_many_cells",
                    cells=f"{rows * columns:,}",
                    limit=f"{MAX_CELLS:,}",
                    extent=extent,
                )


def _count_cells(piece: bytes) -> int:
    return piece.count(b"<c ") + piece.count(b"<c>") + piece.count(b"<c/>")


def _scan_sheet(stream: IO[bytes], budget: list[int], sheet: str) -> _Extent:
    """Stream one worksheet's XML once, measuring its extent without building any cell.

    `budget` is the decompressed bytes still allowed for the whole workbook; the stream is
    abandoned (and the file refused) the moment the extent or the budget is exceeded.
    """
    extent = _Extent()
    pending: list[bytes] = []  # text after the last complete tag (a long string may span chunks)
    row_cells = 0  # cells seen so far in the row that is still open
    rows_seen = 0
    unnumbered = False
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise _limit(
                "xml_too_large",
                size=f"> {_size(MAX_UNZIPPED_BYTES)}",
                limit=_size(MAX_UNZIPPED_BYTES),
            )
        if b">" not in chunk:
            pending.append(chunk)
            continue
        buffer = b"".join([*pending, chunk])
        cut = buffer.rfind(b">") + 1
        body, rest = buffer[:cut], buffer[cut:]
        pending = [rest]
        if first:
            found = _DIMENSION.search(body)
            if found:
                col1, row1, col2, row2 = found.groups()
                last_col, last_row = (col2, row2) if col2 else (col1, row1)
                extent.declared_rows = int(last_row)
                extent.declared_columns = _column_number(last_col)
                extent.check(sheet)
            first = False
        row_tags = body.count(b"<row ") + body.count(b"<row>")
        fast = body.count(b'<row r="') == row_tags
        tags = (_ROW_TAG_FIRST if fast else _ROW_TAG).findall(body)
        filled = [int(n) for n, slash, close in tags if not slash and not close]
        if filled:
            extent.rows = max(extent.rows, max(filled))
        deep = _DEEP_REF.findall(body)
        if deep:
            extent.rows = max(extent.rows, max(int(n) for n in deep))
        rows_seen += row_tags
        unnumbered = unnumbered or len(tags) < row_tags
        if unnumbered:  # a row without a number follows the previous one
            extent.rows = max(extent.rows, rows_seen)
        wide = _WIDE_REF.findall(body)
        if wide:
            extent.columns = max(extent.columns, max(_column_number(w) for w in wide))
        cells = _count_cells(body)
        extent.cells += cells
        if cells:
            extent.columns = max(extent.columns, 1)
        if body.count(b'<c r="') == cells:
            row_cells = 0  # every cell names its column: the references above are exact
        else:
            # Cells without a reference take the next column: count the widest row instead.
            pieces = body.split(b"</row>")
            for piece in pieces[:-1]:
                extent.columns = max(extent.columns, row_cells + _count_cells(piece))
                row_cells = 0
            row_cells += _count_cells(pieces[-1])
            extent.columns = max(extent.columns, row_cells)
        extent.check(sheet)
    return extent


def _check_workbook(data: bytes) -> None:
    """Sheets, decompressed size and every worksheet's extent, before the reader sees the file.

    Every part is decompressed once here as a stream, so a zip bomb stops at the budget and a
    part whose declared size lies fails its size/CRC check; calamine, which builds a dense grid
    of the sheet's whole extent, only runs on a file that passed.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _FileProblem(IMPORT_TEXT["bad_xlsx"].format(detail=exc)) from exc
    declared = sum(p.file_size for p in parts)
    if declared > MAX_UNZIPPED_BYTES:
        raise _limit("xml_too_large", size=_size(declared), limit=_size(MAX_UNZIPPED_BYTES))
    sheets = [p for p in parts if re.fullmatch(r"xl/worksheets/[^/]+\.xml", p.filename)]
    if len(sheets) > MAX_SHEETS:
        raise _limit("too_many_sheets", count=len(sheets), limit=MAX_SHEETS)
    budget = [MAX_UNZIPPED_BYTES]
    try:
        for part in parts:
            with archive.open(part) as stream:
                if part in sheets:
                    _scan_sheet(stream, budget, Path(part.filename).stem).check(part.filename)
                    continue
                limit = MAX_XML_PART_BYTES if part.filename.startswith("xl/_rels") else None
                while chunk := stream.read(_CHUNK):
                    budget[0] -= len(chunk)
                    if budget[0] < 0 or (limit is not None and part.file_size > limit):
                        raise _limit(
                            "xml_too_large",
                            size=f"> {_size(MAX_UNZIPPED_BYTES)}",
                            limit=_size(MAX_UNZIPPED_BYTES),
                        )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise _FileProblem(IMPORT_TEXT["bad_xlsx"].format(detail=exc)) from exc


def _xlsx_cells(data: bytes) -> pd.DataFrame:
    """The first sheet from A1 as text; Excel numbers lose a trailing `.0` (2024.0 → 2024).

    Rows are read one at a time and blank ones dropped (their numbers kept as the index), so
    the frame holds only rows that have something in them.
    """
    from python_calamine import CalamineWorkbook

    _check_workbook(data)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        left = sheet.start[1] if sheet.start else 0
        numbers: list[int] = []
        kept: list[list[object]] = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if row.count("") != len(row):
                numbers.append(number)
                kept.append([""] * left + list(row))
    except _FileProblem:
        raise
    except Exception as exc:  # calamine raises several types for damaged or foreign files
        raise _FileProblem(IMPORT_TEXT["bad_xlsx"].format(detail=_clip(str(exc)))) from exc
    if not kept:
        return pd.DataFrame()
    frame = pd.DataFrame(kept, index=numbers, dtype=object).fillna("").astype("str")
    return frame.apply(_drop_point_zero)


def _drop_point_zero(col: pd.Series) -> pd.Series:
    """`2024.0` → `2024`: how Python prints an integral Excel number, back to how Excel shows it."""
    whole = col.str.fullmatch(r"-?\d+\.0").to_numpy(dtype=bool)
    return col.where(~whole, col.str.slice(stop=-2)) if whole.any() else col


def read_file(source: str | Path | bytes, file_name: str | None = None) -> RawFile:
    """Read a path, or bytes plus their file name (an upload), into text cells.

    Raises ImportFailed with one file-level error when the file cannot be read at all.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = file_name or ""
    else:
        path = Path(source)
        name = file_name or path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImportFailed([_too_large(name, size)])
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # a file growing meanwhile stays bounded
        except OSError:
            reason = IMPORT_TEXT["file_not_found"].format(path=path)
            raise ImportFailed([ImportError_(None, name, "", reason)]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed([_too_large(name, len(data))])
    suffix = Path(name).suffix.lower()
    if not suffix:  # bytes without a name: a workbook is a zip (xlsx) or OLE file (xls)
        workbook = data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
        suffix = ".xlsx" if workbook else ".csv"
    try:
        if suffix in XLSX_SUFFIXES:
            cells = _xlsx_cells(data)
        elif suffix in CSV_SUFFIXES:
            cells = _csv_cells(data)
        else:
            raise _FileProblem(IMPORT_TEXT["unsupported_suffix"].format(suffix=suffix))
    except _FileProblem as exc:
        raise ImportFailed([ImportError_(None, name, "", str(exc))]) from None
    cells.columns = range(cells.shape[1])
    return RawFile(name, hashlib.sha256(data).hexdigest(), cells)


def _too_large(name: str, size: int) -> ImportError_:
    reason = IMPORT_LIMIT_TEXT["file_too_large"].format(
        size=_size(size), limit=_size(MAX_FILE_BYTES)
    )
    return ImportError_(None, name, "", reason)


def _clip(value: str, limit: int = ERROR_VALUE_CHARS) -> str:
    """`value` cut to `limit` characters for a message (a 10⁷-character name once came back
    whole, 30 MB of error text); control characters shown as escapes."""
    text = re.sub(CONTROL_CHARS, lambda m: repr(m.group())[1:-1], value[: limit + 1])
    if len(value) <= limit:
        return text
    return IMPORT_LIMIT_TEXT["clipped"].format(head=text[:limit], length=len(value))


# --- headers --------------------------------------------------------------------------------


def _norm_header(text: str) -> str:
    """Header text compared loosely: NFKC (（）→()), no blanks, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _column_letter(position: int) -> str:
    """Spreadsheet column name of a 0-based position (0 → A, 26 → AA), for unnamed columns."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _aliases(table: str) -> dict[str, str]:
    """Normalised header → key: the Chinese header, the English key, and the header sans unit."""
    aliases: dict[str, str] = {}
    bare: dict[str, list[str]] = {}
    for key, zh in TABLE_HEADERS[table].items():
        aliases[_norm_header(zh)] = key
        aliases[_norm_header(key)] = key
        bare.setdefault(re.sub(r"\(.*\)$", "", _norm_header(zh)), []).append(key)
    for text, keys in bare.items():
        if len(keys) == 1:
            aliases.setdefault(text, keys[0])
    return aliases


def _header_row(cells: pd.DataFrame, aliases: dict[str, str]) -> int | None:
    """The row holding the header: most recognised names among the first rows, else first filled."""
    best, best_hits = None, 0
    for number, values in cells.head(HEADER_SEARCH_ROWS).iterrows():
        hits = sum(_norm_header(v) in aliases for v in values if str(v).strip())
        if hits > best_hits:
            best, best_hits = int(number), hits
    if best is not None:
        return best
    filled = cells.index[(cells != "").any(axis=1)]
    return int(filled[0]) if len(filled) else None


def _reasons(mask: np.ndarray, make: Callable[[Any], str], values: object) -> np.ndarray:
    """Per-row reason texts, formatted only where `mask` holds (bad rows are few)."""
    out = np.full(len(mask), "", dtype=object)
    out[mask] = [make(v) for v in np.asarray(values, dtype=object)[mask]]
    return out


# --- parsing columns ------------------------------------------------------------------------


def _ascii(text: pd.Series) -> pd.Series:
    """Full-width digits, points, commas, signs and blanks → ASCII (NFKC), only where needed."""
    if text.str.contains(r"[^\x00-\x7f]", regex=True).any():
        text = text.str.normalize("NFKC").str.replace("−", "-", regex=False)
    return text


def _without(text: pd.Series, char: str) -> pd.Series:
    """`text` with every `char` removed; a literal replace, skipped when there is none."""
    if text.str.contains(char, regex=False).any():
        text = text.str.replace(char, "", regex=False)
    return text


def _to_float(text: pd.Series) -> np.ndarray:
    """Arrow's C++ cast for a clean column; pandas' per-cell coercion only when a cell is bad."""
    try:
        cast = pc.cast(pa.array(text, type=pa.string()), pa.float64())
        return cast.to_numpy(zero_copy_only=False).astype(float, copy=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)


def _parse_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text → float64 and a mask of unparsable cells; `1,234.5`, `１２３４．５`, ` 12 ` all work."""
    text = _without(_without(_ascii(text), " "), "\t")
    bad = np.zeros(len(text), dtype=bool)
    commas = text.str.contains(",", regex=False).to_numpy(dtype=bool)
    if commas.any():
        bad |= commas & ~text.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
        text = text.str.replace(",", "", regex=False)
    values = _to_float(text.where(~bad, ""))
    bad |= ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


def invalid_code_mask(codes: pd.Series) -> np.ndarray:
    """True where a normalised code fails GB 32100-2015 (length, symbols or check character).

    The vectorised twin of `creditcode.is_valid`: the codes that pass the format are packed into
    one uint8 matrix and checked with a single matrix product.
    """
    text = codes.astype("str").fillna("")
    good_format = text.str.fullmatch(_CODE_FORMAT).to_numpy(dtype=bool)
    valid = np.zeros(len(text), dtype=bool)
    if good_format.any():
        packed = "".join(text[good_format].tolist()).encode("ascii")
        values = _CODE_VALUES[np.frombuffer(packed, dtype=np.uint8).reshape(-1, 18)]
        check = (31 - (values[:, :17] @ _CODE_WEIGHTS) % 31) % 31
        valid[good_format] = check == values[:, 17]
    return ~valid


def _range_problems(col: Column, values: np.ndarray, present: np.ndarray) -> list:
    """(mask, reason) pairs for values outside the column's bounds."""
    out = []
    with np.errstate(invalid="ignore"):
        if col.lo is not None and col.hi is not None:
            reason = IMPORT_TEXT["range"].format(lo=col.lo, hi=col.hi)
            out.append((present & ((values < col.lo) | (values > col.hi)), reason))
        elif col.lo is not None and col.lo_open:
            out.append((present & (values <= col.lo), IMPORT_TEXT["gt"].format(bound=col.lo)))
        elif col.lo is not None:
            out.append((present & (values < col.lo), IMPORT_TEXT["min"].format(bound=col.lo)))
    return out


def parse_column(col: Column, text: pd.Series, towns: frozenset[str]) -> tuple[pd.Series, list]:
    """Typed values (NA where missing or invalid) and (mask, reason) problems of one column."""
    missing = text.isin(MISSING_MARKERS).to_numpy(dtype=bool)
    present = ~missing
    problems: list = []
    if col.required == "yes":
        problems.append((missing, IMPORT_TEXT["required"]))
    if col.kind in ("int", "num"):
        values, bad = _parse_numbers(text.where(present, "0"))
        bad &= present
        problems.append((bad, IMPORT_TEXT["not_number"]))
        ok = present & ~bad
        if col.kind == "int":
            with np.errstate(invalid="ignore"):
                fraction = ok & (values != np.floor(values))
                big = ok & ~fraction & (np.abs(values) > MAX_INTEGER)
            problems += [(fraction, IMPORT_TEXT["not_integer"]), (big, IMPORT_TEXT["too_large"])]
            ok &= ~fraction & ~big
        problems += _range_problems(col, values, ok)
        values = np.where(ok, values, np.nan)
        typed = pd.Series(values, index=text.index)
        if col.kind == "int":
            typed = typed.astype("Int64")
    elif col.kind == "bool":
        flag = _ascii(text).str.upper()
        yes = flag.isin(YES_VALUES).to_numpy(dtype=bool)
        no = flag.isin(NO_VALUES).to_numpy(dtype=bool)
        problems.append((present & ~yes & ~no, IMPORT_TEXT["yes_no"]))
        typed = pd.Series(pd.array(np.where(yes, True, False), dtype="boolean"), index=text.index)
        typed[~(yes | no)] = pd.NA
    elif col.kind == "code":
        codes = _without(_ascii(text), " ").str.upper()
        bad = present & invalid_code_mask(codes)
        reasons = _reasons(
            bad,
            lambda c: IMPORT_TEXT["credit_code"].format(detail=creditcode.invalid_reason(c)),
            codes,
        )
        problems.append((bad, reasons))
        typed = codes.where(present & ~bad)
    else:
        typed = text.where(present)
        if col.kind == "enum":
            bad = present & ~text.isin(col.choices).to_numpy(dtype=bool)
            choices = LIST_SEP.join(col.choices)
            problems.append((bad, IMPORT_TEXT["choices"].format(choices=choices)))
        elif col.kind == "town":
            bad = present & ~text.isin(towns).to_numpy(dtype=bool)
            problems.append((bad, IMPORT_TEXT["unknown_town"].format(towns=LIST_SEP.join(towns))))
        else:
            lengths = text.str.len().to_numpy()
            bad = present & (lengths > col.max_len)
            reasons = _reasons(
                bad,
                lambda n: IMPORT_TEXT["too_long"].format(max_len=col.max_len, length=n),
                lengths,
            )
            problems.append((bad, reasons))
            control = text.str.extract(f"({CONTROL_CHARS})", expand=False)
            has_control = present & ~bad & control.notna().to_numpy(dtype=bool)
            problems.append(
                (
                    has_control,
                    _reasons(
                        has_control,
                        lambda ch: IMPORT_LIMIT_TEXT["control_char"].format(
                            char=f"U+{ord(ch):04X}"
                        ),
                        control,
                    ),
                )
            )
            bad = bad | has_control  # a new array: the masks above stay as they are
        typed = typed.where(~bad)
    if col.default is not None:
        typed = typed.where(~missing, col.default)
        if col.kind == "int":
            typed = typed.astype("Int64")
        elif col.kind == "bool":
            typed = typed.astype("boolean")
    return typed, problems


# --- table rules beyond single cells --------------------------------------------------------


def _fmt(value: float) -> str:
    """A figure for a message: at most four decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _check_duplicates(spec: TableSpec, clean: pd.DataFrame, problems: _Problems) -> None:
    keys = list(spec.keys)
    complete = clean[keys].notna().all(axis=1).to_numpy()
    if not complete.any():
        return
    sub = clean.loc[complete, keys]
    dup = sub.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_row = (
        pd.Series(problems.rows[complete], index=sub.index)
        .groupby([sub[k] for k in keys], sort=False)
        .transform("first")
    )
    key_names = LIST_SEP.join(problems.headers[k] for k in keys)
    mask = np.zeros(len(clean), dtype=bool)
    mask[np.flatnonzero(complete)[dup]] = True
    firsts = np.zeros(len(clean), dtype=np.int64)
    firsts[complete] = first_row.to_numpy()
    reasons = _reasons(
        mask, lambda f: IMPORT_TEXT["duplicate_key"].format(first=f, keys=key_names), firsts
    )
    problems.add(mask, keys[-1], reasons)


def _check_enterprises(clean: pd.DataFrame, problems: _Problems, warnings: _Problems) -> None:
    above = (clean["scale"] == SCALE_ABOVE).fillna(False).to_numpy(dtype=bool)
    for key in ("value_added", "employees"):
        if key in problems.raw:
            missing = problems.raw[key].isin(MISSING_MARKERS).to_numpy(dtype=bool)
            problems.add(above & missing, key, IMPORT_TEXT["required_for_scale"])
    talents = clean["talents"].to_numpy(dtype=float, na_value=np.nan)
    employees = clean["employees"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        over = talents > employees
    reasons = _reasons(
        over, lambda e: IMPORT_TEXT["talents_gt_employees"].format(employees=_fmt(e)), employees
    )
    warnings.add(over, "talents", reasons)


def _check_leases(clean: pd.DataFrame, problems: _Problems, warnings: _Problems) -> None:
    same = (clean["lessor_code"] == clean["lessee_code"]).fillna(False).to_numpy(dtype=bool)
    problems.add(same, "lessee_code", IMPORT_TEXT["self_lease"])
    registered = clean["registered"].fillna(False).to_numpy(dtype=bool)
    no_record = clean["record_no"].isna().to_numpy()
    problems.add(registered & no_record, "record_no", IMPORT_TEXT["record_no_required"])


def _check_funds(clean: pd.DataFrame, problems: _Problems, warnings: _Problems) -> None:
    extracted = clean["extracted_10k"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        over = clean["spent_10k"].to_numpy(dtype=float) > extracted
    reasons = _reasons(
        over, lambda x: IMPORT_TEXT["spent_gt_extracted"].format(extracted=_fmt(x)), extracted
    )
    warnings.add(over, "spent_10k", reasons)


_TABLE_CHECKS = {
    "enterprises": _check_enterprises,
    "leases": _check_leases,
    "funds": _check_funds,
}


def _check_leases_in_store(
    con: duckdb.DuckDBPyConnection, clean: pd.DataFrame, problems: _Problems
) -> None:
    """Both parties must be enterprises of the year; registered leases ≤ the lessor's own land."""
    years = sorted(int(y) for y in clean["year"].dropna().unique())
    firms = con.execute(
        "SELECT year::BIGINT AS year, credit_code, land_own_mu FROM enterprises "
        "WHERE list_contains(?, year)",
        [years],
    ).df()
    own = firms.set_index(["year", "credit_code"])["land_own_mu"]
    year = clean["year"].fillna(0).astype("int64")
    lessor = clean["lessor_code"].fillna("")
    for key in ("lessor_code", "lessee_code"):
        checkable = (clean[key].notna() & clean["year"].notna()).to_numpy()
        pairs = pd.MultiIndex.from_arrays([year, clean[key].fillna("")])
        absent = checkable & ~pairs.isin(own.index)
        make = lambda y: IMPORT_TEXT["not_enterprise"].format(year=y)  # noqa: E731
        problems.add(absent, key, _reasons(absent, make, year))

    counted = (
        pd.MultiIndex.from_arrays([year, lessor]).isin(own.index)
        & clean["registered"].fillna(False).to_numpy(dtype=bool)
        & clean["land_mu"].notna().to_numpy()
        & clean["lessee_code"].notna().to_numpy()
    )
    if not counted.any():
        return
    incoming = pd.DataFrame(
        {
            "year": year[counted],
            "lessor_code": lessor[counted],
            "land_mu": clean["land_mu"][counted],
            "row": problems.rows[counted],
        }
    )
    in_file = incoming.groupby(["year", "lessor_code"]).agg(
        land_mu=("land_mu", "sum"), rows=("row", list)
    )
    stored = con.execute(
        "SELECT year::BIGINT AS year, lessor_code, lessee_code, land_mu FROM leases "
        "WHERE registered AND list_contains(?, year)",
        [years],
    ).df()
    file_keys = pd.MultiIndex.from_arrays([year, lessor, clean["lessee_code"].fillna("")])
    stored_keys = pd.MultiIndex.from_frame(stored[["year", "lessor_code", "lessee_code"]])
    kept = stored[~stored_keys.isin(file_keys)]
    before = kept.groupby(["year", "lessor_code"])["land_mu"].sum()
    totals = in_file.assign(
        before=before.reindex(in_file.index, fill_value=0.0).to_numpy(),
        own=own.reindex(in_file.index).to_numpy(),
    )
    totals["total"] = totals["land_mu"] + totals["before"]
    for (y, _code), over in totals[totals["total"] > totals["own"] + 1e-9].iterrows():
        rows = over["rows"]
        more = IMPORT_TEXT["rows_more"] if len(rows) > 10 else ""
        shown = LIST_SEP.join(str(r) for r in rows[:10]) + more
        existing = IMPORT_TEXT["lease_existing"].format(mu=_fmt(over["before"]))
        reason = IMPORT_TEXT["lease_exceeds_land"].format(
            year=y,
            leased=_fmt(over["total"]),
            rows=shown,
            existing=existing if over["before"] else "",
            own=_fmt(over["own"]),
        )
        problems.at_row(rows[0], "lessor_code", reason)


def _check_participants_in_store(
    con: duckdb.DuckDBPyConnection, clean: pd.DataFrame, problems: _Problems
) -> None:
    """A programme's firm must be in the enterprise data (any year): its effect is read there."""
    known = {r[0] for r in con.execute("SELECT DISTINCT credit_code FROM enterprises").fetchall()}
    codes = clean["credit_code"]
    absent = (codes.notna() & ~codes.isin(known)).to_numpy()
    problems.add(absent, "credit_code", IMPORT_TEXT["not_any_enterprise"])


# --- validation -------------------------------------------------------------------------------


@dataclass
class _Validated:
    spec: TableSpec
    clean: pd.DataFrame  # typed, store column order, RangeIndex
    rows: np.ndarray
    problems: _Problems
    warnings: _Problems
    notes: list[str]  # file-level warnings (ignored columns)

    @property
    def years(self) -> tuple[int, ...]:
        if not self.spec.has_year or self.clean.empty:
            return ()
        return tuple(sorted(int(y) for y in self.clean["year"].dropna().unique()))

    def warning_lines(self) -> list[str]:
        return self.notes + self.warnings.lines()


def _spec(table: str) -> TableSpec:
    if table not in SPECS:
        raise ValueError(f"unknown import table {table!r}; expected one of {sorted(SPECS)}")
    return SPECS[table]


def _validate_cells(
    cells: pd.DataFrame, table: str, towns: frozenset[str], file_name: str
) -> _Validated:
    """Parse and check every cell of a file's text cells (index = spreadsheet row numbers)."""
    spec = _spec(table)
    zh = TABLE_HEADERS[table]
    aliases = _aliases(table)
    cells = (
        cells.apply(lambda col: col.astype("str").fillna("").str.strip()) if len(cells) else cells
    )
    header_at = _header_row(cells, aliases) if len(cells) else None
    empty = pd.DataFrame(columns=[c.key for c in spec.columns])
    if header_at is None:
        problems = _Problems(empty, np.zeros(0, dtype=np.int64), {})
        problems.file_level.append(ImportError_(None, file_name, "", IMPORT_TEXT["no_header"]))
        no_warnings = _Problems(empty, problems.rows, {})  # not `problems` again: said once
        return _Validated(spec, empty, problems.rows, problems, no_warnings, [])

    header = cells.loc[header_at]
    body = cells.loc[header_at + 1 :]
    body = body[(body != "").any(axis=1)]
    rows = body.index.to_numpy(dtype=np.int64)

    found: dict[str, int] = {}
    headers: dict[str, str] = {}
    header_errors: list[ImportError_] = []
    notes: list[str] = []
    ignored = IMPORT_TEXT["extra_column"].format(table=TABLE_NAMES[table])
    for position, text in header.items():
        if not text and not (body[position] != "").any():
            continue  # an empty column, as Excel exports often carry
        key = aliases.get(_norm_header(text)) if text else None
        if key is None:
            column = text or _column_letter(position)
            notes.append(
                IMPORT_TEXT["warning_line"].format(
                    row=header_at, column=column, value=text, reason=ignored
                )
            )
        elif key in found:
            reason = IMPORT_TEXT["duplicate_column"].format(other=headers[key], zh=zh[key])
            header_errors.append(ImportError_(header_at, text, text, reason))
        else:
            found[key] = position
            headers[key] = text
    for col in spec.columns:
        headers.setdefault(col.key, zh[col.key])
    raw = pd.DataFrame(
        {key: body[pos].reset_index(drop=True) for key, pos in found.items()},
        index=pd.RangeIndex(len(body)),
    )
    problems = _Problems(raw, rows, {c.key: headers[c.key] for c in spec.columns}, found)
    warnings = _Problems(raw, rows, problems.headers, found)
    problems.file_level += header_errors
    has_scale_rows = "scale" in raw and bool((raw["scale"] == SCALE_ABOVE).any())
    for col in spec.columns:
        needed = col.required == "yes" or (col.required == SCALE_ABOVE and has_scale_rows)
        if col.key not in found and needed:
            reason = IMPORT_TEXT["missing_column"].format(zh=zh[col.key], key=col.key)
            problems.file_level.append(ImportError_(header_at, zh[col.key], "", reason))
    if len(body) == 0:
        problems.file_level.append(ImportError_(None, file_name, "", IMPORT_TEXT["no_rows"]))

    typed: dict[str, pd.Series] = {}
    for col in spec.columns:
        text = raw[col.key] if col.key in raw else pd.Series("", index=raw.index, dtype="str")
        values, col_problems = parse_column(col, text, towns)
        typed[col.key] = values
        if col.key in raw:
            for mask, reason in col_problems:
                problems.add(mask, col.key, reason)
    clean = pd.DataFrame(typed, index=raw.index)
    if not problems.file_level:
        _check_duplicates(spec, clean, problems)
        check = _TABLE_CHECKS.get(table)
        if check is not None:
            check(clean, problems, warnings)
    return _Validated(spec, clean, rows, problems, warnings, notes)


def _validate(
    con: duckdb.DuckDBPyConnection, cells: pd.DataFrame, table: str, file_name: str
) -> _Validated:
    """Every check of a file against the store: cells, table rules, and leases against firms."""
    towns = frozenset(r[0] for r in con.execute("SELECT name FROM towns").fetchall())
    checked = _validate_cells(cells, table, towns, file_name)
    if table == "leases" and not checked.problems.file_level:
        _check_leases_in_store(con, checked.clean, checked.problems)
    if table == "programme_participation" and not checked.problems.file_level:
        _check_participants_in_store(con, checked.clean, checked.problems)
    return checked


# --- writing ----------------------------------------------------------------------------------


@contextmanager
def _transaction(
    target: duckdb.DuckDBPyConnection | Database,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """`db.write()` for a Database; BEGIN … COMMIT/ROLLBACK on a bare connection."""
    if isinstance(target, Database):
        with target.write() as cur:
            yield cur
        return
    target.execute("BEGIN TRANSACTION")
    try:
        yield target
    except BaseException:
        rollback_quietly(target)  # keeps e.g. "No space left on device", not "aborted"
        raise
    target.execute("COMMIT")


def _upsert(con: duckdb.DuckDBPyConnection, spec: TableSpec, clean: pd.DataFrame) -> int:
    """Delete the stored rows with the file's keys, insert the file; returns rows replaced."""
    columns = ", ".join(f'"{c.key}"' for c in spec.columns)
    match = " AND ".join(f't."{k}" = i."{k}"' for k in spec.keys)
    con.register(_INCOMING, clean)
    try:
        replaced = con.execute(
            f"DELETE FROM {spec.table} AS t USING {_INCOMING} AS i WHERE {match}"
        ).fetchall()[0][0]
        con.execute(f"INSERT INTO {spec.table} ({columns}) SELECT {columns} FROM {_INCOMING}")
    finally:
        con.unregister(_INCOMING)
    return int(replaced)


def _import_cells(
    target: duckdb.DuckDBPyConnection | Database,
    cells: pd.DataFrame,
    table: str,
    file_name: str,
    sha256: str,
) -> ImportResult:
    _spec(table)
    with _transaction(target) as con:
        checked = _validate(con, cells, table, file_name)
        warnings = checked.warning_lines()
        if checked.problems:
            raise ImportFailed(checked.problems.records(), warnings)
        replaced = _upsert(con, checked.spec, checked.clean)
        added = len(checked.clean) - replaced
        con.execute(
            "INSERT INTO import_log (imported_at, file_name, sha256, table_name, years, "
            "rows_added, rows_replaced, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(),
                file_name,
                sha256,
                table,
                ",".join(str(y) for y in checked.years),
                added,
                replaced,
                len(warnings),
            ],
        )
    return ImportResult(table, file_name, sha256, added, replaced, checked.years, warnings)


def import_file(
    con: duckdb.DuckDBPyConnection | Database,
    source: str | Path | bytes,
    table: str,
    *,
    file_name: str | None = None,
) -> ImportResult:
    """Validate and import a whole file in one transaction; raises ImportFailed, writing nothing.

    `source` is a path, or the bytes of an upload with its `file_name` (the suffix picks the
    reader). `con` is a connection (this function issues BEGIN/COMMIT) or a `Database`.
    """
    raw = read_file(source, file_name)
    return _import_cells(con, raw.cells, table, raw.file_name, raw.sha256)


# --- templates --------------------------------------------------------------------------------


def _rule_text(table: str, col: Column, towns: list[str]) -> str:
    """The 说明 sheet's rule for one column, from the same spec the validator uses."""
    values = {"enum": col.choices, "town": towns, "bool": tuple(YES_NO)}.get(col.kind)
    parts = [IMPORT_TEXT["allowed"].format(values=LIST_SEP.join(values))] if values else []
    parts += [reason for _, reason in _range_problems(col, np.zeros(1), np.zeros(1, dtype=bool))]
    if col.kind == "text":
        parts.append(IMPORT_TEXT["text_length"].format(max_len=col.max_len))
    note = TEMPLATE_COLUMN_NOTES.get(f"{table}.{col.key}")
    if note:
        parts.append(note)
    return IMPORT_TEXT["rule_sep"].join(parts)


def write_template(table: str, path: str | Path) -> Path:
    """An empty import template: the Chinese header row, plus a 说明 sheet on every column."""
    spec = _spec(table)
    towns = list(pd.read_csv(TOWNS_CSV, dtype=str)["name"])
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(target))
    workbook.set_properties({"title": TABLE_NAMES[table], "created": datetime(2024, 1, 1)})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    as_text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})

    data = workbook.add_worksheet(TABLE_NAMES[table])
    for i, col in enumerate(spec.columns):
        header = TABLE_HEADERS[table][col.key]
        text_like = col.kind in ("code", "text")
        data.set_column(i, i, max(12, len(header) * 2 + 2), as_text if text_like else None)
        data.write_string(0, i, header, bold)
    data.freeze_panes(1, 0)

    guide = workbook.add_worksheet(TEMPLATE_GUIDE_SHEET)
    guide.set_column(0, 0, 26)
    guide.set_column(1, 1, 22)
    guide.set_column(2, 4, 12)
    guide.set_column(5, 5, 70, wrap)
    guide.write_row(0, 0, TEMPLATE_GUIDE_HEADERS, bold)
    for i, col in enumerate(spec.columns, start=1):
        header = TABLE_HEADERS[table][col.key]
        unit = re.search(HEADER_UNIT_PATTERN, header)
        guide.write_row(
            i,
            0,
            [
                header,
                col.key,
                TEMPLATE_KINDS[col.kind],
                unit.group(1) if unit else "",
                TEMPLATE_REQUIRED[col.required],
                _rule_text(table, col, towns),
            ],
        )
    for j, note in enumerate(TEMPLATE_NOTES, start=len(spec.columns) + 2):
        guide.write_string(j, 0, note)
    workbook.close()
    return target


def write_templates(directory: str | Path = TEMPLATES_DIR) -> list[Path]:
    """Regenerate every shipped template (`data/templates/<table>.xlsx`)."""
    return [write_template(t, Path(directory) / f"{t}.xlsx") for t in SPECS]

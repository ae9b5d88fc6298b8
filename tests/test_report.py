"""muyun.report: the enterprise report's figures, the gap to the next tier, formats, CLI, batch."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from muyun import db, labels, queries, report, scoring
from muyun.cli import main as cli_main
from muyun.creditcode import make_code
from muyun.profile import load_profile, profile_path

REPO_ROOT = Path(__file__).resolve().parent.parent

EVIL_NAME = "<script>alert(1)</script>&\"'恶意名称有限公司"
YEARS = (2021, 2022, 2023, 2024)
INDUSTRIES = ("车业", "门业", "杯业")
POOL_SIZES = (12, 10, 50)  # 杯业 is large enough for a D tier (末2% of 50 = the last firm)


@pytest.fixture(scope="module")
def profile():
    return load_profile(profile_path("yongkang-default"))


def _insert_city(con, seed: int = 7) -> dict[str, str]:
    """A small hand-built city: 规上 pools of 12, 10 and 50 firms, a 规下 pool, leases, demo flag.

    Returns named credit codes used by the tests ('evil', 'lessee', …).
    """
    rng = random.Random(seed)
    codes = [make_code(rng) for _ in range(80)]
    named = {"evil": codes[0], "lessee": codes[1], "lessor": codes[2], "veto": codes[3]}
    named["laggard"] = codes[71]
    rows = []
    for year in YEARS:
        growth = 1 + 0.05 * (year - YEARS[0])
        i = 0
        for industry, count in zip(INDUSTRIES, POOL_SIZES, strict=True):
            for _ in range(count):
                code = codes[i]
                r = random.Random(f"{seed}-{code}")
                land = round(r.uniform(8, 60), 1)
                tax = round(land * r.uniform(2, 30) * growth, 2)
                if code == named["laggard"]:  # last of 杯业, under the D rule's 6 万元/亩 line
                    tax = round(land * 1.5, 2)
                va = round(tax * r.uniform(3, 7), 2)
                revenue = round(va * r.uniform(3, 5), 2)
                name = (
                    EVIL_NAME if code == named["evil"] else f"永康市测试{industry}{i:02d}有限公司"
                )
                rows.append(
                    (
                        year,
                        code,
                        name,
                        industry,
                        "东城街道",
                        "规上",
                        land,
                        tax,
                        va,
                        revenue,
                        int(r.uniform(40, 400)),
                        round(va / r.uniform(1, 4), 1),
                        round(land * r.uniform(20, 80), 1),
                        None if i % 5 == 4 else round(r.uniform(0.2, 5), 3),
                        round(revenue * r.uniform(0.002, 0.05), 2),
                        round(land * r.uniform(200, 900), 0),
                        round(r.uniform(0, 4000), 0),
                        ("无", "股改", "上市")[i % 3],
                        int(r.uniform(5, 60)),
                        1 if i == 5 else 0,
                        0,
                        code == named["veto"],
                        False,
                    )
                )
                i += 1
        for k in range(8):
            code = codes[72 + k]
            r = random.Random(f"{seed}-{code}")
            land = round(r.uniform(3, 9), 1)
            tax = round(land * r.uniform(1, 12) * growth, 2)
            rows.append(
                (
                    year,
                    code,
                    f"永康市小微{k}厂",
                    "车业",
                    "西城街道",
                    "规下",
                    land,
                    tax,
                    None,
                    round(tax * 12, 2),
                    None,
                    None,
                    round(land * r.uniform(5, 30), 1),
                    None,
                    None,
                    None,
                    None,
                    "无",
                    None,
                    0,
                    0,
                    False,
                    False,
                )
            )
    con.executemany(
        "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, land_own_mu, "
        "tax, value_added, revenue, employees, energy_tce, electricity_10k_kwh, emission_t, rd, "
        "water_t, investment, listing, talents, safety_incidents, env_penalties, veto, exempt) "
        "VALUES (" + ", ".join(["?"] * 23) + ")",
        rows,
    )
    con.executemany(
        "INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (2024, named["lessor"], named["lessee"], 2.5, 1600.0, True, "YK-2024-001"),
            (2024, codes[4], named["lessee"], 1.5, 900.0, False, None),
        ],
    )
    con.execute("INSERT INTO dataset_info VALUES ('demo', 'true')")
    return named


@pytest.fixture
def city(tmp_path):
    """(path, named codes) of a hand-built database file."""
    path = tmp_path / "city.duckdb"
    con = db.connect(path)
    named = _insert_city(con)
    con.close()
    return path, named


@pytest.fixture
def city_con(city):
    con = db.connect(city[0], read_only=True)
    yield con
    con.close()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """Text of a PDF as poppler's pdftotext extracts it (the issue's check); skip without it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


# ── the report's figures are the engine's ─────────────────────────────────────────────────


def test_a_firm_is_found_at_the_same_row_by_scan_and_by_index(city_con, profile):
    ctx = report.prepare_context(city_con, 2024, profile)
    codes = [*ctx.scored["credit_code"].iloc[::7], "NOT-A-CODE"]
    assert len(codes) < report.SCANS_BEFORE_INDEX
    scanned = [ctx.position(2024, code) for code in codes]
    assert 2024 not in ctx._positions  # found by scanning, no index built
    for _ in range(report.SCANS_BEFORE_INDEX):
        ctx.position(2024, codes[0])
    assert 2024 in ctx._positions
    assert [ctx.position(2024, code) for code in codes] == scanned
    assert scanned[-1] is None and scanned[:3] == [0, 7, 14]
    assert ctx.position(1990, codes[0]) is None


def test_report_figures_equal_score_year(city_con, profile):
    scored = scoring.score_year(city_con, 2024, profile)
    ctx = report.prepare_context(city_con, 2024, profile)
    evaluated = scored.loc[scored["status"] == labels.STATUS_EVALUATED]
    seen_tiers = set()
    for row in evaluated.itertuples(index=False):
        data = report.build_report(ctx, row.credit_code)
        assert data.total == pytest.approx(row.total, abs=1e-9)
        assert data.rank == int(row.rank)
        assert data.pool_size == int(row.pool_size)
        assert data.tier == row.tier
        assert data.tier_class == labels.TIER_CLASS[row.tier]
        seen_tiers.add(row.tier)
    assert {"A", "B", "C"} <= seen_tiers


def test_computation_table_recomputes_the_total(city_con, profile):
    """Σ item scores + bonus − deductions in the table equals the printed total (±0.01/row)."""
    ctx = report.prepare_context(city_con, 2024, profile)
    code = ctx.scored.loc[ctx.scored["scale"] == "规上", "credit_code"].iloc[3]
    table = report.build_report(ctx, code).computation
    assert table is not None
    score_col = table.header.index(labels.REPORT_TEXT["score"])
    weight_col = table.header.index(labels.REPORT_TEXT["weight"])
    ratio_col = 4
    row = ctx.row(code)
    items = [
        r
        for r in table.rows
        if r[weight_col] and r[0] in {i.name for i in labels.INDICATORS.values()}
    ]
    assert len(items) == len(profile.indicators("规上"))
    for r in items:
        if r[ratio_col] != "—":  # weight × ratio reproduces the item score
            assert float(r[weight_col]) * float(r[ratio_col]) == pytest.approx(
                float(r[score_col]), abs=0.01
            )
    totals = {r[0]: float(r[score_col].replace(",", "")) for r in table.rows}
    subtotal = totals[labels.REPORT_TEXT["items_subtotal"]]
    bonus = totals[labels.REPORT_TEXT["bonus_subtotal"].format(cap="10")]
    deduction = totals[labels.REPORT_TEXT["deduction_subtotal"]]
    total = totals[labels.REPORT_TEXT["total_row"]]
    assert subtotal + bonus + deduction == pytest.approx(total, abs=0.011)
    assert total == pytest.approx(float(row["total"]), abs=0.005)


def test_comparison_uses_the_dashboards_average_and_a_quartile(city_con, profile):
    """One definition each: the report's industry average and A-tier reference are the
    enterprise page's (`queries.firm_comparison`), formatted; the demo flag is queries'."""
    ctx = report.prepare_context(city_con, 2024, profile)
    assert ctx.demo is queries.is_demo(queries.dataset_info(city_con)) is True
    pool = queries.pool_rows(ctx.scored, "规上·杯业")
    a_tier = pool[pool["tier"] == "A"]
    assert len(a_tier) >= queries.A_ENTRY_MIN_FIRMS  # 10 of 50: the reference is shown
    code = str(pool.iloc[len(pool) // 2]["credit_code"])
    table = report.build_report(ctx, code).comparison
    assert table is not None
    page = queries.firm_comparison(ctx.scored, ctx.row(code), profile).set_index("indicator")
    average_col = table.header.index(labels.REPORT_TEXT["compare_average"])
    entry_col = table.header.index(labels.REPORT_TEXT["compare_a_entry"])
    for line in table.rows:  # both show ratios in %, the report with a "%" sign
        shown = page.loc[line[0]]
        for col, value in ((average_col, shown["industry_average"]), (entry_col, shown["a_entry"])):
            text = line[col].replace(",", "").removesuffix("%")
            assert float(text) == pytest.approx(value, rel=1e-4)
    tax = a_tier["tax_per_mu"]
    assert page.loc[labels.INDICATORS["tax_per_mu"].name, "a_entry"] == pytest.approx(
        tax.quantile(0.25)
    )
    assert not tax.isin([page.loc[labels.INDICATORS["tax_per_mu"].name, "a_entry"]]).any()


# ── the gap to the next tier, verified by re-scoring the database itself ────────────────────


def _tier_after_adding(path: Path, tmp_path: Path, code: str, column: str, amount: float, profile):
    copy = tmp_path / f"gap-{amount}.duckdb"
    shutil.copy(path, copy)
    con = db.connect(copy)
    con.execute(
        f"UPDATE enterprises SET {column} = {column} + ? WHERE year = 2024 AND credit_code = ?",
        [amount, code],
    )
    scored = scoring.score_year(con, 2024, profile)
    con.close()
    return str(scored.loc[scored["credit_code"] == code, "tier"].iloc[0])


@pytest.mark.parametrize("tier", ["B", "C", "D"])
def test_gap_amount_really_moves_the_firm_up(city, city_con, profile, tmp_path, tier):
    """For firms of each tier: the stated extra tax (or value added) lifts the firm by one tier
    when written into the database and re-scored by `score_year`; 0.01 万元 less does not."""
    path, _ = city
    ctx = report.prepare_context(city_con, 2024, profile)
    rows = ctx.scored.loc[(ctx.scored["tier"] == tier) & ~ctx.scored["veto"]]
    better = scoring.TIER_ORDER[scoring.TIER_ORDER.index(tier) - 1]
    checked = 0
    for code in rows["credit_code"].iloc[::-1]:
        gap = report.build_report(ctx, code).gap
        if gap.points is not None:  # the static figure: threshold − total, rounded up
            assert 0 <= gap.points - (gap.threshold - float(ctx.row(code)["total"])) < 0.01
        for column, amount in (("tax", gap.extra_tax), ("value_added", gap.extra_value_added)):
            if amount is None:
                continue
            assert _tier_after_adding(path, tmp_path, code, column, amount, profile) == better
            less = _tier_after_adding(path, tmp_path, code, column, amount - 0.01, profile)
            assert less == tier
            checked += 1
        if checked >= 2:
            break
    assert checked >= 1


def test_gap_on_a_hand_computed_pool(tmp_path, profile):
    """Four firms, fixed-benchmark profile: the numbers can be checked on paper.

    Pool of 10 规上 车业 firms (A = ranks 1–2). With fixed benchmarks, adding tax t to firm X
    (land 10, tax_per_mu weight 30, benchmark 10, cap 2) raises its total by 3·t/10 points until
    the cap; the A entry total is the second-best total.
    """
    text = """
[meta]
name = "手算"
[tiers]
a_pct = 20
b_pct = 80
d_pct = 2
d_max_tax_per_mu = 6.0
[scales."规上".indicators]
tax_per_mu = { weight = 30, benchmark = 10.0, cap = 2.0 }
va_per_mu = { weight = 70, benchmark = 50.0, cap = 2.0 }
"""
    from muyun.profile import profile_from_toml

    fixed = profile_from_toml(text, "hand.toml")
    path = tmp_path / "hand.duckdb"
    con = db.connect(path)
    rng = random.Random(3)
    codes = [make_code(rng) for _ in range(10)]
    # totals: tax_per_mu/10*30 + va_per_mu/50*70, land 10 for all
    taxes = [150, 140, 120, 110, 100, 90, 80, 70, 60, 50]
    for i, (code, tax) in enumerate(zip(codes, taxes, strict=True)):
        con.execute(
            "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, land_own_mu,"
            " tax, value_added, revenue)"
            " VALUES (2024, ?, ?, '车业', '东城街道', '规上', 10, ?, 500, 2000)",
            [code, f"企业{i}", float(tax)],
        )
    ctx = report.prepare_context(con, 2024, fixed)
    # firm 2: tax 120 → total 36 + 70 = 106; A entry = firm 1: 140 → 42 + 70 = 112.
    row = ctx.row(codes[2])
    assert (row["tier"], float(row["total"])) == ("B", 106.0)
    gap = report.build_report(ctx, codes[2]).gap
    assert gap.points == pytest.approx(6.0)
    assert gap.extra_tax == pytest.approx(20.0)  # 6 points ÷ (30/100 points per 万元)
    con.execute("UPDATE enterprises SET tax = tax + 20 WHERE credit_code = ?", [codes[2]])
    assert (
        scoring.score_year(con, 2024, fixed).set_index("credit_code").loc[codes[2], "tier"] == "A"
    )
    con.execute("UPDATE enterprises SET tax = tax - 0.01 WHERE credit_code = ?", [codes[2]])
    assert (
        scoring.score_year(con, 2024, fixed).set_index("credit_code").loc[codes[2], "tier"] == "B"
    )
    con.close()


def test_rescoring_one_scale_reproduces_the_year(city_con, profile):
    """The gap search re-scores only the firm's scale: that must equal the whole-year result."""
    ctx = report.prepare_context(city_con, 2024, profile)
    code = ctx.scored.loc[ctx.scored["scale"] == "规上", "credit_code"].iloc[0]
    columns = ["credit_code", "total", "rank", "tier", "pool_size"]
    scale = report.rescore_with_extra(ctx, code, "tax", 0.0)[columns]
    year = report.rescore_with_extra(ctx, code, "tax", 0.0, whole_year=True)[columns]
    expected = ctx.scored.loc[ctx.scored["scale"] == "规上", columns]
    for frame in (scale, year.loc[year["credit_code"].isin(expected["credit_code"])]):
        pd.testing.assert_frame_equal(
            frame.sort_values("credit_code").reset_index(drop=True),
            expected.sort_values("credit_code").reset_index(drop=True),
        )
    moved = report.rescore_with_extra(ctx, code, "tax", 100.0).set_index("credit_code")
    assert moved.loc[code, "total"] > float(ctx.row(code)["total"])


def test_gap_for_top_and_veto(city_con, profile):
    ctx = report.prepare_context(city_con, 2024, profile)
    top = ctx.scored.loc[ctx.scored["tier"] == "A", "credit_code"].iloc[0]
    assert report.build_report(ctx, top).gap.lines == (labels.REPORT_TEXT["gap_top"],)


# ── formats ──────────────────────────────────────────────────────────────────────────────────


def test_html_escapes_untrusted_names_and_is_self_contained(city, city_con, profile):
    _, named = city
    page = report.render_html(city_con, 2024, named["evil"], profile)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#x27;恶意名称有限公司" in page
    parser = _Tags()
    parser.feed(page)
    allowed = {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "h1",
        "h2",
        "p",
        "div",
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "li",
        "b",
        "figure",
        "figcaption",
        "svg",
        "line",
        "polygon",
        "polyline",
        "circle",
        "rect",
        "text",
        "footer",
    }
    assert parser.tags <= allowed
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert not re.search(r"https?:|//[a-z]|@import|url\(|<link|<img|<iframe", page, re.I)
    assert labels.DEMO_NOTICE in page
    assert "<svg" in page


def test_pdf_text_holds_name_and_class(city, city_con, profile, tmp_path):
    _, named = city
    ctx = report.prepare_context(city_con, 2024, profile)
    code = named["lessee"]
    row = ctx.row(code)
    pdf = report.render_pdf(city_con, 2024, code, profile, context=ctx)
    assert pdf.startswith(b"%PDF") and len(pdf) < 1_000_000
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf  # the CJK font is embedded
    text = _pdf_text(pdf, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert row["name"] in flat
    assert labels.TIER_CLASS[str(row["tier"])] in flat
    assert f"{float(row['total']):.2f}" in flat
    assert "未备案" in flat  # the unregistered lease is flagged


def test_pdf_with_hostile_name_renders_it_as_text(city, city_con, profile, tmp_path):
    _, named = city
    pdf = report.render_pdf(city_con, 2024, named["evil"], profile)
    assert "<script>alert(1)</script>" in re.sub(r"\s+", "", _pdf_text(pdf, tmp_path))


def test_leases_flag_unregistered(city, city_con, profile):
    _, named = city
    ctx = report.prepare_context(city_con, 2024, profile)
    table = report.build_report(ctx, named["lessee"]).leases
    assert table is not None and len(table.rows) == 2
    states = [r[-1] for r in table.rows]
    assert labels.REPORT_TEXT["lease_unregistered"] in states
    assert [i for i, s in enumerate(states) if "未备案" in s] == sorted(table.flagged)


def test_unknown_firm_is_a_clear_error(city_con, profile):
    with pytest.raises(report.ReportError, match="没有统一社会信用代码"):
        report.render_html(city_con, 2024, "91330784XXXXXXXXXX", profile)


def test_report_filename_is_safe():
    name = report.report_filename("91330784MA000000X1", 'a/b\\c:*?"<>|d 有限公司')
    assert name == "91330784MA000000X1_a_b_c_d_有限公司.pdf"
    assert "/" not in report.report_filename("X", "../../etc/passwd")


# ── CLI and batch ────────────────────────────────────────────────────────────────────────────


def test_cli_single_pdf_and_html(city, tmp_path):
    path, named = city
    pdf_out, html_out = tmp_path / "one.pdf", tmp_path / "one.html"
    base = ["report", "--db", str(path), "--year", "2024", "--code", named["lessee"]]
    assert cli_main([*base, "--out", str(pdf_out)]) == 0
    assert cli_main([*base, "--out", str(html_out)]) == 0
    assert pdf_out.read_bytes().startswith(b"%PDF")
    assert "<!DOCTYPE html>" in html_out.read_text(encoding="utf-8")


def test_cli_batch_writes_one_pdf_per_firm_and_an_index(city, tmp_path, profile):
    path, _ = city
    out = tmp_path / "batch"
    args = ["report", "--db", str(path), "--year", "2024", "--industry", "门业", "--out", str(out)]
    assert cli_main([*args, "--jobs", "1"]) == 0
    con = db.connect(path, read_only=True)
    scored = scoring.score_year(con, 2024, profile)
    con.close()
    expected = scored.loc[(scored["industry"] == "门业") & (scored["status"] == "评价")]
    index = pd.read_csv(out / "index.csv", dtype={"credit_code": str})
    assert sorted(index["credit_code"]) == sorted(expected["credit_code"])
    for row in index.itertuples():
        assert (out / row.file).read_bytes().startswith(b"%PDF")
        assert row.file.startswith(f"{row.credit_code}_")
    assert len(list(out.glob("*.pdf"))) == len(expected)


def test_cli_batch_by_tier_in_two_processes(city, tmp_path):
    """Run as a real `python -m muyun` process: worker processes are spawned from the CLI's own
    main module, as in production (inside pytest they would re-import whatever script ran last)."""
    path, _ = city
    out = tmp_path / "tier"
    args = ["report", "--db", str(path), "--year", "2024", "--tier", "A", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "muyun", *args, "--jobs", "2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    index = pd.read_csv(out / "index.csv")
    assert len(index) >= 2 and set(index["tier"]) == {"A"}


def test_cli_rejects_bad_arguments(city, tmp_path, capsys):
    path, _ = city
    assert cli_main(["report", "--db", str(path), "--year", "2024", "--out", str(tmp_path)]) != 0
    assert "--code" in capsys.readouterr().err
    missing = ["report", "--db", str(path), "--year", "2024", "--code", "X", "--out", "a.pdf"]
    assert cli_main(missing) != 0


def test_context_reuses_given_scored_years(city_con, profile, monkeypatch):
    """The dashboard hands in its cached years: nothing is re-read or re-scored, same result."""
    fresh = report.prepare_context(city_con, 2024, profile)
    given = dict(fresh.history)

    def no_rescore(*args, **kwargs):
        raise AssertionError("a given year was scored again")

    monkeypatch.setattr(scoring, "score_year", no_rescore)
    monkeypatch.setattr(scoring, "score_prepared", no_rescore)
    monkeypatch.setattr(scoring, "load_year", no_rescore)
    reused = report.prepare_context(city_con, 2024, profile, data=fresh.data, scored_years=given)
    assert reused.history.keys() == fresh.history.keys()
    assert reused.scored is given[2024]
    assert reused.leases.equals(fresh.leases)


def test_batch_zip(city, city_con, profile):
    ctx = report.prepare_context(city_con, 2024, profile)
    codes = report.evaluated_codes(ctx, industry="车业")[:3]
    steps: list[tuple[int, int]] = []
    blob = report.batch_zip(
        city_con, 2024, codes, profile, context=ctx, on_progress=lambda *a: steps.append(a)
    )
    assert steps == [(i, len(codes)) for i in range(1, len(codes) + 1)]  # the page's progress
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        names = archive.namelist()
        assert "index.csv" in names
        # Issue 13 item 2: the index an official opens speaks Chinese, with units.
        index = pd.read_csv(io.BytesIO(archive.read("index.csv")), encoding="utf-8-sig")
        assert list(index.columns[:3]) == ["统一社会信用代码", "企业名称", "行业"]
        assert "综合得分（分）" in index.columns and labels.REPORT_FILE_HEADER in index.columns
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert sorted(n.split("_")[0] for n in pdfs) == sorted(codes)
        assert all(archive.read(n).startswith(b"%PDF") for n in pdfs)


# ── the demo city ────────────────────────────────────────────────────────────────────────────


def test_demo_reports_match_engine_and_stay_small(demo_db_path, profile, tmp_path):
    con = db.connect(demo_db_path, read_only=True)
    year = max(r[0] for r in con.execute("SELECT DISTINCT year FROM enterprises").fetchall())
    ctx = report.prepare_context(con, year, profile)
    scored = scoring.score_year(con, year, profile)
    for tier in scoring.TIER_ORDER:
        hit = scored.loc[scored["tier"] == tier]
        if hit.empty:
            continue
        row = hit.iloc[len(hit) // 2]
        data = report.build_report(ctx, row["credit_code"])
        assert (data.total, data.rank, data.tier) == (row["total"], row["rank"], row["tier"])
        pdf = report.render_pdf(con, year, row["credit_code"], profile, context=ctx)
        assert len(pdf) < 1_000_000
        assert labels.DEMO_NOTICE[:8] in re.sub(r"\s+", "", _pdf_text(pdf, tmp_path))
    con.close()


def test_small_firm_report_titles_its_bar_chart_as_bars(city, city_con, profile):
    """Issue 13 item 9: 规下 has two indicators, drawn as bars — not under "指标雷达图"."""
    small = city_con.execute(
        "SELECT credit_code FROM enterprises WHERE year = 2024 AND scale = '规下' LIMIT 1"
    ).fetchall()[0][0]
    page = report.render_html(city_con, 2024, small, profile)
    assert labels.REPORT_TEXT["section_charts_bars"] in page
    assert labels.REPORT_TEXT["bars_title"] in page and "指标雷达图" not in page
    big = report.render_html(city_con, 2024, city[1]["evil"], profile)
    assert labels.REPORT_TEXT["radar_title"] in big


def test_an_exempt_firms_remark_has_no_nested_brackets(city, profile):
    """Issue 13 (also): "不定级（不参与定级（新设…））" — brackets inside brackets."""
    path, named = city
    con = db.connect(path)
    con.execute(
        "UPDATE enterprises SET exempt = TRUE WHERE year = 2024 AND credit_code = ?",
        [named["lessor"]],
    )
    ctx = report.prepare_context(con, 2024, profile)
    lines = dict(report.build_report(ctx, named["lessor"]).result)
    con.close()
    remark = lines[labels.REPORT_TEXT["remark"]]
    assert labels.STATUS_EXEMPT in remark and "新设" in remark, remark
    assert not re.search(r"（[^）]*（", remark), remark


def test_pdf_lines_never_start_with_closing_punctuation(city, city_con, profile, tmp_path):
    """Issue 13 (also): a PDF line began with "，" (the break fell before the comma)."""
    from fpdf import FPDF

    from muyun.report_templates import pdf_report

    pdf = FPDF()
    pdf.add_font(pdf_report.FAMILY, fname=str(report.cjk_font_path()))
    pdf.set_font(pdf_report.FAMILY, size=9)
    text = (
        "在其他数据不变时，约需增加税收实际贡献27.09万元（亩均税收由3.14提高到3.56万元/亩；"
        "已计入其对平均基准值的影响，经评价引擎重新测算验证）。"
    )
    for tenth_mm in range(300, 1800, 7):
        lines = pdf_report.wrap_lines(pdf, text, tenth_mm / 10)
        assert "".join(lines) == text
        assert not any(line[:1] in pdf_report.CLOSING for line in lines), lines
    _path, named = city
    ctx = report.prepare_context(city_con, 2024, profile)
    for code in list(named.values())[:4]:
        pdf_text = _pdf_text(
            report.render_pdf(city_con, 2024, code, profile, context=ctx), tmp_path
        )
        starts = [line for line in pdf_text.splitlines() if line and line[0] in "，。；：、）"]
        assert not starts, starts

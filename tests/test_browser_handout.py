"""Issue 13 in headless Chromium: every page at 1440×900 and 1280×720, screenshots into
tests/artifacts/handout-<page>-<width>.png for a person to look at, and the checks a machine can
make on what is on screen: no English UI words, no raw floats, no text cut off by its box, the
rankings' 综合得分 column within the window, and the 汇报材料 PDF downloadable.

Uses the shared `demo_app` server and `chromium_path` fixtures (tests/conftest.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, CHROMIUM_ARGS, streamlit_app
from test_browser import _settle

from muyun import labels

pytestmark = pytest.mark.browser

PAGES = [
    "overview",
    "rankings",
    "enterprise",
    "whatif",
    "policy",
    "land",
    "data",
    "evaluation",
    "firm_links",
]
SIZES = [(1440, 900), (1280, 720)]
# Words that must not reach an official's screen (Streamlit's own English included).
ENGLISH = re.compile(r"\b(Upload|Browse files|per file|None|empty|nan|NaN|vs)\b")
RAW_FLOAT = re.compile(r"(?<![\d.])-?\d+\.\d{5,}")
# Elements whose text is cut by their own box (ellipsis or overflow) — cards, buttons, tabs.
CLIPPED = """() => {
    const out = [];
    const main = document.querySelector('[data-testid="stMain"]');
    for (const el of main.querySelectorAll('p, span, div, label')) {
        if (el.offsetParent === null || el.children.length > 0) continue;
        const style = getComputedStyle(el);
        const cuts = style.textOverflow === 'ellipsis' || style.overflow === 'hidden';
        if (cuts && el.scrollWidth > el.clientWidth + 1 && el.innerText.trim())
            out.push(el.innerText.trim().slice(0, 40));
    }
    return out;
}"""
# Cards, buttons and tabs whose label or value is cut short by the box (an ellipsis).
CUT_CARDS = """() => {
    const out = [];
    const boxes = document.querySelectorAll(
        '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], '
        + '[data-testid="stMetricDelta"], [data-testid="stMain"] button, [data-testid="stTab"]');
    for (const box of boxes) {
        for (const el of [box, ...box.querySelectorAll('*')]) {
            if (el.offsetParent === null) continue;
            if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible')
                { out.push(box.innerText.trim().slice(0, 40)); break; }
        }
    }
    return out;
}"""
# Tables wider than their box (a horizontal scrollbar hides the right-hand columns), by key.
WIDE_TABLES = """() => {
    const out = [];
    for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]')) {
        const scroller = frame.querySelector('.dvn-scroller');
        if (!scroller || scroller.scrollWidth <= scroller.clientWidth + 2) continue;
        const keyed = frame.closest('[class*="st-key-"]');
        out.push(keyed ? keyed.className.match(/st-key-[\\w-]+/)[0] : 'unkeyed table');
    }
    return out;
}"""
# The rankings table scrolls by design (officials pick its columns; rank…score are pinned).
SCROLLS_BY_DESIGN = {"st-key-rank_table"}
PRINT_CSS_LOADED = """() => [...document.querySelectorAll('style')]
    .some(s => s.textContent.includes('@media print'))"""
MAIN_TEXT = "() => document.querySelector('[data-testid=\"stMain\"]').innerText"


def _shoot(page, path: Path) -> None:
    """The whole main block at the current width (Streamlit scrolls inside it)."""
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 9000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))


def test_every_page_fits_and_speaks_chinese(chromium_path: Path, demo_app) -> None:
    from playwright.sync_api import sync_playwright

    url, _process = demo_app
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        for width, height in SIZES:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            for stem in PAGES:
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{url}/{stem}" if stem != "overview" else url)
                _settle(page, stem)
                page.wait_for_timeout(1500)
                assert page.locator('[data-testid="stException"]').count() == 0, stem
                text = page.evaluate(MAIN_TEXT)
                problems += [f"{stem}@{width}: English {m}" for m in ENGLISH.findall(text)]
                problems += [f"{stem}@{width}: float {m}" for m in RAW_FLOAT.findall(text)]
                problems += [f"{stem}@{width}: clipped {c}" for c in page.evaluate(CLIPPED)]
                problems += [f"{stem}@{width}: cut card {c}" for c in page.evaluate(CUT_CARDS)]
                wide = set(page.evaluate(WIDE_TABLES)) - SCROLLS_BY_DESIGN
                problems += [f"{stem}@{width}: wide table {w}" for w in sorted(wide)]
                if stem == "overview":  # 13 pages in sections, not one long list (issue 13)
                    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
                    missing = [t for t in labels.NAV_SECTIONS if t not in nav]
                    problems += [f"navigation: no section {t}" for t in missing]
                if stem == "rankings":
                    header = page.locator('[data-testid="stDataFrame"]').first
                    box = header.bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width
                _shoot(page, ARTIFACTS / f"handout-{stem}-{width}.png")
                tabs = page.locator('[data-testid="stMain"] [data-testid="stTab"]')
                for index in range(1, tabs.count()):  # the other tabs of 低效用地整治
                    page.set_viewport_size({"width": width, "height": height})
                    tabs.nth(index).click()
                    page.wait_for_timeout(1500)
                    where = f"{stem}#{index}@{width}"
                    problems += [f"{where}: clipped {c}" for c in page.evaluate(CLIPPED)]
                    problems += [f"{where}: cut card {c}" for c in page.evaluate(CUT_CARDS)]
                    wide = set(page.evaluate(WIDE_TABLES)) - SCROLLS_BY_DESIGN
                    problems += [f"{where}: wide table {w}" for w in sorted(wide)]
                    text = page.evaluate(MAIN_TEXT)
                    problems += [f"{where}: English {m}" for m in ENGLISH.findall(text)]
                    problems += [f"{where}: float {m}" for m in RAW_FLOAT.findall(text)]
                    _shoot(page, ARTIFACTS / f"handout-{stem}-tab{index}-{width}.png")
            page.close()

        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page.goto(url)
        _settle(page, "overview")
        button = page.get_by_role("button", name=labels.OVERVIEW_EXTRA["briefing"])
        with page.expect_download(timeout=120_000) as download:
            button.click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        (ARTIFACTS / "handout-briefing.pdf").write_bytes(pdf)
        browser.close()
    assert not problems, "\n".join(problems)


CHARTS_DRAWN = """() => {
    const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
    return charts.length > 0 && [...charts].every(c => c.querySelector('.vega-embed .marks'));
}"""
# In print the main block is one A4 line wide (210 − 2 × 12 mm margins = 186 mm at 96 px/in).
# A Vega-Lite chart keeps the width it was drawn at on screen until it redraws for the print
# layout, so each chart's drawn SVG or canvas, as laid out (CSS scaling included) and counted in
# the block's own pixels, must fit its print box both before and after that redraw; redrawn,
# it fills its box (the block's zoom once made it redraw at 60 % of the line).
A4_LINE_PX = 186 / 25.4 * 96
CHART_FIT = """() => {
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    const zoom = parseFloat(getComputedStyle(block).zoom) || 1;
    const width = block.getBoundingClientRect().width;
    return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => ({
        share: chart.getBoundingClientRect().width / width,
        drawn: chart.querySelector('.vega-embed .marks').getBoundingClientRect().width / width
            * block.offsetWidth,
        zoom: zoom,
    }));
}"""


@pytest.mark.parametrize("width", [1440, 1920])
def test_printing_overview_fits_a4(chromium_path: Path, demo_app, width: int) -> None:
    """Item 13: the print layout hides the sidebar and keeps every chart within A4 (the page's
    charts as drawn on screen, also on a wide monitor, and as redrawn for the print layout)."""
    from playwright.sync_api import sync_playwright

    url, _process = demo_app
    target = ARTIFACTS / f"handout-overview-print-{width}.pdf"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
        page.goto(url)
        _settle(page, "overview")
        page.wait_for_function(PRINT_CSS_LOADED, timeout=30_000)
        main = page.locator('[data-testid="stMain"]')
        for _ in range(12):  # charts below the fold draw once scrolled to
            main.evaluate("m => m.scrollBy(0, 700)")
            page.wait_for_timeout(250)
        page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
        page.wait_for_timeout(1000)
        page.emulate_media(media="print")
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        drawn = page.evaluate(CHART_FIT)
        page.wait_for_timeout(1500)  # the charts redraw at their print width
        redrawn = page.evaluate(CHART_FIT)
        target.write_bytes(page.pdf(format="A4", print_background=True))
        browser.close()
    assert target.read_bytes().startswith(b"%PDF")
    charts = drawn + redrawn
    cut = [c for c in charts if c["drawn"] > c["share"] * A4_LINE_PX / c["zoom"] + 2]
    assert charts and not cut, cut
    small = [c for c in redrawn if c["drawn"] < 0.9 * c["share"] * A4_LINE_PX / c["zoom"]]
    assert not small, small


UPLOADER_TEXT = """() => {
    const zone = document.querySelector('[data-testid="stFileUploaderDropzone"]');
    const instructions = zone.querySelector(
        '[data-testid="stFileUploaderDropzoneInstructions"] > div');
    const button = zone.querySelector('button [data-testid="stMarkdownContainer"]');
    return {
        visible: zone.innerText,
        drop: getComputedStyle(instructions, '::before').content,
        limit: getComputedStyle(instructions, '::after').content,
        browse: getComputedStyle(button, '::after').content,
    };
}"""


def test_uploader_speaks_chinese_with_the_real_limit(
    chromium_path: Path, demo_db_path: Path, tmp_path: Path
) -> None:
    """Item 6: after an administrator logs in, 数据管理's uploader shows no "Upload" or
    "200MB per file" and states the limit the importer really applies."""
    from playwright.sync_api import sync_playwright

    from muyun import accounts, importer
    from muyun.db import Database

    store_path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_path, store_path)
    store = Database(store_path)
    try:
        accounts.create_account(store, "uploader", "upload-test-pw", accounts.ROLE_ADMIN, "管理员")
    finally:
        store.close()
    limit_mb = importer.MAX_FILE_BYTES // 2**20
    with (
        streamlit_app(store_path, tmp_path / "streamlit.log") as (url, _process),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page.goto(f"{url}/data")
        _settle(page, "data")
        text = labels.ADMIN_LOGIN_TEXT
        page.get_by_label(text["username"], exact=True).fill("uploader")
        page.get_by_label(text["password"], exact=True).fill("upload-test-pw")
        page.get_by_role("button", name=text["login"]).click()
        page.locator('[data-testid="stFileUploaderDropzone"]').wait_for(timeout=60_000)
        page.wait_for_timeout(800)
        shown = page.evaluate(UPLOADER_TEXT)
        _shoot(page, ARTIFACTS / "handout-data-uploader-1440.png")
        browser.close()
    assert not ENGLISH.search(shown["visible"]) and "MB" not in shown["visible"], shown
    assert labels.DATA_EXTRA["drop"] in shown["drop"], shown
    assert labels.DATA_EXTRA["browse"] in shown["browse"], shown
    assert f"{limit_mb} MB" in shown["limit"], shown

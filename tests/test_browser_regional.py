"""镇街考核, 预警关注 and 专项政策评估 in headless Chromium: each renders without an exception box,
its key widgets bound to the URL survive a reload, and the watch list downloads as Excel.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import ARTIFACTS, CHROMIUM_ARGS

from muyun import labels

pytestmark = pytest.mark.browser

RENDERED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && h1 !== null && h1.innerText.trim() === title;
}"""


def _open(page, url: str, stem: str) -> None:
    page.goto(url)
    page.wait_for_function(RENDERED, arg=labels.PAGE_TITLES[stem], timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0, stem


def test_towns_watchlist_and_programmes_in_chromium(
    chromium_path: Path, demo_app: tuple[str, subprocess.Popen]
) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = demo_app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200}, locale="zh-CN")

        rank = quote(labels.TOWN_RANK_KEYS["share_d"])
        _open(page, f"{url}/towns?year=2024&town_rank_by={rank}", "towns")
        picked = page.locator('[data-testid="stSelectbox"]', has_text=labels.TOWN_TEXT["rank_by"])
        box = picked.first.locator("input")
        shown = f"{box.input_value()} {box.get_attribute('placeholder') or ''}"
        assert labels.TOWN_RANK_KEYS["share_d"] in shown
        page.get_by_role("tab", name=labels.TOWN_TEXT["town_view"]).click()
        page.wait_for_timeout(500)
        assert page.get_by_text(labels.TOWN_TEXT["progress"]).count() > 0
        page.screenshot(path=str(ARTIFACTS / "towns.png"))

        _open(page, f"{url}/watchlist?year=2024", "watchlist")
        button = page.get_by_role("button", name=labels.WATCH_TEXT["download_xlsx"])
        with page.expect_download(timeout=60_000) as download:
            button.click()
        data = Path(download.value.path()).read_bytes()
        assert data.startswith(b"PK")  # an .xlsx archive
        page.screenshot(path=str(ARTIFACTS / "watchlist.png"))

        _open(page, f"{url}/programmes?year=2024", "programmes")
        assert page.get_by_text(labels.PROGRAMME_TEXT["effects"]).count() > 0
        # Three before/after charts, each drawn by Vega (its SVG or canvas has the class "marks").
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        drawn = charts.locator("svg.marks, canvas.marks")
        drawn.first.wait_for(timeout=60_000)
        assert charts.count() == 3
        assert drawn.count() == 3
        page.screenshot(path=str(ARTIFACTS / "programmes.png"))
        browser.close()

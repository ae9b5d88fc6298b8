"""The real app in headless Chromium: every page renders without an exception box, fast enough,
the filters survive page switches, and the server stays small. Screenshots go to tests/artifacts/.

Needs Debian's chromium at /usr/bin/chromium: skipped without it, except under CI (env CI set),
where a missing browser is a failure.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import ARTIFACTS, CHROMIUM_ARGS, server_rss_mb

from muyun import labels

pytestmark = pytest.mark.browser

PAGES = ["overview", "rankings", "enterprise", "whatif", "land", "data"]
MAX_RSS_MB = 500
# Load times are printed, not asserted (speed targets belong to benchmarks, not timed tests);
# memory is asserted against the ceiling.
RENDERED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && h1 !== null && h1.innerText.trim() === title;
}"""


def _settle(page, stem: str) -> None:
    """Wait until the script run is over and the page's own title is on screen."""
    page.wait_for_function(RENDERED, arg=labels.PAGE_TITLES[stem], timeout=120_000)


def _screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1600, "height": min(int(height) + 40, 9000)})
    page.wait_for_timeout(1000)  # charts redraw for the new size
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1600, "height": 1000})


def _check_page(page, stem: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, stem
    title = page.locator('[data-testid="stMain"] h1').first.inner_text()
    assert title.strip() == labels.PAGE_TITLES[stem]


def test_every_page_in_chromium(
    chromium_path: Path, demo_app: tuple[str, subprocess.Popen], capsys: pytest.CaptureFixture[str]
) -> None:
    from playwright.sync_api import sync_playwright

    url, process = demo_app
    ARTIFACTS.mkdir(exist_ok=True)
    cold: dict[str, float] = {}
    warm: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")

        # A deep link with filters, as the first request of a fresh server.
        query = f"year=2023&industry={quote('杯业')}"
        page.goto(f"{url}/rankings?{query}")
        _settle(page, "rankings")
        _check_page(page, "rankings")
        assert "year=2023" in page.url

        for stem in PAGES:  # first visit of each page in one session: cold caches
            start = time.perf_counter()
            page.goto(f"{url}/{stem}?{query}" if stem != "overview" else f"{url}/?{query}")
            _settle(page, stem)
            cold[stem] = time.perf_counter() - start
            _check_page(page, stem)
            _screenshot(page, ARTIFACTS / f"{stem}.png")

        for stem in PAGES:  # switching pages from the sidebar, as an official does
            link = page.locator('[data-testid="stSidebarNav"] a', has_text=labels.PAGE_TITLES[stem])
            start = time.perf_counter()
            link.click()
            _settle(page, stem)
            warm[stem] = time.perf_counter() - start
            _check_page(page, stem)
            assert "year=2023" in page.url, (stem, page.url)  # filters survive the switch
            assert "industry=" in page.url, (stem, page.url)

        # The firm's PDF, rendered on click from the cached report context (twice: cold, warm).
        page.goto(f"{url}/enterprise?{query}")
        _settle(page, "enterprise")
        button = page.get_by_role("button", name=labels.REPORT_DOWNLOAD.format(fmt="PDF"))
        report_s = []
        for _ in range(2):
            start = time.perf_counter()
            with page.expect_download(timeout=60_000) as download:
                button.click()
            pdf = Path(download.value.path()).read_bytes()
            report_s.append(time.perf_counter() - start)
            assert pdf.startswith(b"%PDF"), pdf[:20]
        browser.close()

    rss = server_rss_mb(process)
    with capsys.disabled():  # the CI log shows the measurements
        print("\npage load times (s): first visit / sidebar switch")
        for stem in PAGES:
            print(f"  {labels.PAGE_TITLES[stem]:<8} {cold[stem]:6.2f} / {warm[stem]:6.2f}")
        print(f"PDF report download (s): first {report_s[0]:.2f}, again {report_s[1]:.2f}")
        print(f"server RSS incl. children: {rss:.0f} MB (limit {MAX_RSS_MB} MB)")
    assert rss < MAX_RSS_MB


def test_the_land_pages_tabs_draw_when_opened_and_stay_in_the_url(
    chromium_path: Path, demo_app: tuple[str, subprocess.Popen]
) -> None:
    from playwright.sync_api import sync_playwright

    url, _process = demo_app
    text = labels.LAND_TEXT
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        page.goto(f"{url}/land?year=2022")
        _settle(page, "land")
        on_list = page.get_by_text(text["list_total"], exact=False)
        assert on_list.count() == 0  # the list tab is not drawn before it is opened
        page.get_by_role("tab", name=text["tab_list"]).click()
        on_list.first.wait_for(timeout=120_000)
        _check_page(page, "land")
        assert "land_tab=" in page.url, page.url
        browser.close()


def test_a_page_opened_at_its_own_address_asks_the_servers_root_at_once(
    chromium_path: Path, demo_app: tuple[str, subprocess.Popen]
) -> None:
    """The backend hint (ui/serving.py): a link to a page makes no request under the page's
    own path (`/rankings/_stcore/health`, a 404 and a retry without the hint)."""
    from playwright.sync_api import sync_playwright

    url, _process = demo_app
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"{url}/rankings?scale={quote(labels.SCALE_BELOW)}")
        _settle(page, "rankings")
        _check_page(page, "rankings")
        assert page.evaluate("window.__streamlit.BACKEND_BASE_URL") == f"{url}/"
        assert f"{url}/_stcore/health" in asked
        assert not [a for a in asked if a.startswith(f"{url}/rankings/")], asked
        browser.close()

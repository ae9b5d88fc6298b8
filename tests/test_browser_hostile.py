"""Issue 10 in real headless Chromium: a URL-like firm name is not a link in the enterprise
heading, and a corrupt store shows one neutral Chinese message with no path or DuckDB text.

AppTest only sees the Markdown source; whether Streamlit's renderer turns text into a link, and
what the browser shows for an exception, needs the real front end.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from browser_support import CHROMIUM_ARGS, streamlit_app

from muyun import labels

pytestmark = pytest.mark.browser

URL_NAME = "https://www.evil.example/登录 admin@evil.example"


def _serve(db_file: Path, workdir: Path) -> Iterator[str]:
    with streamlit_app(db_file, workdir / "streamlit.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def url_name_firm(
    demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, int]]:
    workdir = tmp_path_factory.mktemp("hostile_browser")
    copy = workdir / "demo.duckdb"
    shutil.copy(demo_db_path, copy)
    with duckdb.connect(str(copy)) as con:
        year, code = con.execute(
            "SELECT year, credit_code FROM enterprises WHERE scale = '规上' "
            "ORDER BY year DESC, credit_code LIMIT 1"
        ).fetchall()[0]
        con.execute("UPDATE enterprises SET name = ? WHERE credit_code = ?", [URL_NAME, code])
    for url in _serve(copy, workdir):
        yield url, code, year


def test_url_like_name_is_plain_text_in_the_heading(chromium_path: Path, url_name_firm) -> None:
    from playwright.sync_api import sync_playwright

    url, code, year = url_name_firm
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = chrome.new_page()
        page.goto(f"{url}/enterprise?code={code}&year={year}")
        heading = page.locator('[data-testid="stMain"] h3', has_text="evil").first
        heading.wait_for(timeout=120_000)
        text = heading.inner_text().replace("\u2060", "")
        hrefs = [a.get_attribute("href") for a in heading.locator("a").all()]
        chrome.close()
    assert text.strip() == URL_NAME
    assert all(href.startswith("#") for href in hrefs), hrefs  # only Streamlit's own anchor


def test_corrupt_store_shows_only_the_neutral_message(chromium_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    bad = tmp_path / "corrupt.duckdb"
    bad.write_bytes(b"not a database " * 10_000)
    for url in _serve(bad, tmp_path):
        with sync_playwright() as p:
            chrome = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
            page = chrome.new_page()
            page.goto(url)
            alert = page.get_by_text(labels.STORE_ERROR_TEXT["page"])
            alert.wait_for(timeout=120_000)
            body = page.locator("body").inner_text()
            chrome.close()
    assert str(tmp_path) not in body
    assert "DuckDB" not in body and "Traceback" not in body and "Error" not in body
    assert "not a valid DuckDB database" in (tmp_path / "streamlit.log").read_text()

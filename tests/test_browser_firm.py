"""A firm's private link in headless Chromium: the firm opens its link, disputes a field with a
PDF, and — after the bureau publishes — opens its report and downloads the PDF; the officials'
企业链接与送达 page shows each step (read through its own Excel export, since Streamlit draws
tables on a canvas). Screenshots go to tests/artifacts/firm_*.png.

The bureau's steps between the firm's visits (notice, publish) run in this process while the
server is stopped: DuckDB lets one process hold the file. Skipped without /usr/bin/chromium,
except under CI (env CI set), where a missing browser is a failure.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, CHROMIUM_ARGS, streamlit_app
from python_calamine import CalamineWorkbook

from muyun import evaluation, evidence, firmlink, labels
from muyun.accounts import ROLE_ADMIN, Account
from muyun.db import Database
from muyun.profile import profile_path

pytestmark = pytest.mark.browser

SECRET = "b" * 40
ADMIN = Account("boss", "局长", ROLE_ADMIN)
F = labels.FIRM_PAGE_TEXT
P = labels.FIRMLINK_PAGE_TEXT
H = labels.FIRMLINK_HEADERS
SETTLED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && h1 !== null && h1.innerText.trim() === title;
}"""
# The smallest file that is a PDF by its first bytes (the store checks content, not the name).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@contextmanager
def serving(db_path: Path, log_path: Path) -> Iterator[str]:
    """The app on the given database with the link secret; yields its URL."""
    with streamlit_app(db_path, log_path, {firmlink.SECRET_ENV: SECRET}) as (url, _):
        yield url


def _settle(page, title: str) -> None:
    page.wait_for_function(SETTLED, arg=title, timeout=120_000)
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.all_inner_texts()


def _status_rows(page, url: str) -> dict[str, dict[str, object]]:
    """The official opens 企业链接与送达 and exports the per-firm status; credit code → row."""
    page.goto(f"{url}/firm_links")
    _settle(page, labels.PAGE_TITLES["firm_links"])
    button = page.get_by_role("button", name=P["download_status"])
    with page.expect_download(timeout=60_000) as download:
        button.click()
    data = Path(download.value.path()).read_bytes()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    return {str(record[H["credit_code"]]): record for record in records}


def test_firm_disputes_with_a_file_then_reads_its_report(
    chromium_path: Path, demo_db_path: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    db_path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_path, db_path)
    db = Database(db_path)
    toml = profile_path("yongkang-default").read_text(encoding="utf-8")
    run_id = evaluation.create_run(db, 2024, toml, profile_id="yongkang-default", actor=ADMIN)
    evaluation.start_confirmation(db, run_id, actor=ADMIN)
    firmlink.issue_missing(db, run_id, expires_at=datetime.now() + timedelta(days=30), actor=ADMIN)
    links = firmlink.live_links(
        db.reader(), run_id, secret=SECRET.encode(), base_url="http://placeholder"
    )
    code, name = str(links["credit_code"].iloc[0]), str(links["name"].iloc[0])
    other_name = str(links["name"].iloc[1])
    token = str(links["link"].iloc[0]).split(f"?{firmlink.TOKEN_PARAM}=")[1]
    db.close()
    evidence_file = tmp_path / "完税证明.pdf"
    evidence_file.write_bytes(PDF)
    log = tmp_path / "streamlit.log"
    tax_label = labels.TABLE_HEADERS["enterprises"]["tax"].split("（")[0]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")

        with serving(db_path, log) as url:
            # A tampered link: the neutral page, nothing else.
            page.goto(f"{url}/?{firmlink.TOKEN_PARAM}={token[:-2]}xx")
            _settle(page, F["refused_title"])
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert name not in page.inner_text("body")

            # The firm's own link: its page only, no sidebar, its name and nobody else's.
            page.goto(f"{url}/?{firmlink.TOKEN_PARAM}={token}")
            _settle(page, labels.PAGE_TITLES["firm"])
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert page.locator('[data-testid="stSidebar"]').count() == 0
            body = page.inner_text("body")
            assert name in body and other_name not in body

            # Dispute the tax figure with a comment and a PDF.
            page.get_by_text(F["answer_dispute"]).click()
            picker = page.locator('[data-testid="stMultiSelect"] input')
            picker.click()
            picker.press_sequentially(tax_label)
            picker.press("Enter")
            page.keyboard.press("Escape")
            page.get_by_label(F["comment"]).fill("税收应为 123.4 万元，附完税证明")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                str(evidence_file)
            )
            page.get_by_text(evidence_file.name).first.wait_for(timeout=30_000)
            page.get_by_role("button", name=F["submit"], exact=True).click()
            page.get_by_text(F["disputed"]).wait_for(timeout=60_000)
            _settle(page, labels.PAGE_TITLES["firm"])
            page.screenshot(path=str(ARTIFACTS / "firm_dispute.png"), full_page=True)

            # The official sees the opening and the dispute.
            official = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            rows = _status_rows(official, url)
            assert rows[code][H["opened_count"]] == 1
            assert rows[code][H["disputed_at"]]
            assert rows[code][H["report_count"]] == 0
            official.screenshot(path=str(ARTIFACTS / "firm_links_dispute.png"), full_page=True)

        # The bureau moves on (server stopped: one process holds the file).
        db = Database(db_path)
        row = (
            db.reader()
            .execute(
                "SELECT answer, disputed_fields, evidence_sha256, recorded_by "
                "FROM eval_confirmations WHERE run_id = ? AND credit_code = ?",
                [run_id, code],
            )
            .fetchall()[0]
        )
        assert row[0] == firmlink.ANSWER_DISPUTED and row[1] == '["tax"]'
        assert row[3] == f"企业:{code}"
        stored = evidence.load(evidence.root_for(db_path), row[2], "pdf")
        assert stored == PDF
        evaluation.start_notice(db, run_id, start=date.today(), days=5, actor=ADMIN)
        evaluation.publish(db, run_id, actor=ADMIN, today=date.today() + timedelta(days=10))
        db.close()

        with serving(db_path, log) as url:
            page.goto(f"{url}/?{firmlink.TOKEN_PARAM}={token}")
            _settle(page, labels.PAGE_TITLES["firm"])
            page.get_by_role("button", name=F["report_open"]).click()
            page.get_by_text(F["report_title"].format(year=2024)).wait_for(timeout=120_000)
            _settle(page, labels.PAGE_TITLES["firm"])
            body = page.inner_text("body")
            assert name in body and other_name not in body
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=F["report_pdf"]).click()
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
            page.screenshot(path=str(ARTIFACTS / "firm_report.png"), full_page=True)

            rows = _status_rows(official := browser.new_page(locale="zh-CN"), url)
            assert rows[code][H["opened_count"]] == 2  # one per visit (session)
            assert rows[code][H["report_count"]] == 1
            assert rows[code][H["report_first"]]
            unread = official.get_by_role("button", name=P["download_unread"].split("（")[0])
            assert unread.count() == 1
        browser.close()

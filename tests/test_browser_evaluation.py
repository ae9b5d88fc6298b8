"""年度评价 in headless Chromium: an official walks the cycle create → notice → objection with
the correction preview → override → publish, on a private copy of the demo city.

Afterwards the store is checked directly: the run is published with the correction and the
override recorded, and the audit chain verifies. Screenshots go to tests/artifacts/. Skipped
without /usr/bin/chromium, except under CI (env CI), where a missing browser is a failure.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from browser_support import ARTIFACTS, CHROMIUM_ARGS, streamlit_app

from muyun import accounts, audit, evaluation, labels
from muyun.db import Database

pytestmark = pytest.mark.browser
T = labels.EVAL_PAGE_TEXT
L = labels.ADMIN_LOGIN_TEXT
PASSWORD = "浏览器测试-密码-7"
NOTICE_START = date.today() - timedelta(days=10)  # a 7-day notice that ended three days ago
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


@pytest.fixture
def store(demo_db_path: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A demo copy with an administrator; the firm that objects and the firm re-tiered."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_path, path)
    database = Database(path)
    try:
        accounts.create_account(database, "wang", PASSWORD, accounts.ROLE_ADMIN, "王科长")
        rows = (
            database.reader()
            .execute(
                "SELECT credit_code FROM enterprises WHERE year = 2024 AND scale = '规上' "
                "AND NOT exempt AND land_own_mu > 10 ORDER BY credit_code LIMIT 2"
            )
            .fetchall()
        )
    finally:
        database.close()
    return path, rows[0][0], rows[1][0]


@pytest.fixture
def server(store: tuple[Path, str, str], tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    with streamlit_app(store[0], tmp_path / "streamlit.log") as served:
        yield served


def _fill_date(page, panel, label: str, day: date) -> None:
    """Type a day into a Streamlit date input, one segment (year, month, day) at a time."""
    for part, value in (
        ("year", f"{day.year:04d}"),
        ("month", f"{day.month:02d}"),
        ("day", f"{day.day:02d}"),
    ):
        panel.get_by_role("spinbutton", name=f"{part}, {label}").click()
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    _settle(page)


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED, timeout=120_000)


def _no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.all_inner_texts()


def _expect_text(page, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=120_000)


def _tab(page, key: str):
    _settle(page)
    page.get_by_role("tab", name=T[f"tab_{key}"]).last.click()
    _settle(page)
    return page.locator('[role="tabpanel"]:visible').last


def _pick(scope, label: str, typed: str) -> None:
    """Type into a Streamlit selectbox/multiselect labelled `label` and take the first match."""
    box = scope.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has_text=label
    )
    box.first.locator("input").click()
    box.first.locator("input").fill(typed)
    scope.page.keyboard.press("Enter")


def test_official_walks_the_cycle(
    chromium_path: Path, server: tuple[str, subprocess.Popen], store: tuple[Path, str, str]
) -> None:
    from playwright.sync_api import sync_playwright

    url, process = server
    path, objector, retiered = store
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200}, locale="zh-CN")
        page.goto(f"{url}/evaluation?year=2024")
        _settle(page)
        _no_exception(page)

        # Log in as 管理员.
        main = page.locator('[data-testid="stMain"]')
        main.get_by_label(L["username"]).fill("wang")
        main.get_by_label(L["password"], exact=True).fill(PASSWORD)
        main.get_by_role("button", name=L["login"]).click()
        _settle(page)

        # Create: freeze 2024 under the default profile.
        page.get_by_text(T["create_heading"]).click()
        page.get_by_role("button", name=T["create_button"]).click()
        _expect_text(page, T["created"].format(run=1, year=2024))
        _no_exception(page)

        # Notice: 7 days that are already over (publishing waits for the end of the notice);
        # the notice list downloads.
        panel = _tab(page, "notice")
        _fill_date(page, panel, T["notice_start"], NOTICE_START)
        panel.get_by_role("button", name=T["notice_button"]).click()
        _expect_text(page, T["noticed"].format(run=1))
        panel = _tab(page, "notice")
        with page.expect_download(timeout=120_000) as download:
            panel.get_by_role("button", name=T["notice_xlsx"]).click()
        assert Path(download.value.path()).read_bytes()[:2] == b"PK"

        # Objection: registered with its grounds, then reviewed with the preview and accepted.
        panel = _tab(page, "objections")
        _pick(panel, T["firm"], objector)
        _settle(page)
        _fill_date(page, panel, T["received"], NOTICE_START + timedelta(days=2))
        panel.get_by_label(T["grounds"]).fill("税务部门出具的完税证明显示税收少计")
        panel.get_by_role("button", name=T["register_button"]).click()
        _expect_text(page, "已登记异议 1")
        panel = _tab(page, "objections")
        _pick(panel, T["correct_fields"], labels.TABLE_HEADERS["enterprises"]["tax"])
        page.keyboard.press("Escape")
        _settle(page)
        tax = labels.TABLE_HEADERS["enterprises"]["tax"]
        panel.get_by_role("textbox", name=tax, exact=True).fill("99999")
        page.keyboard.press("Tab")
        _settle(page)
        panel.get_by_role("button", name=T["preview_button"]).click()
        _expect_text(page, "家企业的排名或分类发生变化")
        _no_exception(page)
        page.screenshot(path=str(ARTIFACTS / "evaluation_preview.png"), full_page=True)
        panel.get_by_label(T["decision_reason"]).fill("采纳完税证明")
        page.keyboard.press("Tab")
        _settle(page)
        panel.get_by_role("button", name=T["accept_button"], exact=True).click()
        _expect_text(page, T["decided"].format(id=1, decision=evaluation.DECISIONS[0]))

        # Override: one firm to 不定级 with reason and basis.
        panel = _tab(page, "overrides")
        _pick(panel, T["firm"], retiered)
        _pick(panel, T["override_tier"], evaluation.NO_TIER)
        panel.get_by_label(T["override_reason"]).fill("新投产企业不定级")
        panel.get_by_label(T["override_basis"]).fill("评价办法第八条")
        panel.get_by_role("button", name=T["override_button"]).click()
        _expect_text(page, T["overridden"].format(code=retiered, tier=evaluation.NO_TIER))

        # Publish.
        panel = _tab(page, "publish")
        panel.get_by_text(T["publish_confirm"]).click()
        _settle(page)
        panel.get_by_role("button", name=T["publish_button"]).click()
        _expect_text(page, T["published"].format(run=1, year=2024))
        _no_exception(page)
        _tab(page, "audit")
        _expect_text(page, T["audit_ok"])
        page.screenshot(path=str(ARTIFACTS / "evaluation.png"), full_page=True)
        browser.close()

    process.terminate()  # the server holds the file; the store is checked directly after it
    process.wait(timeout=30)
    with duckdb.connect(str(path), read_only=True) as con:
        run = evaluation.get_run(con, 1)
        assert run.stage == evaluation.STAGE_PUBLISHED
        assert run.notice_start == NOTICE_START and run.notice_end < date.today()
        received = con.execute("SELECT received FROM eval_objections").fetchall()
        assert received == [(NOTICE_START + timedelta(days=2),)]
        result = evaluation.run_result(con, 1).set_index("credit_code")
        assert result.loc[objector, "tax"] == 99999
        assert result.loc[retiered, "override_tier"] == evaluation.NO_TIER
        actions = audit.log_frame(con, 1)["action"].tolist()
        assert audit.verify(con) == []
    assert actions[0] == labels.EVAL_TEXT["act_create"]
    assert labels.EVAL_TEXT["act_correct"] in actions
    assert labels.EVAL_TEXT["act_override"] in actions
    assert actions.count(labels.EVAL_TEXT["act_stage"]) == 2  # → 公示中, → 已发布

"""权重模拟 in headless Chromium: renders, a slider step updates the result, robustness runs.

Prints the slider-step time — key press until the LAST element of the page changed
(`benchmarks/browser_bench.py`'s clock, as `benchmarks/bench_pages.py` measures it) — beside the
same step on a trivial Streamlit page measured in the same run, and the robustness time; saves
tests/artifacts/whatif.png. Skipped without /usr/bin/chromium, except in CI (env CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import time
from pathlib import Path

import duckdb
import pytest

from muyun import profile, scoring, whatif
from ui.tables import ROW_HEIGHT_PX

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
_spec = importlib.util.spec_from_file_location("bench_whatif", REPO / "benchmarks/bench_whatif.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
from benchmarks import browser_bench as bb  # noqa: E402 (bench_whatif put REPO on sys.path)

pytestmark = pytest.mark.browser
STEPS = 5
WARMUP = 2
MATRIX_LABEL_PX, MATRIX_CELL_PX = 120, 95  # the matrix column widths set in ui/whatif_results.py


@pytest.fixture
def browser():
    if not Path(bench.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{bench.CHROMIUM} is missing in CI (.ci/run installs Debian's chromium)")
        pytest.skip(f"{bench.CHROMIUM} not installed")
    with bench.chromium() as launched:
        yield launched


def no_exception_box(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.all_inner_texts()


def moves(path: Path, tax_weight: float, before: str, after: str) -> int:
    """How many ranked 规上 firms the engine moves from `before` to `after` at this weight."""
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    settings = whatif.from_params({"w_tax_per_mu": tax_weight}, prof, "规上")[0]
    with duckdb.connect(str(path), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        data = scoring.load_year(con, year)
    pairs = whatif.paired(
        scoring.score_prepared(data, prof), whatif.rescore(data, prof, "规上", settings), "规上"
    )
    return int(whatif.migration_matrix(pairs).loc[before, after])


def click_matrix_cell(page, row: int, column: int) -> None:
    """Click a cell of the migration matrix (a canvas grid: fixed-height rows, fixed widths)."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    x = box["x"] + MATRIX_LABEL_PX + MATRIX_CELL_PX * column + 40
    y = box["y"] + ROW_HEIGHT_PX * (row + 1) + ROW_HEIGHT_PX // 2
    page.mouse.click(x, y)


def last_change_steps(context, url: str, label: str) -> tuple[object, list[float]]:
    """Open `url`, press → on the slider `label` WARMUP + STEPS times; ms per measured step
    until the last element of the page changed."""
    page, traffic = bb.new_tab(context)
    page.goto(url)
    bb.wait_complete(page, traffic, 0)
    thumb = bb.slider_thumb(page, label)
    thumb.scroll_into_view_if_needed()
    steps = [bb.step_slider(page, traffic, thumb)["ms"] for _ in range(WARMUP + STEPS)]
    return page, steps[WARMUP:]


def test_whatif_page_in_browser(browser, demo_db_copy: Path, capsys) -> None:
    tax_weight = 30 + 0.5 * (STEPS + WARMUP)  # where the slider ends after the warm-up and steps
    expected = moves(demo_db_copy, tax_weight, "B", "A")  # before the server locks the file
    assert expected > 0
    context = bb.new_context(browser, height=2600)
    with bench.streamlit_server(bench.TRIVIAL_APP) as url:
        page, trivial = last_change_steps(context, url, bench.TRIVIAL_SLIDER)
        page.close()

    with bench.streamlit_server(bench.APP, demo_db_copy) as url:
        page, steps = last_change_steps(context, f"{url}/whatif", bench.WHATIF_SLIDER)
        no_exception_box(page)
        total = 100.0 + 0.5 * (STEPS + WARMUP)
        assert page.get_by_text(f"{bench.DONE}{total:g} 分").count() == 1
        assert f"w_tax_per_mu={tax_weight:g}" in page.url, "the URL carries the scenario"
        no_exception_box(page)

        # A click on the matrix cell B → A lists exactly the firms that move from B to A.
        click_matrix_cell(page, row=1, column=0)
        page.get_by_text(f"分类变动企业（{expected} 家）").wait_for(timeout=30_000)

        started = time.perf_counter()
        page.get_by_role("button", name="运行稳健性分析").click()
        page.get_by_text("稳健性分析完成").wait_for(timeout=120_000)
        robust_s = time.perf_counter() - started
        no_exception_box(page)
        assert page.get_by_text("临界企业").count() >= 1

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "whatif.png"), full_page=True)

        page.goto(page.url)  # the shared address restores the scenario in a new session
        page.get_by_text(f"{bench.DONE}{total:g} 分").wait_for(timeout=120_000)
        no_exception_box(page)
        page.close()
    context.close()

    trivial_ms, whatif_ms = statistics.median(trivial), statistics.median(steps)
    with capsys.disabled():
        print(
            f"\n[whatif browser] slider step, key press → last element changed (median of "
            f"{STEPS}): what-if {whatif_ms:.0f} ms, trivial page {trivial_ms:.0f} ms, "
            f"ratio {whatif_ms / trivial_ms:.2f}× (target ≤ 3×); "
            f"robustness N=1,000 click → result {robust_s:.2f} s"
        )

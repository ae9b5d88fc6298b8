"""What-if speed, printed with a same-run baseline.

1. Browser: a slider step on the demo city's 权重模拟 page, from the key press on the slider to the
   updated result text, against the same step on a trivial Streamlit page (one slider, one
   text) served and driven the same way in the same run; the issue asks for ≤ 3×.
2. Engine: the page's slider step on the demo city — `whatif.prepare` once per (year, profile,
   scale), then per step `whatif.outcome` + `whatif.pair` (re-rank the prepared item scores) —
   beside a full re-score (`score_prepared`, the engine path the step is checked against);
   robustness with N = 1,000 random weight sets (the issue asks for < 2 s).
3. Province scale: the same prepare and step on a 200,000-firm year (built here, or `--province`
   an existing database, e.g. one made by `python -m muyun demo-data --enterprises 200000`).

    python benchmarks/bench_whatif.py [--steps 15] [--no-browser] [--no-200k] [--province PATH]

The browser helpers (server and Chromium in benchmarks/browser_bench.py, shared with
bench_pages.py) are also used by tests/test_browser_whatif.py, through this module's names.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.browser_bench import (  # noqa: E402 (needs REPO on sys.path)
    APP,
    CHROMIUM,
    TRIVIAL_APP,
    TRIVIAL_SLIDER,
    chromium,
    streamlit_server,
)

DONE = "计算完成 · 权重合计 "
WHATIF_SLIDER = "亩均税收（分）"

# Arms a listener for the next key press and a MutationObserver that stamps the moment the
# expected text is in the page; both in page time, so Python-side latency does not count.
_ARM_JS = """
(target) => {
  window.__muyunStep = null;
  window.__muyunStart = null;
  document.addEventListener('keydown', () => { window.__muyunStart = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (window.__muyunStart !== null && document.body.textContent.includes(target)) {
      window.__muyunStep = performance.now() - window.__muyunStart;
      observer.disconnect();
    }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def slider_steps(page, label: str, start_total: float, steps: int, warmup: int = 2) -> list[float]:
    """Press → on the slider labelled `label` `warmup + steps` times; ms per measured step.

    Each step raises the slider by its step (0.5), so the page's `DONE` text must show the new
    total; every step is a new setting (no cache hit on the page being measured).
    """
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    thumb.scroll_into_view_if_needed()
    times = []
    total = start_total
    for i in range(warmup + steps):
        total += 0.5
        target = f"{DONE}{total:g} 分"
        page.evaluate(_ARM_JS, target)
        thumb.press("ArrowRight")
        page.wait_for_function("window.__muyunStep !== null", timeout=60_000)
        if i >= warmup:
            times.append(page.evaluate("window.__muyunStep"))
    return times


def open_page(browser, url: str, width: int = 1500, height: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.get_by_text(DONE).first.wait_for(timeout=120_000)
    return page


def browser_step_ratio(db: Path, steps: int) -> dict[str, float]:
    """Median ms of a slider step: what-if page on `db` vs the trivial page, same run."""
    with chromium() as browser:
        with streamlit_server(TRIVIAL_APP) as url:
            page = open_page(browser, url)
            trivial = slider_steps(page, TRIVIAL_SLIDER, 30.0, steps)
            page.close()
        with streamlit_server(APP, db) as url:
            page = open_page(browser, f"{url}/whatif")
            whatif_times = slider_steps(page, WHATIF_SLIDER, 100.0, steps)
            page.close()
    out = {"trivial_ms": statistics.median(trivial), "whatif_ms": statistics.median(whatif_times)}
    out["ratio"] = out["whatif_ms"] / out["trivial_ms"]
    return out


def page_step(data, prof, scale: str, steps: int) -> dict[str, float]:
    """What the page does: `prepare` from the live score (once), then `steps` slider steps of
    `outcome` + `pair` against the baseline; also the full re-score of one step, for scale.
    Times in ms (medians; the first step is left out as a warm-up)."""
    from muyun import scoring, whatif

    started = time.perf_counter()
    scored = scoring.score_prepared(data, prof)
    score_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ranked = whatif.prepare(data, prof, scale, None, scored)
    prepare_ms = (time.perf_counter() - started) * 1000
    step, rescore = [], []
    for i in range(steps + 1):
        settings = whatif.from_params({"w_tax_per_mu": 30.5 + 0.5 * i}, prof, scale)[0]
        started = time.perf_counter()
        result = whatif.outcome(ranked, prof, settings, lambda: data)
        whatif.pair(ranked, ranked.baseline, result)
        step.append(time.perf_counter() - started)
        if i < 3:
            started = time.perf_counter()
            whatif.rescore(data, prof, scale, settings)
            rescore.append(time.perf_counter() - started)
    return {
        "ranked": float(len(ranked)),
        "exact": float(ranked.exact),
        "score_ms": score_ms,
        "prepare_ms": prepare_ms,
        "step_ms": statistics.median(step[1:]) * 1000,
        "rescore_ms": statistics.median(rescore) * 1000,
    }


def print_step(where: str, step: dict[str, float]) -> None:
    print(
        f"  slider step {where} ({step['ranked']:,.0f} ranked, fast path "
        f"{'exact' if step['exact'] else 'NOT exact: engine per step'}): prepare "
        f"{step['prepare_ms']:.0f} ms once (after scoring the year, {step['score_ms']:.0f} ms); "
        f"outcome + pair {step['step_ms']:.1f} ms per step (median); "
        f"a full re-score would take {step['rescore_ms']:.0f} ms"
    )


def engine_numbers(db: Path) -> dict[str, float]:
    """The page's slider step and N = 1,000 robustness on the demo city (latest year)."""
    from muyun import db as store
    from muyun import profile, scoring, whatif

    con = store.connect(db, read_only=True)
    year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    data = scoring.load_year(con, year)
    out = {"firms": float(len(data)), **page_step(data, prof, "规上", 20)}
    for scale in ("规上", "规下"):
        scored = scoring.score_prepared(data, prof)
        started = time.perf_counter()
        result = whatif.robustness(scored, prof, scale, runs=whatif.ROBUSTNESS_RUNS)
        out[f"robust_{scale}_s"] = time.perf_counter() - started
        out[f"robust_{scale}_firms"] = float(len(result.firms))
    con.close()
    return out


def province_step(path: Path | None = None, enterprises: int = 200_000) -> dict[str, float]:
    """The page's slider step on the latest year of a province-size database: `path` (opened
    read-only), or one built here with `enterprises` firms."""
    from muyun import db as store
    from muyun import demo, profile, scoring

    with tempfile.TemporaryDirectory() as tmp:
        built = 0.0
        if path is None:
            path = Path(tmp) / "province.duckdb"
            started = time.perf_counter()
            demo.build_demo_database(path, enterprises=enterprises)
            built = time.perf_counter() - started
        con = store.connect(path, read_only=True)
        year = con.execute("SELECT max(year) FROM enterprises").fetchall()[0][0]
        data = scoring.load_year(con, year)
        con.close()
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    return {"firms": float(len(data)), "build_s": built, **page_step(data, prof, "规上", 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=15, help="measured slider steps per page")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser comparison")
    parser.add_argument("--no-200k", action="store_true", help="skip the 200,000-firm step")
    parser.add_argument(
        "--province", type=Path, help="an existing province-size database (read-only)"
    )
    args = parser.parse_args()

    from muyun import demo

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        demo.build_demo_database(db)
        engine = engine_numbers(db)
        print(f"demo city: {engine['firms']:,.0f} firms in the latest year")
        print_step("(engine)", engine)
        for scale in ("规上", "规下"):
            print(
                f"  robustness N=1,000, {scale} ({engine[f'robust_{scale}_firms']:,.0f} ranked): "
                f"{engine[f'robust_{scale}_s']:.2f} s (target < 2 s)"
            )
        if not args.no_browser:
            if not Path(CHROMIUM).exists():
                print(f"browser comparison skipped: {CHROMIUM} not found")
            else:
                ratio = browser_step_ratio(db, args.steps)
                print(f"browser slider step (median of {args.steps}, key press → updated text):")
                print(f"  trivial Streamlit page: {ratio['trivial_ms']:.0f} ms")
                print(f"  what-if page, demo city: {ratio['whatif_ms']:.0f} ms")
                print(f"  ratio: {ratio['ratio']:.2f}× (target ≤ 3×)")
    if not args.no_200k:
        big = province_step(args.province)
        built = f" (database built in {big['build_s']:.1f} s)" if big["build_s"] else ""
        print(f"province scale: {big['firms']:,.0f} firms in one year{built}")
        print_step("(engine)", big)


if __name__ == "__main__":
    main()

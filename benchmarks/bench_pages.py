"""Every page of the app in a real browser, at city and province scale, against a trivial page.

Measured in headless Chromium (Playwright, /usr/bin/chromium), all in one run:

1. Baseline: the trivial Streamlit page (benchmarks/trivial_slider_app.py: one slider, one
   text) — first visit, warm visit and a slider step, timed by the same code.
2. For each scale of data (city, province) × every page in `labels.NAV_SECTIONS` × the sidebar
   scale filter (`?scale=规上` / `?scale=规下`), with a fresh server per run (medians of --runs):
   first visit after the server started, warm visit (same server, a new tab), and the bytes the
   server sent to the tab (websocket frame payloads + media/component HTTP responses), and the
   CPU seconds the server process used during each visit (less sensitive than wall time to
   other work on the machine: the "cpu" columns). Then the switch: in a tab that has 总览 open
   (行业排名 for 总览 itself), a click on the page in the sidebar, timed from the click until
   the last element changed — how an official moves between pages. A new tab pays for loading
   Streamlit's and its charts' JavaScript every time (the trivial page alone takes most of a
   second); a switch does not.
3. The what-if slider step (/whatif, slider 亩均税收（分）, key →) until the LAST element changed,
   for both scale filters, and its ratio to the trivial page's step.
4. Server memory (province DB): peak RSS of the server process and its children, sampled every
   100 ms, over a fixed exploration — every page × every shipped profile (data/profiles/*.toml,
   `?profile=`) × both scale filters, with two slider steps on /whatif — run twice; RSS after
   each pass and the peak.

"Complete" is defined in benchmarks/browser_bench.py (script finished, status widget gone, no
placeholders or requests pending, no DOM change for --quiet-ms); times are to the last DOM
change. Pages are served from a private copy of each database (the server opens it for writing
and takes DuckDB's file lock); the copy gets one account, so anonymous visitors see the login
form as in a deployment. `/firm` (a firm's private link, `?t=`) is not in the navigation and is
not measured.

    python benchmarks/bench_pages.py [--pages overview,rankings] [--scales city,province]
        [--runs 3] [--steps 5] [--no-memory] [--only-slider] [--json out.json]
        [--city PATH] [--province PATH] [--build-missing] [--app PATH] [--quiet-ms 300]

The app is served as the README starts it (`server.py`). `--app` serves another entry or
checkout, e.g. the last commit for a before/after picture: `git archive HEAD | tar -x -C
/tmp/head` then `--app /tmp/head/server.py` (or `/tmp/head/app.py` before server.py existed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import browser_bench as bb  # noqa: E402 (needs REPO on sys.path)

DEFAULT_DBS = {"city": Path("/tmp/p15/city.duckdb"), "province": Path("/tmp/p15/prov.duckdb")}
PROVINCE_FIRMS = 200_000
WHATIF_SLIDER = "亩均税收（分）"
SCALE_PARAM = "scale"  # ui/filters.py: the radio's key is its URL parameter
PROFILE_PARAM = "profile"
DEFAULT_PAGE = "overview"  # app.py: st.navigation's default page answers at "/" only
SKIPPED_PAGES = {"firm": "needs a firm's private link (?t=); not in the officials' navigation"}
ERROR_TEXT = "出错"
MB = 1e6

# The targets (issue 15, "Done when"); a cell beyond one is flagged with "!".
TARGETS: dict[str, dict[str, float]] = {
    "province": {"first_s": 5.0, "warm_s": 2.0, "mb": 5.0, "slider_s": 0.5},
    "city": {"warm_s": 1.0, "slider_ratio": 3.0},
}
MEMORY_TARGET_MB = 1500.0
GROWTH_TOLERANCE = 0.05  # pass 2 may end at most 5 % above pass 1 ("does not grow")


def nav_pages() -> list[str]:
    """The pages an official can open, in menu order (read from the app's own labels)."""
    from muyun import labels

    return [stem for stems in labels.NAV_SECTIONS.values() for stem in stems]


def shipped_profiles() -> list[str]:
    return sorted(path.stem for path in (REPO / "data" / "profiles").glob("*.toml"))


def scale_filters() -> tuple[str, ...]:
    from muyun import labels

    return labels.SCALES


def page_url(base: str, stem: str, scale: str, profile: str | None = None) -> str:
    params = {SCALE_PARAM: scale}
    if profile is not None:
        params[PROFILE_PARAM] = profile
    path = "" if stem == DEFAULT_PAGE else stem  # "/overview" would be "Page not found"
    return f"{base}/{path}?{urlencode(params)}"


# ── one visit ────────────────────────────────────────────────────────────────────────────────

_INSPECT_JS = """
(needles) => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const text = main.innerText || '';
  const exceptions = Array.from(document.querySelectorAll('[data-testid="stException"]'))
    .map((e) => e.innerText.slice(0, 200));
  const alerts = Array.from(document.querySelectorAll('[data-testid="stAlertContentError"]'))
    .map((e) => e.innerText.slice(0, 120));
  return {
    exceptions,
    alerts,
    errorText: needles.error && text.includes(needles.error)
      ? text.slice(Math.max(0, text.indexOf(needles.error) - 60),
                   text.indexOf(needles.error) + 60) : null,
    storeError: !!(needles.store && text.includes(needles.store)),
    passwords: main.querySelectorAll('input[type="password"]').length,
    loginNote: needles.login.filter((n) => n && text.includes(n)).length > 0,
    elements: main.querySelectorAll('[data-testid="stElementContainer"]').length,
  };
}
"""


def _needles() -> dict[str, Any]:
    from muyun import labels

    login = labels.ADMIN_LOGIN_TEXT
    return {
        "error": ERROR_TEXT,
        "store": labels.STORE_ERROR_TEXT.get("page"),
        "login": [login.get("needed"), login.get("no_accounts"), login.get("read_only")],
    }


def inspect(page: Any) -> dict[str, Any]:
    """Errors shown, and whether the page asks an anonymous visitor to log in."""
    found = page.evaluate(_INSPECT_JS, _needles())
    out: dict[str, Any] = {"elements": found["elements"]}
    errors = [f"exception: {text}" for text in found["exceptions"]]
    if found["storeError"]:
        errors.append("store error page")
    if found["errorText"]:
        errors.append(f"text '{ERROR_TEXT}': {found['errorText']}")
    if errors:
        out["error"] = "; ".join(errors)
    if found["alerts"]:
        out["alerts"] = found["alerts"]
    if found["passwords"]:
        out["login"] = "form"
    elif found["loginNote"]:
        out["login"] = "note"
    return out


def visit(
    context: Any, url: str, timeout_s: float, quiet_ms: int, server: bb.Server | None = None
) -> dict[str, Any]:
    """Open `url` in a new tab until it is complete; time, bytes, errors. Never raises."""
    from playwright.sync_api import Error as PlaywrightError

    page, traffic = bb.new_tab(context)
    started = time.monotonic()
    cpu = server.cpu_seconds() if server else 0.0
    result: dict[str, Any] = {"url": url}
    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        state = bb.wait_complete(page, traffic, 0, quiet_ms, timeout_s)
        result["s"] = state["last"] / 1000
        result["busy_s"] = max(state["last"], state["longTask"]) / 1000
        result.update(inspect(page))
    except (bb.PageTimeout, PlaywrightError) as exc:
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    result["wall_s"] = time.monotonic() - started
    if server is not None:
        result["server_cpu_s"] = server.cpu_seconds() - cpu
    result["ws_bytes"] = traffic.ws_bytes
    result["http_bytes"] = traffic.extra_http_bytes()
    result["bytes"] = result["ws_bytes"] + result["http_bytes"]
    with contextlib.suppress(PlaywrightError):
        page.close()
    return result


def switch(
    context: Any,
    base: str,
    stem: str,
    scale: str,
    timeout_s: float,
    quiet_ms: int,
    server: bb.Server | None = None,
) -> dict[str, Any]:
    """Open 总览 (or 行业排名, to reach 总览) in a tab, then click `stem` in the sidebar; time
    from the click until the page is complete, bytes and server CPU of the switch. Never raises."""
    from playwright.sync_api import Error as PlaywrightError

    origin = "rankings" if stem == "overview" else "overview"
    page, traffic = bb.new_tab(context)
    result: dict[str, Any] = {"url": page_url(base, stem, scale), "from": origin}
    try:
        page.goto(page_url(base, origin, scale), wait_until="commit", timeout=timeout_s * 1000)
        bb.wait_complete(page, traffic, 0, quiet_ms, timeout_s)
        link = page.locator('[data-testid="stSidebarNav"] a').nth(nav_pages().index(stem))
        cpu = server.cpu_seconds() if server else 0.0
        step = bb.click_and_wait(page, traffic, link, quiet_ms, timeout_s)
        if server is not None:
            result["server_cpu_s"] = server.cpu_seconds() - cpu
        result["s"], result["busy_s"] = step["ms"] / 1000, step["busy_ms"] / 1000
        result["bytes"] = step["bytes"]
        result.update(inspect(page))
    except (bb.PageTimeout, PlaywrightError, RuntimeError) as exc:
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    with contextlib.suppress(PlaywrightError):
        page.close()
    return result


def slider_steps(
    context: Any, url: str, label: str, steps: int, warmup: int, timeout_s: float, quiet_ms: int
) -> dict[str, Any]:
    """Open `url`, then step the slider labelled `label` with the arrow keys; ms per step."""
    from playwright.sync_api import Error as PlaywrightError

    page, traffic = bb.new_tab(context)
    out: dict[str, Any] = {"url": url, "label": label}
    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        bb.wait_complete(page, traffic, 0, quiet_ms, timeout_s)
        thumb = bb.slider_thumb(page, label)
        if thumb.count() == 0:
            out["no_slider"] = True  # e.g. a profile without that indicator for this scale
            raise RuntimeError(f"no slider labelled {label}")
        thumb.scroll_into_view_if_needed()
        now, top = thumb.get_attribute("aria-valuenow"), thumb.get_attribute("aria-valuemax")
        key = "ArrowLeft" if now is not None and now == top else "ArrowRight"
        measured = [
            bb.step_slider(page, traffic, thumb, key, quiet_ms) for _ in range(warmup + steps)
        ][warmup:]
        out["key"] = key
        out["steps_ms"] = [m["ms"] for m in measured]
        out["ms"] = statistics.median(out["steps_ms"])
        out["busy_ms"] = statistics.median(m["busy_ms"] for m in measured)
        out["bytes"] = statistics.median(m["bytes"] for m in measured)
        out.update({k: v for k, v in inspect(page).items() if k == "error"})
    except (bb.PageTimeout, PlaywrightError, RuntimeError) as exc:
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    with contextlib.suppress(PlaywrightError):
        page.close()
    return out


# ── servers and databases ───────────────────────────────────────────────────────────────────


def prepare_db(source: Path, workdir: Path) -> Path:
    """A private, writable copy of `source` with one account (anonymous visitors then see the
    login form, as in a deployment); the source stays untouched."""
    copy = workdir / source.name
    shutil.copy2(source, copy)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, copy.with_name(copy.name + ".wal"))
    env = os.environ.copy()
    env["MUYUN_NEW_PASSWORD"] = secrets.token_urlsafe(16)
    command = [sys.executable, "-m", "muyun", "account", "add", "--db", str(copy)]
    command += ["--username", "bench", "--role", "管理员", "--name", "基准测试"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  (no account added: {(done.stderr or done.stdout).strip()[:200]})")
    return copy


def firms_in_latest_year(db: Path) -> int | None:
    import duckdb

    with contextlib.suppress(Exception), duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM enterprises WHERE year = (SELECT max(year) FROM enterprises)"
        ).fetchone()
        return int(row[0]) if row else None
    return None


def ensure_db(kind: str, path: Path, build: bool) -> bool:
    """Whether `path` exists; builds the demo database there first when asked to."""
    if path.exists():
        return True
    if not build:
        print(f"{kind}: {path} is missing (use --build-missing to build it); skipped")
        return False
    command = [sys.executable, "-m", "muyun", "demo-data", "--db", str(path)]
    if kind == "province":
        command += ["--enterprises", str(PROVINCE_FIRMS)]
    print(f"{kind}: building {path} ({' '.join(command[2:])}) …", flush=True)
    subprocess.run(command, cwd=REPO, check=True)
    return True


class RssSampler:
    """Peak RSS of a process and all its children, sampled every `interval` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self.window_peak = 0  # since the last `new_window()`: one pass of the exploration
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> int:
        import psutil

        total = 0
        for proc in [self._process, *self._process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                rss = self.current()
                self.peak = max(self.peak, rss)
                self.window_peak = max(self.window_peak, rss)
            self._stop.wait(self._interval)

    def new_window(self) -> None:
        self.window_peak = 0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def app_server(args: argparse.Namespace, db: Path) -> Iterator[bb.Server]:
    """The app under test (--app, default this checkout's server.py) on `db`."""
    with bb.streamlit_process(args.app, db, cwd=args.app.parent) as server:
        yield server


def note_errors(server: bb.Server, rows: list[dict[str, Any]]) -> None:
    """Attach the end of the server log to rows that failed (the traceback is there)."""
    tail = None
    for row in rows:
        if "error" in row:
            tail = tail if tail is not None else server.log_tail()
            row["server_log"] = tail


@contextlib.contextmanager
def fresh_context(browser: Any) -> Iterator[Any]:
    context = bb.new_context(browser)
    try:
        yield context
    finally:
        context.close()


# ── the measurements ───────────────────────────────────────────────────────────────────────


def measure_trivial(browser: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The trivial page: first and warm visit (fresh server per run) and its slider step."""
    first, warm = [], []
    for _ in range(0 if args.only_slider else args.runs):
        with bb.streamlit_process(bb.TRIVIAL_APP) as server, fresh_context(browser) as context:
            first.append(visit(context, server.url, args.timeout, args.quiet_ms, server))
            warm.append(visit(context, server.url, args.timeout, args.quiet_ms, server))
    with bb.streamlit_server(bb.TRIVIAL_APP) as url, fresh_context(browser) as context:
        slider = slider_steps(
            context, url, bb.TRIVIAL_SLIDER, args.steps, 2, args.timeout, args.quiet_ms
        )
    return {"first": first, "warm": warm, "slider": slider, **summarise(first, warm)}


def summarise(
    first: list[dict[str, Any]],
    warm: list[dict[str, Any]],
    switches: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Medians over the runs that completed without an error."""
    switches = switches or []

    def med(rows: list[dict[str, Any]], key: str) -> float | None:
        values = [row[key] for row in rows if key in row and "error" not in row]
        return statistics.median(values) if values else None

    out: dict[str, Any] = {"first_s": med(first, "s"), "warm_s": med(warm, "s")}
    out["first_busy_s"] = med(first, "busy_s")
    out["warm_busy_s"] = med(warm, "busy_s")
    out["first_cpu_s"] = med(first, "server_cpu_s")
    out["warm_cpu_s"] = med(warm, "server_cpu_s")
    out["switch_s"] = med(switches, "s")
    out["switch_cpu_s"] = med(switches, "server_cpu_s")
    sent = [med(first, "bytes"), med(warm, "bytes")]
    out["mb"] = max(v for v in sent if v is not None) / MB if any(sent) else None
    errors = sorted({row["error"] for row in first + warm + switches if "error" in row})
    if errors:
        out["error"] = " | ".join(errors)
    logins = {str(row["login"]) for row in first + warm if row.get("login")}
    if logins:
        out["login"] = "/".join(sorted(logins))
    alerts = {a for row in first + warm for a in row.get("alerts", [])}
    if alerts:
        out["alerts"] = sorted(alerts)
    return out


def measure_scale(browser: Any, kind: str, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every page × scale filter (fresh server per run) and the slider, on one database."""
    out: dict[str, Any] = {"db": str(db), "firms": firms_in_latest_year(db), "pages": {}}
    print(f"{kind}: priming the server on {db.name} (migrations, OS cache; not measured)")
    with app_server(args, db) as server, fresh_context(browser) as context:
        primed = visit(context, page_url(server.url, "data", scale_filters()[0]), 60, 300)
        if "error" in primed:
            print(f"  priming visit: {primed['error']}\n{server.log_tail(1500)}")
    if not args.only_slider:
        for stem in args.pages:
            out["pages"][stem] = {}
            for scale in scale_filters():
                first, warm, switches = [], [], []
                for _ in range(args.runs):
                    with app_server(args, db) as server, fresh_context(browser) as context:
                        target = page_url(server.url, stem, scale)
                        first.append(visit(context, target, args.timeout, args.quiet_ms, server))
                        warm.append(visit(context, target, args.timeout, args.quiet_ms, server))
                        switches.append(
                            switch(
                                context,
                                server.url,
                                stem,
                                scale,
                                args.timeout,
                                args.quiet_ms,
                                server,
                            )
                        )
                        note_errors(server, first[-1:] + warm[-1:] + switches[-1:])
                cell = {
                    "first": first,
                    "warm": warm,
                    "switch": switches,
                    **summarise(first, warm, switches),
                }
                out["pages"][stem][scale] = cell
                print(f"  {stem:<11} {scale}  {cell_line(cell)}", flush=True)
    out["slider"] = {}
    with app_server(args, db) as server, fresh_context(browser) as context:
        for scale in scale_filters():
            step = slider_steps(
                context,
                page_url(server.url, "whatif", scale),
                WHATIF_SLIDER,
                args.steps,
                2,
                args.timeout,
                args.quiet_ms,
            )
            note_errors(server, [step])
            out["slider"][scale] = step
            shown = step.get("error") or f"{step['ms']:.0f} ms"
            print(f"  slider step whatif {scale}: {shown}", flush=True)
    return out


def measure_memory(browser: Any, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Peak server RSS over two identical passes of every page × profile × scale filter."""
    profiles = shipped_profiles()
    out: dict[str, Any] = {"db": str(db), "profiles": profiles, "pages": args.pages, "passes": []}
    with (
        app_server(args, db) as server,
        RssSampler(server.process.pid) as sampler,
        fresh_context(browser) as context,
    ):
        out["rss_start_mb"] = sampler.current() / MB
        for number in (1, 2):
            started = time.monotonic()
            sampler.new_window()
            errors = []
            for stem in args.pages:
                for profile in profiles:
                    for scale in scale_filters():
                        url = page_url(server.url, stem, scale, profile)
                        if stem == "whatif":
                            row = slider_steps(
                                context, url, WHATIF_SLIDER, 2, 0, args.timeout, args.quiet_ms
                            )
                        else:
                            row = visit(context, url, args.timeout, args.quiet_ms)
                        if "error" in row and not row.get("no_slider"):
                            errors.append(f"{stem} {profile} {scale}: {row['error']}")
                            if len(errors) <= 3:  # the first tracebacks are enough
                                note_errors(server, [row])
                                out.setdefault("server_logs", []).append(row["server_log"])
                print(
                    f"    pass {number} {stem:<11} RSS {sampler.current() / MB:,.0f} MB, "
                    f"peak {sampler.peak / MB:,.0f} MB",
                    flush=True,
                )
            time.sleep(2)
            summary = {
                "rss_after_mb": sampler.current() / MB,
                "peak_mb": sampler.window_peak / MB,
                "seconds": time.monotonic() - started,
                "errors": errors,
            }
            out["passes"].append(summary)
            print(
                f"  memory pass {number}: RSS {summary['rss_after_mb']:,.0f} MB after, "
                f"peak during the pass {summary['peak_mb']:,.0f} MB "
                f"({summary['seconds']:.0f} s, {len(errors)} errors)",
                flush=True,
            )
        out["peak_mb"] = sampler.peak / MB
    return out


# ── the report ──────────────────────────────────────────────────────────────────────────────


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def cell_line(cell: dict[str, Any]) -> str:
    return (
        f"first {_fmt(cell['first_s'])} s, warm {_fmt(cell['warm_s'])} s, "
        f"switch {_fmt(cell.get('switch_s'))} s, {_fmt(cell['mb'])} MB"
        + (f"  ERROR {cell['error'][:120]}" if "error" in cell else "")
    )


def flags_for(kind: str, cell: dict[str, Any]) -> list[str]:
    targets = TARGETS.get(kind, {})
    flags = []
    # A switch between pages is held to the warm target too: it is the other way to come back.
    checks = (("first_s", "first", "first_s"), ("warm_s", "warm", "warm_s"))
    checks += (("switch_s", "switch", "warm_s"), ("mb", "MB", "mb"))
    for key, name, target in checks:
        if target in targets and cell.get(key) is not None and cell[key] > targets[target]:
            flags.append(f"{name}>{targets[target]:g}")
    if "error" in cell:
        flags.append("ERROR")
    return flags


def print_scale(kind: str, data: dict[str, Any], trivial: dict[str, Any]) -> None:
    firms = f"{data['firms']:,} firms in the latest year" if data.get("firms") else "?"
    print(f"\n== {kind}: {data['db']} ({firms}) ==")
    if data["pages"]:
        head = (
            f"{'page':<11} {'scale':<4} {'first s':>8} {'×triv':>6} {'warm s':>7} {'×triv':>6} "
            f"{'switch s':>8} {'MB sent':>8} {'cpu 1st':>7} {'cpu warm':>8} {'cpu sw':>6} "
            f"{'login':<6} flags"
        )
        print(head)
        print("-" * len(head))
        for stem, cells in data["pages"].items():
            for scale, cell in cells.items():
                flags = flags_for(kind, cell)
                print(
                    f"{stem:<11} {scale:<4} {_fmt(cell['first_s']):>8} "
                    f"{_fmt(_ratio(cell['first_s'], trivial['first_s']), 1):>6} "
                    f"{_fmt(cell['warm_s']):>7} "
                    f"{_fmt(_ratio(cell['warm_s'], trivial['warm_s']), 1):>6} "
                    f"{_fmt(cell.get('switch_s')):>8} "
                    f"{_fmt(cell['mb']):>8} {_fmt(cell.get('first_cpu_s'), 1):>7} "
                    f"{_fmt(cell.get('warm_cpu_s'), 1):>8} {_fmt(cell.get('switch_cpu_s'), 1):>6} "
                    f"{cell.get('login', ''):<6} " + " ".join(f"!{f}" for f in flags)
                )
    triv_ms = trivial["slider"].get("ms")
    for scale, step in data.get("slider", {}).items():
        if "error" in step:
            print(f"slider step /whatif {scale}: ERROR {step['error']}")
            continue
        ratio = _ratio(step["ms"], triv_ms)
        targets = TARGETS.get(kind, {})
        flags = []
        if "slider_s" in targets and step["ms"] / 1000 > targets["slider_s"]:
            flags.append(f"!>{targets['slider_s']:g}s")
        if "slider_ratio" in targets and ratio is not None and ratio > targets["slider_ratio"]:
            flags.append(f"!>{targets['slider_ratio']:g}×")
        print(
            f"slider step /whatif {scale} ({WHATIF_SLIDER}, {step['key']}, median of "
            f"{len(step['steps_ms'])}): {step['ms']:.0f} ms to the last change "
            f"(main thread busy until {step['busy_ms']:.0f} ms; "
            f"{step['bytes'] / 1000:,.0f} kB/step); "
            f"{_fmt(ratio, 1)}× the trivial page {' '.join(flags)}"
        )


def print_report(results: dict[str, Any]) -> None:
    if "trivial" not in results:  # --only-memory
        print_memory(results.get("memory"))
        return
    trivial = results["trivial"]
    step = trivial["slider"]
    print("\n== trivial Streamlit page (same run) ==")
    print(
        f"first visit {_fmt(trivial['first_s'])} s, warm {_fmt(trivial['warm_s'])} s, "
        f"{_fmt(trivial['mb'], 3)} MB; slider step "
        + (
            step["error"]
            if "error" in step
            else f"{step['ms']:.0f} ms (median of {len(step['steps_ms'])})"
        )
    )
    for kind, data in results["scales"].items():
        print_scale(kind, data, trivial)
    login = sorted(
        {
            stem
            for data in results["scales"].values()
            for stem, cells in data["pages"].items()
            for cell in cells.values()
            if cell.get("login")
        }
    )
    if login:
        print(f"\npages that show anonymous visitors a login form/note: {', '.join(login)}")
    for stem, why in SKIPPED_PAGES.items():
        print(f"not measured: /{stem} ({why})")
    print_memory(results.get("memory"))


def print_memory(memory: dict[str, Any] | None) -> None:
    """Pass by pass RSS of the exploration, flagged against the issue's targets."""
    if memory:
        passes = memory["passes"]
        growth = passes[1]["rss_after_mb"] / passes[0]["rss_after_mb"] - 1
        peak_growth = passes[1]["peak_mb"] / passes[0]["peak_mb"] - 1
        flags = []
        if memory["peak_mb"] > MEMORY_TARGET_MB:
            flags.append(f"!peak>{MEMORY_TARGET_MB:,.0f} MB")
        if max(growth, peak_growth) > GROWTH_TOLERANCE:
            flags.append("!grew on pass 2")
        print(
            f"\n== server memory ({len(memory['pages'])} pages × {len(memory['profiles'])} "
            f"profiles × 2 scale filters, twice; province DB) =="
        )
        print(f"RSS at start {memory['rss_start_mb']:,.0f} MB")
        for number, one in enumerate(passes, 1):
            print(
                f"pass {number}: RSS after {one['rss_after_mb']:,.0f} MB, "
                f"peak during the pass {one['peak_mb']:,.0f} MB ({one['seconds']:.0f} s)"
            )
        print(
            f"pass 2 vs 1: after {growth:+.0%}, peak {peak_growth:+.0%}; "
            f"overall peak {memory['peak_mb']:,.0f} MB {' '.join(flags)}"
        )
        for number, one in enumerate(passes, 1):
            for error in one["errors"]:
                print(f"  pass {number} error: {error}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", help="comma-separated page stems (default: every page)")
    parser.add_argument("--scales", default="city,province", help="city,province")
    parser.add_argument("--runs", type=int, default=3, help="fresh servers per page (medians)")
    parser.add_argument("--steps", type=int, default=5, help="measured slider steps")
    parser.add_argument("--city", type=Path, default=DEFAULT_DBS["city"])
    parser.add_argument("--province", type=Path, default=DEFAULT_DBS["province"])
    parser.add_argument("--build-missing", action="store_true", help="build a missing demo DB")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory exploration")
    parser.add_argument("--only-slider", action="store_true", help="only the slider steps")
    parser.add_argument(
        "--only-memory", action="store_true", help="only the memory exploration (province)"
    )
    parser.add_argument("--quiet-ms", type=int, default=bb.QUIET_MS, help="quiet period")
    parser.add_argument("--timeout", type=float, default=bb.PAGE_TIMEOUT_S, help="s per page")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument(
        "--app",
        type=Path,
        default=bb.APP,
        help="server.py or app.py to serve (e.g. of an exported commit)",
    )
    args = parser.parse_args()
    known = nav_pages()
    args.app = args.app.resolve()
    args.pages = args.pages.split(",") if args.pages else known
    unknown = [stem for stem in args.pages if stem not in known]
    if unknown:
        parser.error(f"unknown pages {unknown}; known: {','.join(known)}")
    args.scales = args.scales.split(",")
    if set(args.scales) - set(DEFAULT_DBS):
        parser.error("--scales takes city and/or province")
    return args


def main() -> None:
    args = parse_args()
    if not Path(bb.CHROMIUM).exists():
        sys.exit(f"{bb.CHROMIUM} not found")
    dbs = {"city": args.city, "province": args.province}
    results: dict[str, Any] = {
        "meta": {
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "runs": args.runs,
            "steps": args.steps,
            "quiet_ms": args.quiet_ms,
            "pages": args.pages,
            "load_average_at_start": os.getloadavg(),
            "cpus": os.cpu_count(),
            "app": str(args.app),
        },
        "scales": {},
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp, bb.chromium() as browser:
        if not args.only_memory:
            print("trivial page …", flush=True)
            results["trivial"] = measure_trivial(browser, args)
        copies = {}
        for kind in ["province"] if args.only_memory else args.scales:
            if not ensure_db(kind, dbs[kind], args.build_missing):
                continue
            workdir = Path(tmp) / kind
            workdir.mkdir()
            copies[kind] = prepare_db(dbs[kind], workdir)
            if not args.only_memory:
                results["scales"][kind] = measure_scale(browser, kind, copies[kind], args)
        if not (args.no_memory or args.only_slider) and "province" in copies:
            print("memory exploration (province) …", flush=True)
            results["memory"] = measure_memory(browser, copies["province"], args)
    results["meta"]["seconds"] = time.monotonic() - started
    results["meta"]["load_average_at_end"] = os.getloadavg()
    print_report(results)
    print(
        f"\n({results['meta']['seconds'] / 60:.1f} min; load average at start/end "
        f"{results['meta']['load_average_at_start'][0]:.1f}/"
        f"{results['meta']['load_average_at_end'][0]:.1f} on {os.cpu_count()} CPUs — "
        "numbers are noisy when other work runs)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()

"""Shared machinery of the browser benchmarks: a Streamlit server, headless Chromium, and the
"page is complete" clock.

Why one module: bench_whatif.py and bench_pages.py must time pages the same way, and the issue
asks for ratios against a trivial page measured by the same code in the same run.

Completion criterion (`wait_complete`): the page counts as complete when
  1. Streamlit's script run has finished (a `script_finished` ForwardMsg arrived on the
     websocket and no new run started after it),
  2. the status widget (`[data-testid="stStatusWidget"]`, "Running…") is gone,
  3. no lazily loaded element is still a placeholder (`stSkeleton`) and no HTTP request of the
     tab is in flight (Streamlit loads an element's code on first use),
  4. no DOM mutation, websocket frame or HTTP request for `quiet_ms`.
The time reported is the page-clock stamp of the LAST DOM mutation (childList, attributes,
characterData anywhere in the document except Streamlit's header, whose running-man icon
animates while a script runs, and the fallback content inside a <canvas>, which nobody sees),
so the quiet period itself is not counted. For a page visit the clock starts at navigation start
(`performance.now()` is relative to it); for a slider step at the keydown event.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP = REPO / "server.py"  # as the README starts it (app.py with the modules preloaded)
TRIVIAL_APP = REPO / "benchmarks" / "trivial_slider_app.py"
TRIVIAL_SLIDER = "权重（分）"
QUIET_MS = 300
PAGE_TIMEOUT_S = 120.0
_EXTRA_HTTP = ("media/", "component/", "app/static/", "_stcore/upload_file")
_PARSE_LIMIT = 8192  # run-state messages are tiny; deltas (possibly MBs) are only counted

# Installed before any page script: stamps the last DOM mutation, the end of the last long task
# (main-thread work such as drawing a chart) and the last keydown, all in page time.
INIT_JS = """
(() => {
  const bench = {lastMutation: 0, mutations: 0, lastLongTask: 0, keyAt: null, clickAt: null};
  window.__bench = bench;
  const ignored = (node) => {
    const el = node && node.nodeType === 1 ? node : node && node.parentElement;
    return !!(el && el.closest && el.closest('[data-testid="stHeader"], canvas'));
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (!ignored(record.target)) {
        bench.lastMutation = performance.now();
        bench.mutations += 1;
        return;
      }
    }
  }).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        bench.lastLongTask = Math.max(bench.lastLongTask, entry.startTime + entry.duration);
      }
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
  document.addEventListener('keydown', () => { bench.keyAt = performance.now(); },
                            {capture: true});
  document.addEventListener('pointerdown', () => { bench.clickAt = performance.now(); },
                            {capture: true});
})();
"""

_STATE_JS = """
() => ({
  now: performance.now(),
  last: window.__bench ? window.__bench.lastMutation : 0,
  mutations: window.__bench ? window.__bench.mutations : 0,
  longTask: window.__bench ? window.__bench.lastLongTask : 0,
  keyAt: window.__bench ? window.__bench.keyAt : null,
  clickAt: window.__bench ? window.__bench.clickAt : null,
  widget: document.querySelectorAll('[data-testid="stStatusWidget"]').length,
  skeletons: document.querySelectorAll(
    '[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]').length,
})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running Streamlit server: its base URL and process (for the memory sampler)."""

    url: str
    process: subprocess.Popen
    log: Any = None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its children have used so far: less
        sensitive than wall time to other work on the machine."""
        import psutil

        total = 0.0
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's output (a page error's traceback is logged there)."""
        if self.log is None:
            return ""
        fd = self.log.fileno()  # pread: the server shares this file's offset, leave it alone
        size = os.fstat(fd).st_size
        return os.pread(fd, chars, max(0, size - chars)).decode(errors="replace")


@contextlib.contextmanager
def streamlit_process(
    app: Path, db: Path | None = None, timeout: float = 90, cwd: Path = REPO
) -> Iterator[Server]:
    """Serve `app` on a free port (MUYUN_DB = `db`), run from `cwd`; yields the server."""
    port = free_port()
    env = os.environ.copy()
    if db is not None:
        env["MUYUN_DB"] = str(db)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
    ]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(process, log, url, timeout)
            yield Server(url, process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def streamlit_server(app: Path, db: Path | None = None, timeout: float = 90) -> Iterator[str]:
    """Serve `app` on a free port (MUYUN_DB = `db`); yields the base URL, stops it after."""
    with streamlit_process(app, db, timeout) as server:
        yield server.url


def _wait_healthy(process: subprocess.Popen, log: Any, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited: {log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"streamlit did not start on {url}")
        time.sleep(0.2)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class PageTimeout(Exception):
    """The page did not become complete within the time limit."""


@dataclass
class Traffic:
    """What one tab received from the server, and Streamlit's script-run state as it arrived.

    Frame payloads are counted as received (after any websocket decompression). Run state comes
    from the ForwardMsg protobufs: a run starts with `new_session` or a `session_status_changed`
    that says a script is running, and ends with `script_finished` (except "early for rerun",
    which another run follows).
    """

    ws_bytes: int = 0
    ws_frames: int = 0
    http_bytes: int = 0
    running: bool = False
    started: int = 0
    finished: int = 0
    in_flight: int = 0
    last_frame: float = field(default_factory=time.monotonic)
    responses: list[Any] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("websocket", self._on_websocket)
        page.on("response", self._on_response)
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_request_done)
        page.on("requestfailed", self._on_request_done)

    def _on_response(self, response: Any) -> None:
        self.responses.append(response)

    def _on_request(self, request: Any) -> None:
        self.in_flight += 1
        self.last_frame = time.monotonic()

    def _on_request_done(self, request: Any) -> None:
        self.in_flight -= 1
        self.last_frame = time.monotonic()

    def _on_websocket(self, ws: Any) -> None:
        if "_stcore/stream" in ws.url:
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: bytes | str) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.ws_bytes += len(data)
        self.ws_frames += 1
        self.last_frame = time.monotonic()
        if len(data) <= _PARSE_LIMIT:
            self._run_state(data)

    def _run_state(self, data: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            msg = ForwardMsg.FromString(data)
        except Exception:  # a frame that is not a ForwardMsg says nothing about the run
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.running = True
            self.started += 1
        elif kind == "session_status_changed":
            if msg.session_status_changed.script_is_running and not self.running:
                self.started += 1
            self.running = msg.session_status_changed.script_is_running
        elif kind == "script_finished" and (
            msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            self.running = False
            self.finished += 1

    def extra_http_bytes(self) -> int:
        """Body bytes of HTTP responses a page itself made the browser fetch (media files,
        custom components, files served by the app), not the app shell and its static bundle."""
        total = 0
        for response in self.responses:
            path = response.url.split("://", 1)[-1].partition("/")[2]
            if path.startswith(_EXTRA_HTTP):
                with contextlib.suppress(Exception):
                    total += max(0, int(response.request.sizes()["responseBodySize"]))
        return total


def page_state(page: Any) -> dict[str, Any]:
    return page.evaluate(_STATE_JS)


def wait_complete(
    page: Any,
    traffic: Traffic,
    finished_before: int,
    quiet_ms: int = QUIET_MS,
    timeout_s: float = PAGE_TIMEOUT_S,
) -> dict[str, Any]:
    """Wait until a script run that finished after `finished_before` runs has settled.

    Returns the page state (`last` = page time of the last mutation). Raises PageTimeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        page.wait_for_timeout(100)  # lets Playwright deliver websocket events meanwhile
        state = page_state(page)
        settled = (
            traffic.finished > finished_before
            and not traffic.running
            and state["widget"] == 0
            and state["skeletons"] == 0
            and traffic.in_flight <= 0
            and state["now"] - state["last"] >= quiet_ms
            and (time.monotonic() - traffic.last_frame) * 1000 >= quiet_ms
        )
        if settled:
            return state
        if time.monotonic() > deadline:
            raise PageTimeout(f"not complete after {timeout_s:.0f} s")


def new_tab(context: Any) -> tuple[Any, Traffic]:
    """A tab with the traffic counter attached (the init script is on the context)."""
    page = context.new_page()
    traffic = Traffic()
    traffic.attach(page)
    return page, traffic


def new_context(browser: Any, width: int = 1500, height: int = 1000) -> Any:
    """A fresh browser profile (empty cache) with the completion clock installed."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(INIT_JS)
    return context


def slider_thumb(page: Any, label: str) -> Any:
    """The slider widget labelled `label` (the first, should a page draw two)."""
    return (
        page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")
    )


def step_slider(
    page: Any, traffic: Traffic, thumb: Any, key: str = "ArrowRight", quiet_ms: int = QUIET_MS
) -> dict[str, float]:
    """Press `key` on the slider; ms from the keydown until the last element changed."""
    return _timed(page, traffic, lambda: thumb.press(key), "keyAt", quiet_ms, PAGE_TIMEOUT_S)


def click_and_wait(
    page: Any,
    traffic: Traffic,
    target: Any,
    quiet_ms: int = QUIET_MS,
    timeout_s: float = PAGE_TIMEOUT_S,
) -> dict[str, float]:
    """Click `target` (say, a page in the sidebar); ms from the click until the last element
    changed, once the script run the click started has finished and the page is quiet."""
    return _timed(page, traffic, target.click, "clickAt", quiet_ms, timeout_s)


def _timed(
    page: Any,
    traffic: Traffic,
    act: Callable[[], object],
    stamp: str,
    quiet_ms: int,
    timeout_s: float,
) -> dict[str, float]:
    """Run `act` (a key press or a click, which the page stamps as `stamp`) and wait for the run
    it starts to settle: ms until the last change and until the main thread was idle, bytes."""
    finished_before = traffic.finished
    bytes_before = traffic.ws_bytes
    page.evaluate(f"() => {{ window.__bench.{stamp} = null; }}")
    act()
    state = wait_complete(page, traffic, finished_before, quiet_ms, timeout_s)
    if state[stamp] is None or state["last"] < state[stamp]:
        raise RuntimeError(f"the {stamp[:-2]} changed nothing on the page")
    return {
        "ms": state["last"] - state[stamp],
        "busy_ms": max(state["last"], state["longTask"]) - state[stamp],
        "bytes": float(traffic.ws_bytes - bytes_before),
    }

"""What every real-browser test shares: the Chromium it drives and the `streamlit run server.py`
server it talks to (fixtures `chromium_path` and `demo_app` in conftest.py use these).

Why one place: each browser test used to carry its own copy of the port search, the health
poll and the shutdown; a fix to one (a slower CI, a new streamlit flag) now reaches them all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

# The flags the benchmarks launch Chromium with: tests and benchmarks measure the same browser.
from benchmarks.browser_bench import CHROMIUM_ARGS as CHROMIUM_ARGS

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HEALTH_TIMEOUT_S = 90.0


def require_chromium() -> Path:
    """Debian's Chromium; the test is skipped without it, except under CI (env CI set)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = HEALTH_TIMEOUT_S) -> None:
    """Until Streamlit's health endpoint answers "ok" (fails at once when the server died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


def server_rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of the server and its children, MB."""
    root = psutil.Process(process.pid)
    members = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in members) / 2**20


@contextmanager
def streamlit_app(
    db_path: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run server.py` (as the README starts it) on a free port with `MUYUN_DB=db_path`
    (plus `env`); yields the base URL and the process, and stops the server afterwards. The log
    is appended to."""
    port = free_port()
    environment = {**os.environ, "MUYUN_DB": str(db_path), **(env or {})}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "server.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log_path.open("a") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)

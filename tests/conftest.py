"""Shared fixtures: one demo database built per test session (read-only use), fresh stores, and
for the real-browser tests Chromium (`chromium_path`) and the app served on a private copy of
the demo city (`demo_app`; other servers through `browser_support.streamlit_app`)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import browser_support
import pytest

from muyun import db, demo

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo city, built once; tests must not write to it (copy it with `demo_db_copy`)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build_demo_database(path)
    return path


@pytest.fixture
def demo_db_copy(demo_db_path: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the demo database."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_path, target)
    return target


@pytest.fixture
def empty_con():
    """A fresh in-memory store with the schema and reference towns."""
    con = db.connect(":memory:")
    yield con
    con.close()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium for Playwright; skips the test without it (fails under CI)."""
    return browser_support.require_chromium()


@pytest.fixture(scope="module")
def demo_app(
    demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run server.py` on a private copy of the demo city: (base URL, server process),
    one server per test module. The server log is `streamlit.log` beside the copy."""
    workdir = tmp_path_factory.mktemp("browser")
    db_copy = workdir / "demo.duckdb"
    shutil.copy(demo_db_path, db_copy)
    with browser_support.streamlit_app(db_copy, workdir / "streamlit.log") as served:
        yield served


@pytest.fixture
def app_store(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """For AppTest page tests: the app pointed at a private demo copy, with empty caches before
    and after (Streamlit's caches are process-wide, and every test module shares the process)."""
    import streamlit as st

    monkeypatch.setenv("MUYUN_DB", str(demo_db_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_db_copy
    st.cache_data.clear()
    st.cache_resource.clear()

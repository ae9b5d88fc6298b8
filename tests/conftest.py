"""Shared fixtures: one demo database built per test session (read-only use), and fresh stores."""

from __future__ import annotations

import shutil
from pathlib import Path

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

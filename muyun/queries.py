"""Read-only queries and aggregates the pages show. Pages call these; they never write SQL."""

from __future__ import annotations

import duckdb


def available_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years that have enterprise data, ascending."""
    rows = con.execute("SELECT DISTINCT year FROM enterprises ORDER BY year").fetchall()
    return [int(r[0]) for r in rows]


def town_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The city's 镇街 in their reference order."""
    return [r[0] for r in con.execute("SELECT name FROM towns ORDER BY rowid").fetchall()]

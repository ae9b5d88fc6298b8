"""What `streamlit run server.py` serves: app.py, with the pages' modules imported at start-up.

Why: Streamlit imports a page's modules during its first run, so the first official to open a
page after a restart waited for pandas, DuckDB, Altair and muyun to load: about 0.7 s of the
server's CPU on every page's first visit (issue 15). `st.App` runs this lifespan once, after
Streamlit's runtime has started and before the server accepts a connection. `streamlit run
app.py` still works: it only pays those imports on the first visit. The app's HTML carries
a hint that saves a page opened at its own address a failed request and a retry
(`ui/serving.py`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from ui.serving import BackendHint


def preload_modules() -> None:
    """Import every module of the `ui` package (and through them, what the pages use of
    `muyun`, pandas, DuckDB and Altair)."""
    ui = importlib.import_module("ui")
    for module in pkgutil.iter_modules(ui.__path__):
        importlib.import_module(f"ui.{module.name}")


@asynccontextmanager
async def _preloaded(_app: st.App) -> AsyncIterator[None]:
    preload_modules()
    yield


app = st.App("app.py", lifespan=_preloaded, middleware=[Middleware(BackendHint)])

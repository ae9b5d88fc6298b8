"""Opening a page of the app in Streamlit's AppTest, as a deep link with query parameters."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180


def open_page(page: str, timeout: float = TIMEOUT, **query: str) -> AppTest:
    """Run app.py once (it sets up navigation and filters), switch to `page`; no exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at

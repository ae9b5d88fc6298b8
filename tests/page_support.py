"""Opening a page of the app in Streamlit's AppTest, as a deep link with query parameters."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180


def new_app(page: str | None = None, timeout: float = TIMEOUT, **query: str) -> AppTest:
    """Run app.py once (as a browser would first: navigation and filters), then switch to
    `page` if given."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def open_page(page: str, timeout: float = TIMEOUT, **query: str) -> AppTest:
    """`new_app` on `page`, asserting that it ran without an exception."""
    at = new_app(page, timeout, **query)
    no_exception(at)
    return at

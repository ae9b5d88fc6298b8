"""Opening a page of the app in Streamlit's AppTest, as a deep link with query parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
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


def chart_data(chart: Any) -> tuple[dict, pd.DataFrame]:
    """A Vega-Lite chart element's spec and its one dataset: Streamlit moves an Altair chart's
    data out of the spec into Arrow datasets, and every chart of the app carries one."""
    assert not chart.proto.data.data, "the data travels as a named dataset"
    (dataset,) = chart.proto.datasets
    return json.loads(chart.proto.spec), pa.ipc.open_stream(dataset.data.data).read_pandas()


def vega_charts(at: AppTest) -> list[tuple[dict, pd.DataFrame]]:
    """Every Vega-Lite chart the page drew, as (spec, data)."""
    return [chart_data(chart) for chart in at.get("vega_lite_chart")]

"""What a page sends the browser of a long list: one page of rows, sorted over all of them, and
summaries instead of one chart point per firm.

Why: at province scale (200,000 firms a year) a ranking table is tens of megabytes of Arrow and
a box plot of every score 1.5 MB, while a person reads a screenful of rows and five numbers per
box. Sorting happens here over the whole table, never only over the page on screen, so the first
page of "综合得分 降序" is the top of the whole list. Pure pandas/numpy, no Streamlit: the
widgets that choose the page and the order are `ui.paged_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from muyun import labels, queries

# Rows on one page of a long table; a table this short or shorter is shown whole.
PAGE_ROWS = 200
# Firms listed by a search picker (the enterprise page): enough to pick from, few to send.
PICK_ROWS = 50
# A box's whiskers: the last value within 1.5 interquartile ranges of the box.
_WHISKER_IQR = 1.5


@dataclass(frozen=True)
class Page:
    """Where one page sits in a table: `number` of `pages` (1-based), rows `first`…`stop` − 1
    (0-based positions) of `total`."""

    number: int
    pages: int
    first: int
    stop: int
    total: int


def page_count(total: int, size: int = PAGE_ROWS) -> int:
    """Pages needed for `total` rows; an empty table still has its one (empty) page."""
    return max(1, math.ceil(total / size))


def locate(number: int, total: int, size: int = PAGE_ROWS) -> Page:
    """Page `number` of a `total`-row table, clamped to the pages that exist (page 40 of a
    3-page table is page 3, never an empty page)."""
    pages = page_count(total, size)
    number = min(max(int(number), 1), pages)
    first = (number - 1) * size
    return Page(number, pages, first, min(first + size, total), total)


def sort_positions(frame: pd.DataFrame, column: str | None, descending: bool) -> np.ndarray:
    """Row positions of `frame` ordered by `column`; ties keep the table's own order (e.g. rank
    within the official industry order), missing values go last in both directions. Without a
    column, or one the frame lacks (an old link), the table's own order stays."""
    if column is None or column not in frame.columns:
        return np.arange(len(frame))
    keys = frame[column].reset_index(drop=True)
    ordered = keys.sort_values(ascending=not descending, kind="stable", na_position="last")
    return ordered.index.to_numpy()


def page_rows(
    frame: pd.DataFrame,
    number: int,
    column: str | None = None,
    descending: bool = False,
    size: int = PAGE_ROWS,
) -> tuple[pd.DataFrame, Page]:
    """The rows of page `number` of `frame` sorted by `column`, and where that page sits."""
    page = locate(number, len(frame), size)
    if column is None or column not in frame.columns:
        return frame.iloc[page.first : page.stop], page
    positions = sort_positions(frame, column, descending)
    return frame.iloc[positions[page.first : page.stop]], page


def first_choices(frame: pd.DataFrame, limit: int = PICK_ROWS) -> pd.DataFrame:
    """The first `limit` rows of `queries.firm_choices(frame)` (ranked firms first by scale,
    industry and rank, then the others by name), without ordering every firm.

    Why: the enterprise page lists the first matches only, and ordering 136,000 firms by
    name took most of its own time. One integer per row orders them by status, scale,
    industry and rank (missing ones last, as `firm_choices` does); only the rows up to and tied
    with the `limit`-th are then ordered in full.
    """
    if len(frame) <= limit:
        return queries.firm_choices(frame)
    scales, _ = pd.factorize(frame["scale"], sort=True)
    parts = [
        pd.Index(labels.STATUSES).get_indexer(frame["status"]),
        scales,
        pd.Index(labels.INDUSTRIES).get_indexer(frame["industry"]),
        frame["rank"].to_numpy(dtype="float64", na_value=np.nan),
    ]
    composite = np.zeros(len(frame), dtype=np.int64)
    for part in parts:
        missing = np.isnan(part) if part.dtype.kind == "f" else part < 0
        last = int(np.max(np.where(missing, -1, part), initial=-1)) + 1
        codes = np.where(missing, last, part).astype(np.int64)
        composite = composite * (last + 1) + codes
    kth = np.partition(composite, limit - 1)[limit - 1]
    return queries.firm_choices(frame.iloc[np.flatnonzero(composite <= kth)]).iloc[:limit]


# ── summaries instead of every row ──────────────────────────────────────────────────────────


def box_stats(
    frame: pd.DataFrame, value: str, group: str, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per group with the five numbers a box of `value` shows: q1, median, q3 and the
    whisker ends. Groups come in `order`, by default in order of first appearance; those without
    values are left out.

    Linear quartiles (NumPy's "hazen" interpolation, as plotly.js computed them when the box was
    drawn from every point) and whiskers to the furthest value within 1.5 × IQR of the box, so
    the chart (行业排名's Vega-Lite box) gets five numbers per industry instead of every score.
    """
    rows = []
    present = frame[[group, value]].dropna(subset=[value])
    values_by_group = {
        name: np.sort(part.to_numpy(dtype=float))
        for name, part in present.groupby(group, sort=False)[value]
    }
    for name in values_by_group if order is None else order:
        values = values_by_group.get(name)
        if values is None or len(values) == 0:
            continue
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75], method="hazen")
        reach = _WHISKER_IQR * (q3 - q1)
        low = values[min(int(np.searchsorted(values, q1 - reach, "left")), len(values) - 1)]
        high = values[max(int(np.searchsorted(values, q3 + reach, "right")) - 1, 0)]
        rows.append(
            {
                group: name,
                "q1": q1,
                "median": median,
                "q3": q3,
                "lowerfence": min(q1, low),
                "upperfence": max(q3, high),
            }
        )
    columns = [group, "q1", "median", "q3", "lowerfence", "upperfence"]
    return pd.DataFrame(rows, columns=columns)

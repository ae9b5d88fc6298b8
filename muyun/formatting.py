"""Number formatting shared by pages, reports and exports: thousands separators, a unit on
every number, an em dash for "not reported" — so a figure reads the same everywhere."""

from __future__ import annotations

import math


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 1, unit: str = "") -> str:
    """`12,345.6 万元/亩`; an em dash when the value is missing."""
    if _missing(value):
        return "—"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}" if unit else text


def delta(
    current: float | None, previous: float | None, digits: int = 1, unit: str = ""
) -> str | None:
    """Year-on-year change for `st.metric`: `+12.3 亩（+1.5%）`, or None without a prior year."""
    if current is None or previous is None or _missing(current) or _missing(previous):
        return None
    change = current - previous
    text = f"{change:+,.{digits}f}"
    if unit:
        text = f"{text} {unit}"
    if previous:
        text = f"{text}（{change / abs(previous):+.1%}）"
    return text

"""muyun.formatting: the one number formatter of pages, reports and exports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from muyun import formatting


@pytest.mark.parametrize(
    ("value", "digits", "unit", "expected"),
    [
        (1234567.891, 2, "", "1,234,567.89"),
        (12345.6, 1, "万元/亩", "12,345.6 万元/亩"),
        (999.5, 0, "亩", "1,000 亩"),  # rounds, then groups
        (-4321.0, 1, "", "-4,321.0"),
        (0.123456, 4, "", "0.1235"),
        (7, 0, "家", "7 家"),  # integers (counts) too
        (np.float64(1500.25), 2, "", "1,500.25"),
    ],
)
def test_number_groups_thousands_with_digits_and_unit(value, digits, unit, expected) -> None:
    assert formatting.number(value, digits, unit) == expected


def test_number_default_is_one_digit_without_unit() -> None:
    assert formatting.number(2.25) == "2.2"  # round half to even, as Python formats
    assert formatting.number(1000) == "1,000.0"


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), np.float64("nan")])
def test_missing_values_show_an_em_dash_without_unit(missing) -> None:
    assert formatting.number(missing, 2, "亩") == "—"


def test_delta_has_sign_unit_and_percent_change() -> None:
    assert formatting.delta(110.0, 100.0) == "+10.0（+10.0%）"
    assert formatting.delta(1100.0, 1250.0, 2, "亩") == "-150.00 亩（-12.0%）"
    assert formatting.delta(12345.0, 10000.0, 0) == "+2,345（+23.4%）"
    assert formatting.delta(5.0, -10.0) == "+15.0（+150.0%）"  # relative to |previous|


def test_delta_without_a_usable_previous_year() -> None:
    assert formatting.delta(10.0, None) is None
    assert formatting.delta(10.0, math.nan) is None
    assert formatting.delta(None, 10.0) is None
    assert formatting.delta(3.0, 0.0, 0, "家") == "+3 家"  # no percentage of zero
    assert formatting.delta(3.0, 3.0, 0) == "+0（+0.0%）"

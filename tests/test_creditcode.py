"""GB 32100-2015 统一社会信用代码: the scalar check, the importer's vectorised twin, make_code."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from muyun import creditcode, labels
from muyun.importer import invalid_code_mask

# Codes as published with their enterprise names (found in public repositories' data: a 永康
# construction-permit record, a company profile, a website's legal notice, a 中征码 query example).
REAL_CODES = {
    "91330000142916567N": "a 浙江省-registered enterprise (the brief's example)",
    "91330784597215142M": "永康市桃花源农业开发有限公司",
    "91330212MA281ATH4G": "浙江智加信息科技有限公司",
    "91330106MAEUDLLYXY": "杭州无尽像素科技有限公司",
    "913302117532974515": "a 宁波镇海 enterprise (check character a digit)",
}


def mask(codes: list[str]) -> list[bool]:
    return invalid_code_mask(pd.Series(codes, dtype="str")).tolist()


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_real_published_codes_pass(code):
    assert creditcode.invalid_reason(code) is None
    assert creditcode.is_valid(code.lower())
    assert mask([code]) == [False]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91330000142916567M", "校验码错误（应为N）"),
        ("91330784597215142N", "校验码错误（应为M）"),
        ("91330784MA29Q4QT4K", "校验码错误（应为T）"),
        ("9133000014291656I7", "“I”"),
        ("9133000014291656O7", "“O”"),
        ("9133000014291656Z7", "“Z”"),
        ("9133000014291656S7", "“S”"),
        ("9133000014291656V7", "“V”"),
        ("91330000142916567", "长度应为18位，实际为17位"),
        ("91330000142916567NN", "长度应为18位，实际为19位"),
        ("", "实际为0位"),
    ],
)
def test_invalid_codes_are_rejected_with_the_reason(code, fragment):
    reason = creditcode.invalid_reason(code)
    assert reason is not None and fragment in reason
    assert mask([code]) == [True]


def test_check_character_31_is_written_as_zero():
    body = next(
        b
        for b in (f"9133078400000{i:04d}" for i in range(10_000))
        if sum(creditcode._VALUE[c] * w for c, w in zip(b, creditcode.WEIGHTS, strict=True)) % 31
        == 0
    )
    assert creditcode.check_character(body) == "0"
    assert creditcode.is_valid(body + "0") and mask([body + "0"]) == [False]


def test_make_code_is_valid_and_in_yongkang():
    rng = random.Random(3)
    codes = [creditcode.make_code(rng) for _ in range(500)]
    assert all(c.startswith("91330784") and creditcode.is_valid(c) for c in codes)
    assert not any(mask(codes))


SYMBOLS = creditcode.ALPHABET + "IOZSVabc- "


@given(st.lists(st.text(alphabet=SYMBOLS, min_size=16, max_size=19), max_size=30))
def test_vectorised_check_agrees_with_the_scalar_one(codes):
    normalised = [creditcode.normalise(c) for c in codes]
    assert mask(normalised) == [not creditcode.is_valid(c) for c in normalised]


@given(
    st.integers(min_value=0, max_value=2**32),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(creditcode.ALPHABET),
)
def test_any_single_substitution_is_detected(seed, position, symbol):
    code = creditcode.make_code(random.Random(seed))
    changed = code[:position] + symbol + code[position + 1 :]
    assert creditcode.is_valid(changed) == (changed == code)
    assert mask([changed]) == [changed != code]


def test_reasons_are_the_label_templates():
    errors = labels.CREDIT_CODE_ERRORS
    assert creditcode.invalid_reason("91330000142916567M") == errors["check"].format(expected="N")
    assert creditcode.invalid_reason("123") == errors["length"].format(length=3)
    assert creditcode.invalid_reason("9133000014291656I7") == errors["character"].format(char="I")

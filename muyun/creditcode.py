"""统一社会信用代码 (GB 32100-2015): check and make codes.

Why here and not in the importer: the demo builder must make valid codes and the importer must
reject invalid ones; both use the same alphabet and weights.
"""

from __future__ import annotations

import random

from muyun.labels import CREDIT_CODE_ERRORS

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
YONGKANG_DIVISION = "330784"


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (31 − Σcᵢwᵢ mod 31, with 31 written as 0)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper-case and strip surrounding blanks, as the standard allows lower-case input."""
    return code.strip().upper()


def invalid_reason(code: str) -> str | None:
    """None for a valid code, else the Chinese reason it fails (length, symbol or check)."""
    code = normalise(code)
    if len(code) != 18:
        return CREDIT_CODE_ERRORS["length"].format(length=len(code))
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        return CREDIT_CODE_ERRORS["character"].format(char=bad[0])
    expected = check_character(code[:17])
    if code[17] != expected:
        return CREDIT_CODE_ERRORS["check"].format(expected=expected)
    return None


def is_valid(code: str) -> bool:
    """True when the code passes the GB 32100-2015 check."""
    return invalid_reason(code) is None


def make_code(rng: random.Random, division: str = YONGKANG_DIVISION) -> str:
    """A random valid code of a company (登记管理机关 9 = 市场监管, 类别 1 = 企业) in a division."""
    body = "91" + division + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)

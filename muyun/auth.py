"""Password hashing for muyun's named accounts (`muyun.accounts`).

Why argon2id: it is the current recommendation for password storage (memory-hard, so guessing on
graphics cards is expensive) and, unlike bcrypt, it has no 72-byte limit — a passphrase of 25
Chinese characters is 75 bytes of UTF-8 and must work. Hashes made by the earlier bcrypt-based
administrator mode still verify, so an existing deployment can carry its hash over
(`python -m muyun account add … --legacy-hash`); `needs_rehash` tells the login to replace such
a hash with an argon2id one the first time the right password is given.
"""

from __future__ import annotations

import functools

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# The argon2-cffi defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4) — slow enough to
# make guessing expensive, fast enough (~0.1 s) for an interactive login.
_HASHER = PasswordHasher()
LEGACY_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
ARGON2_PREFIX = "$argon2"


def hash_password(password: str) -> str:
    """An argon2id hash (with a fresh salt) of `password`; no length limit."""
    return _HASHER.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """True only when `password` matches `hashed` (argon2 or legacy bcrypt); bad hashes fail."""
    if not password or not hashed:
        return False
    if hashed.startswith(ARGON2_PREFIX):
        try:
            return _HASHER.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if hashed.startswith(LEGACY_BCRYPT_PREFIXES):
        try:
            return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            # bcrypt refuses passwords over 72 bytes and malformed hashes: not a match.
            return False
    return False


def is_known_hash(hashed: str) -> bool:
    """Whether `hashed` looks like a hash `verify_password` can check (for importing old hashes)."""
    if hashed.startswith(ARGON2_PREFIX):
        try:
            _HASHER.check_needs_rehash(hashed)
        except (InvalidHashError, ValueError):
            return False
        return True
    return hashed.startswith(LEGACY_BCRYPT_PREFIXES) and len(hashed) == 60


def needs_rehash(hashed: str) -> bool:
    """True for legacy bcrypt hashes and argon2 hashes made with weaker parameters than today's."""
    if not hashed.startswith(ARGON2_PREFIX):
        return True
    try:
        return _HASHER.check_needs_rehash(hashed)
    except (InvalidHashError, ValueError):
        return True


def burn_time(password: str) -> None:
    """Spend one verification's time, so an unknown user name answers as slowly as a known one."""
    verify_password(password or "x", _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("muyun-dummy-password")

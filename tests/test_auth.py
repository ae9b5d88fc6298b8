"""muyun.auth: argon2id hashes without bcrypt's 72-byte limit; legacy bcrypt hashes still verify."""

from __future__ import annotations

import bcrypt
import pytest

from muyun import auth

LONG_PASSPHRASE = "亩均论英雄" * 6  # 30 characters, 90 bytes of UTF-8: past bcrypt's 72


@pytest.fixture(scope="module")
def known_hash() -> str:
    return auth.hash_password("亩均论英雄-2024")


def test_hash_is_argon2id_and_verifies_only_the_same_password(known_hash: str) -> None:
    assert known_hash.startswith("$argon2id$")
    assert auth.verify_password("亩均论英雄-2024", known_hash)
    assert not auth.verify_password("亩均论英雄-2025", known_hash)
    assert not auth.verify_password("", known_hash)
    assert not auth.needs_rehash(known_hash)


def test_each_hash_has_its_own_salt() -> None:
    assert auth.hash_password("same") != auth.hash_password("same")


def test_passphrases_over_72_bytes_work_and_every_byte_counts() -> None:
    """Finding 4: the README's bcrypt command crashed past 72 bytes (25 Chinese characters)."""
    assert len(LONG_PASSPHRASE.encode("utf-8")) > 72
    hashed = auth.hash_password(LONG_PASSPHRASE)
    assert auth.verify_password(LONG_PASSPHRASE, hashed)
    # bcrypt silently ignored (or refused) everything after byte 72; argon2 does not.
    assert not auth.verify_password(LONG_PASSPHRASE[:-1] + "熊", hashed)


def test_legacy_bcrypt_hashes_still_verify_and_ask_for_a_rehash() -> None:
    legacy = bcrypt.hashpw("旧密码-2023".encode(), bcrypt.gensalt(rounds=4)).decode()
    assert auth.is_known_hash(legacy)
    assert auth.verify_password("旧密码-2023", legacy)
    assert not auth.verify_password("旧密码-2024", legacy)
    assert not auth.verify_password(LONG_PASSPHRASE, legacy)  # bcrypt refuses; not a crash
    assert auth.needs_rehash(legacy)


@pytest.mark.parametrize(
    "bad_hash", [None, "", "not-a-hash", "$2b$12$短", "$argon2id$v=19$m=1,t=1,p=1$broken"]
)
def test_missing_or_malformed_hash_never_verifies(bad_hash: str | None) -> None:
    assert not auth.verify_password("anything", bad_hash)


@pytest.mark.parametrize("bad_hash", ["not-a-hash", "$2b$12$短", "$argon2id$broken"])
def test_unknown_hashes_are_not_accepted_for_import(bad_hash: str) -> None:
    assert not auth.is_known_hash(bad_hash)

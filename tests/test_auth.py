"""muyun.auth: bcrypt hashes, where the configured hash comes from, and what never verifies."""

from __future__ import annotations

import pytest

from muyun import auth


@pytest.fixture(scope="module")
def known_hash() -> str:
    return auth.hash_password("亩均论英雄-2024")


def test_hash_verifies_only_the_same_password(known_hash: str) -> None:
    assert known_hash.startswith("$2")
    assert auth.verify_password("亩均论英雄-2024", known_hash)
    assert not auth.verify_password("亩均论英雄-2025", known_hash)
    assert not auth.verify_password("", known_hash)


def test_each_hash_has_its_own_salt() -> None:
    assert auth.hash_password("same") != auth.hash_password("same")


@pytest.mark.parametrize("bad_hash", [None, "", "not-a-bcrypt-hash", "$2b$12$短"])
def test_missing_or_malformed_hash_never_verifies(bad_hash: str | None) -> None:
    assert not auth.verify_password("anything", bad_hash)


def test_environment_wins_over_secrets(monkeypatch: pytest.MonkeyPatch, known_hash: str) -> None:
    monkeypatch.setenv(auth.HASH_ENV, known_hash)
    assert auth.configured_hash({auth.HASH_SECRET_KEY: "$2b$12$other"}) == known_hash


def test_secrets_used_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    assert auth.configured_hash({auth.HASH_SECRET_KEY: " $2b$12$x "}) == "$2b$12$x"


@pytest.mark.parametrize("secrets", [None, {}, {auth.HASH_SECRET_KEY: "   "}])
def test_nothing_configured_means_no_hash(
    monkeypatch: pytest.MonkeyPatch, secrets: dict[str, str] | None
) -> None:
    monkeypatch.setenv(auth.HASH_ENV, "  ")
    assert auth.configured_hash(secrets) is None

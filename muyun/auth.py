"""Administrator password check for the pages that write (imports, list edits).

Why bcrypt and a configured hash: the server never stores the password itself, only a salted
slow hash set by whoever deploys muyun (`.streamlit/secrets.toml` or an environment variable),
and `bcrypt.checkpw` compares in constant time. Make a hash with
`python -c "import muyun.auth as a; print(a.hash_password('…'))"`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import bcrypt

HASH_ENV = "MUYUN_ADMIN_PASSWORD_HASH"
HASH_SECRET_KEY = "admin_password_hash"


def hash_password(password: str) -> str:
    """A bcrypt hash (with a fresh salt) of `password`, for secrets.toml or the environment."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def configured_hash(secrets: Mapping[str, Any] | None = None) -> str | None:
    """The administrator hash: env `MUYUN_ADMIN_PASSWORD_HASH` first, then `secrets`; else None."""
    value = os.environ.get(HASH_ENV, "").strip()
    if not value and secrets is not None:
        value = str(secrets.get(HASH_SECRET_KEY, "") or "").strip()
    return value or None


def verify_password(password: str, password_hash: str | None) -> bool:
    """True only when a hash is configured and `password` matches it; malformed hashes fail."""
    if not password or not password_hash:
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False

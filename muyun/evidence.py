"""Evidence files attached to confirmations and objections (scans, photos, certificates).

Why so strict: an uploaded file comes from outside and is later opened by officials. Its type is
decided by its first bytes, never by its name or the browser's claim; only PDF, PNG and JPEG are
accepted, up to `MAX_BYTES`. It is stored outside anything a web server serves, under the SHA-256
of its content (so the name a firm chose never becomes a path, and the same file stored twice is
one file), and it is only ever offered back as a download with its own type — never rendered as
HTML.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from muyun.labels import EVIDENCE_TEXT

MAX_BYTES = 10 * 1024 * 1024
# Signature → (kind, file suffix, MIME type). The kind is what the store records.
_SIGNATURES: tuple[tuple[bytes, str, str, str], ...] = (
    (b"%PDF-", "pdf", ".pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", ".png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", ".jpg", "image/jpeg"),
)
KINDS: dict[str, tuple[str, str]] = {kind: (suffix, mime) for _, kind, suffix, mime in _SIGNATURES}
_NAME_MAX = 120


class EvidenceError(ValueError):
    """A refused upload; the message is Chinese and says what is accepted."""


@dataclass(frozen=True)
class EvidenceRef:
    """A stored evidence file: content hash, detected kind, size and the name it came with."""

    sha256: str
    kind: str
    size: int
    filename: str

    @property
    def mime(self) -> str:
        return KINDS[self.kind][1]


def root_for(db_path: str | os.PathLike[str]) -> Path:
    """Where a database's evidence lives: `<db file>.evidence/` beside the database file."""
    path = Path(db_path)
    return path.with_name(path.name + ".evidence")


def detect_kind(data: bytes) -> str | None:
    """The file's kind from its magic bytes, or None when it is none of the accepted kinds."""
    for magic, kind, _, _ in _SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def _clean_name(filename: str) -> str:
    """The original name as plain text for display only (never used as a path)."""
    name = Path(str(filename).replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:_NAME_MAX] or "-"


def store(data: bytes, filename: str, *, root: Path) -> EvidenceRef:
    """Check and store one upload; raises `EvidenceError` with a Chinese message when refused."""
    size = len(data)
    if size == 0:
        raise EvidenceError(EVIDENCE_TEXT["empty"])
    if size > MAX_BYTES:
        raise EvidenceError(
            EVIDENCE_TEXT["too_large"].format(
                size=size / 1024 / 1024, limit=MAX_BYTES / 1024 / 1024
            )
        )
    kind = detect_kind(data)
    if kind is None:
        raise EvidenceError(EVIDENCE_TEXT["bad_type"].format(name=_clean_name(filename)))
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(root, digest, kind)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # A private temporary name per upload: two sessions storing the same file at once
        # must not write into (or move away) each other's half-written copy.
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return EvidenceRef(sha256=digest, kind=kind, size=size, filename=_clean_name(filename))


def path_of(root: Path, sha256: str, kind: str) -> Path:
    """The stored file of a hash (two-level fan-out keeps directories small)."""
    if kind not in KINDS or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise EvidenceError(EVIDENCE_TEXT["bad_ref"])
    return Path(root) / sha256[:2] / f"{sha256}{KINDS[kind][0]}"


def load(root: Path, sha256: str, kind: str) -> bytes:
    """The stored bytes of an evidence file (for a download button)."""
    path = path_of(root, sha256, kind)
    if not path.exists():
        raise EvidenceError(EVIDENCE_TEXT["missing"])
    return path.read_bytes()


def stored_kind(root: Path, sha256: str) -> str | None:
    """The kind a stored file was accepted as (None when no such file is stored): for records
    that keep only the content hash, such as a firm's answer to its data sheet."""
    for kind in KINDS:
        if path_of(root, sha256, kind).exists():
            return kind
    return None

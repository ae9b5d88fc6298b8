"""Evidence uploads (muyun.evidence): type by content, size limit, content-hash names."""

from __future__ import annotations

from pathlib import Path

import pytest

from muyun import evidence

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg")])
def test_accepted_kinds_are_stored_under_their_hash(tmp_path: Path, data, kind):
    ref = evidence.store(data, "../../etc/证明材料.bin", root=tmp_path / "ev")
    assert ref.kind == kind and ref.size == len(data)
    assert ref.filename == "证明材料.bin"  # a display name only, never a path
    stored = evidence.path_of(tmp_path / "ev", ref.sha256, kind)
    assert stored.read_bytes() == data
    assert stored.name.startswith(ref.sha256) and stored.parent.parent == tmp_path / "ev"
    assert evidence.load(tmp_path / "ev", ref.sha256, kind) == data
    again = evidence.store(data, "other.pdf", root=tmp_path / "ev")
    assert again.sha256 == ref.sha256
    assert len(list((tmp_path / "ev").rglob("*.*"))) == 1


def test_type_is_decided_by_content_not_by_name(tmp_path: Path):
    html = b"<html><script>alert(1)</script></html>"
    with pytest.raises(evidence.EvidenceError, match="不是 PDF、PNG 或 JPEG"):
        evidence.store(html, "scan.pdf", root=tmp_path)
    assert not any(tmp_path.iterdir())


def test_too_large_and_empty_uploads_are_refused(tmp_path: Path):
    big = PDF + b"0" * evidence.MAX_BYTES
    with pytest.raises(evidence.EvidenceError, match="超过上限 10 MB"):
        evidence.store(big, "big.pdf", root=tmp_path)
    with pytest.raises(evidence.EvidenceError, match="空的"):
        evidence.store(b"", "a.pdf", root=tmp_path)


def test_a_forged_reference_cannot_name_a_path(tmp_path: Path):
    with pytest.raises(evidence.EvidenceError):
        evidence.path_of(tmp_path, "../../etc/passwd", "pdf")
    with pytest.raises(evidence.EvidenceError):
        evidence.path_of(tmp_path, "a" * 64, "html")


def test_root_is_beside_the_database_not_in_the_app(tmp_path: Path):
    assert evidence.root_for(tmp_path / "muyun.duckdb") == tmp_path / "muyun.duckdb.evidence"

"""Showing untrusted text safely where Streamlit renders Markdown."""

from __future__ import annotations

_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()<>#+-.!|~$:"})


def escape_markdown(text: str) -> str:
    """Untrusted text (an enterprise name) shown literally where Streamlit renders Markdown."""
    return text.translate(_MARKDOWN_SPECIAL)

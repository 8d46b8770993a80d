"""Untrusted free text made safe to store, log and search: no control characters, bounded."""

from __future__ import annotations

import unicodedata

MAX_QUERY_CHARS = 200  # longer input is a paste accident; the engine gains nothing from it

# Control, surrogate, format, private-use and unassigned characters: invisible, and a way to
# smuggle look-alike text into logs and staff pages.
_DROPPED = ("Cc", "Cs", "Cf", "Co", "Cn")


def clean_text(value: str | None, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Free text with control characters removed, whitespace collapsed, and length capped."""
    if not value:
        return ""
    kept = (
        " " if ch.isspace() else ch
        for ch in value[: max_chars * 4]
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED
    )
    return " ".join("".join(kept).split())[:max_chars].strip()

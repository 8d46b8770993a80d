"""Reading untrusted query-string values: clean text and bounded integers."""

from __future__ import annotations

import logging
import unicodedata

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200  # longer input is a paste accident; the engine gains nothing from it
MAX_PAGE = 100  # deep pages cost the engine page * size hits; nobody reads page 100


class BadParam(ValueError):
    """A query-string value that cannot be used, with a message fit for the client."""


def clean_text(value: str | None, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Free text with control characters removed, whitespace collapsed, and length capped."""
    if not value:
        return ""
    kept = (
        " " if ch.isspace() else ch
        for ch in value[: max_chars * 4]
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Cf", "Co", "Cn")
    )
    return " ".join("".join(kept).split())[:max_chars].strip()


def parse_int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    """An integer within [low, high]; missing -> default; anything else raises BadParam."""
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not (text.isascii() and text.lstrip("+-").isdigit()) or len(text) > 12:
        raise BadParam(f"{name} must be a whole number between {low} and {high}")
    number = int(text)
    if not low <= number <= high:
        raise BadParam(f"{name} must be between {low} and {high}")
    return number


def lenient_int(value: str | None, default: int, low: int, high: int) -> int:
    """An integer for pages: anything unusable falls back to the default or the nearest bound."""
    try:
        return parse_int(value, "value", default, low, high)
    except BadParam:
        text = (value or "").strip()
        if text.lstrip("+-").isdigit() and text.isascii() and len(text) <= 12:
            return min(max(int(text), low), high)
        return default

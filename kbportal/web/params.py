"""Reading untrusted query-string values: clean text and bounded integers."""

from __future__ import annotations

import logging

from kbportal.freetext import MAX_QUERY_CHARS, clean_text

log = logging.getLogger(__name__)

__all__ = ["MAX_PAGE", "MAX_QUERY_CHARS", "BadParam", "clean_text", "lenient_int", "parse_int"]

MAX_PAGE = 100  # deep pages cost the engine page * size hits; nobody reads page 100


class BadParam(ValueError):
    """A query-string value that cannot be used, with a message fit for the client."""


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

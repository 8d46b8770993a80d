"""How big an article may be: past these, the file is a problem and the rest publishes.

One 50 MB article took 340 s and 1 GB to build while holding the build lock. Markdown-it's
inline parsing costs up to ~35 µs a byte on hostile input (runs of `![a](`), so the file size
bounds the worst build time of one file to seconds; headings become search documents, so
their number is bounded too.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it.token import Token


@dataclass(frozen=True)
class Limits:
    """The size limits one article file must keep."""

    article_bytes: int = 256 * 1024  # KBPORTAL_MAX_ARTICLE_BYTES
    headings: int = 500  # KBPORTAL_MAX_HEADINGS
    nesting: int = 16  # block levels (lists, quotes); markdown-it itself stops at 20
    inline_nesting: int = 32  # emphasis and links inside each other
    category_bytes: int = 16 * 1024  # a _category.yml holds four short keys


DEFAULT_LIMITS = Limits()


class TooLarge(ValueError):
    """An article past a limit: skipped with a problem at `line` (relative to the body)."""

    def __init__(self, code: str, line: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


def _line(token: Token) -> int:
    """The 0-based body line a block token starts on."""
    return token.map[0] if token.map else 0


def check_tokens(tokens: list[Token], limits: Limits) -> None:
    """Raise TooLarge when parsed markdown has too many headings or nests too deeply."""
    headings = 0
    for token in tokens:
        if token.type == "heading_open":
            headings += 1
            if headings > limits.headings:
                message = f"more than {limits.headings} headings; file skipped"
                raise TooLarge("too-many-headings", _line(token), message)
        if token.level > limits.nesting:
            message = f"lists or quotes nested more than {limits.nesting} levels; file skipped"
            raise TooLarge("too-deeply-nested", _line(token), message)
        if token.children and max(child.level for child in token.children) > limits.inline_nesting:
            message = (
                f"emphasis or links nested more than {limits.inline_nesting} levels; file skipped"
            )
            raise TooLarge("too-deeply-nested", _line(token), message)

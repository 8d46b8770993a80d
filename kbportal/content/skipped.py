"""Files that do not publish: their body still checked, and links to them named for what they are.

`kbportal check` reports everything in one pass: a file skipped for its front matter still has
its links and images checked, and a link to a skipped file says so instead of calling the
article missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from kbportal.content.checks import check_article
from kbportal.content.links import LinkTargets
from kbportal.content.models import Article, Problem
from kbportal.content.render import render_body
from kbportal.content.source import split_locale

log = logging.getLogger(__name__)

FRONT_MATTER_CODES = frozenset({"bad-front-matter", "duplicate-key"})
FENCE = "---"


def _body(text: str) -> tuple[str, int]:
    """The text after a leading front matter block (even an unparsable one), and its line."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        return text, 1
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in (FENCE, "..."):
            return "\n".join(lines[number + 1 :]), number + 2
    return "", len(lines)  # never closed: there is no body to check


def body_problems(
    root: Path, relpath: str, known: LinkTargets, locales: tuple[str, ...], default_locale: str
) -> list[Problem]:
    """Link and image problems in the body of a file skipped for its front matter."""
    try:
        text = (Path(root) / relpath).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return []  # already reported as unreadable
    body, line = _body(text)
    locale = split_locale(relpath, locales)[0] or default_locale
    try:
        rendered = render_body(body, path=relpath, locale=locale, known=known, body_line=line)
    except Exception:  # a body that cannot render is reported when the front matter is fixed
        log.debug("cannot check the body of %s", relpath, exc_info=True)
        return []
    shadow = Article(locale, relpath, relpath, rendered.title, "", links=rendered.links)
    return [*rendered.problems, *check_article(shadow, known)]


def skipped_files(relpaths: Iterable[str], published: Iterable[Article]) -> set[str]:
    """Article files that produced no article (front matter, slug clash, render failure...)."""
    return set(relpaths) - {article.path for article in published}

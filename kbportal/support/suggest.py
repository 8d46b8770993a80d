"""Suggested articles for a request being written: public only, scoped, and only when confident."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kbportal.content.request_types import RequestType
from kbportal.publish.view import PublishedKB
from kbportal.search.confidence import SUGGEST_THRESHOLD
from kbportal.search.types import Hit, SearchQuery
from kbportal.urls import article_path
from kbportal.viewer import PUBLIC

log = logging.getLogger(__name__)

MIN_CHARS = 3  # suggestions start from the third character typed
MAX_TEXT = 300  # the subject and the start of the description are what matter
MAX_SUGGESTIONS = 5
DEPTH = 20  # hits read before scoping by the type's categories


@dataclass(frozen=True)
class Suggestion:
    """One suggested article, at the section that matched, with how sure search is."""

    key: str  # "locale/slug"
    title: str
    section: str
    url: str  # with the section's #anchor
    snippet: str  # HTML: escaped text with <mark>
    confidence: float


def _in_scope(hit: Hit, rtype: RequestType | None) -> bool:
    """Whether a hit is in the request type's categories (no categories: everything is)."""
    if rtype is None or not rtype.categories:
        return True
    return any(hit.category == c or hit.category.startswith(c + "/") for c in rtype.categories)


def _tagged(kb: PublishedKB, hit: Hit, rtype: RequestType | None) -> bool:
    """Whether the hit's article carries one of the type's tags."""
    if rtype is None or not rtype.tags:
        return False
    article = kb.article(hit.locale, hit.slug, PUBLIC)
    return article is not None and bool(set(article.tags) & set(rtype.tags))


def suggest(
    kb: PublishedKB,
    text: str,
    locale: str,
    rtype: RequestType | None = None,
    *,
    threshold: float = SUGGEST_THRESHOLD,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """Articles a customer may read that search is confident answer what they are writing.

    Always searched as the public: staff trying the form see what customers see.
    """
    text = " ".join((text or "").split())[:MAX_TEXT]
    if len(text) < MIN_CHARS:
        return []
    results = kb.search(SearchQuery(text, PUBLIC, locale, None, page=1, per_page=DEPTH))
    sure = [h for h in results.hits if h.confidence >= threshold and h.visibility == "public"]
    scoped = [h for h in sure if _in_scope(h, rtype) or _tagged(kb, h, rtype)]
    # Out of the type's scope but confident: still better than showing nothing.
    chosen = scoped or sure
    seen: set[str] = set()
    found: list[Suggestion] = []
    for hit in chosen:
        if hit.key in seen:
            continue
        seen.add(hit.key)
        found.append(
            Suggestion(
                key=hit.key,
                title=hit.title,
                section=hit.section if hit.section != hit.title else "",
                url=article_path(hit.locale, hit.slug, hit.anchor),
                snippet=hit.snippet,
                confidence=hit.confidence,
            )
        )
        if len(found) >= limit:
            break
    return found

"""Suggested articles for a question, a request type or a host page: only confident ones."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from kbportal.publish.view import PublishedKB
from kbportal.search.confidence import SUGGEST_THRESHOLD, suggestible
from kbportal.search.types import Hit, SearchQuery
from kbportal.urls import article_path
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 5
MIN_QUERY_CHARS = 3
# Words of a page address that say nothing about what the customer is doing there.
URL_NOISE = frozenset(
    {"www", "html", "htm", "php", "aspx", "index", "en", "ru", "app", "page", "id", "new", "edit"}
)


@dataclass(frozen=True)
class Scope:
    """Where suggestions may come from: categories and tags (a request type's), or anywhere."""

    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggested:
    """One suggested article, at its best section, with how sure search is about it."""

    hit: Hit
    confidence: float

    def json(self) -> dict[str, object]:
        """The API's shape of a suggestion."""
        hit = self.hit
        return {
            "slug": hit.slug,
            "title": hit.title,
            "url": article_path(hit.locale, hit.slug, hit.anchor),
            "section": hit.section,
            "snippet": hit.snippet,
            "locale": hit.locale,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Suggestions:
    """What suggest() found: the query it ran and the confident hits."""

    query: str
    threshold: float
    items: list[Suggested] = field(default_factory=list)


def threshold() -> float:
    """The confidence a suggestion needs: issue 10's measured rule, the request form's too."""
    return float(SUGGEST_THRESHOLD)


def words_from_url(url: str) -> str:
    """Search words from a page address: /pricing/change-plan?x=1 -> "pricing change plan"."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    words = re.split(r"[^\w]+", unquote(parts.path).replace("_", " "))
    return " ".join(w for w in words if w and not w.isdigit() and w.lower() not in URL_NOISE)


def in_scope(hit: Hit, scope: Scope | None, tags_of: dict[str, tuple[str, ...]]) -> bool:
    """Whether a hit belongs to the scope's categories (or below) or carries one of its tags."""
    if scope is None or not (scope.categories or scope.tags):
        return True
    for category in scope.categories:
        if hit.category == category or hit.category.startswith(category.rstrip("/") + "/"):
            return True
    return bool(set(scope.tags) & set(tags_of.get(hit.key, ())))


def suggest(
    kb: PublishedKB,
    text: str,
    *,
    locale: str | None,
    viewer: Viewer = PUBLIC,
    scope: Scope | None = None,
    labels: Iterable[str] = (),
    limit: int = MAX_SUGGESTIONS,
) -> Suggestions:
    """Up to `limit` articles search is confident answer `text` (plus the host page's labels)."""
    query = " ".join([text, *labels]).strip()
    bar = threshold()
    if len(query) < MIN_QUERY_CHARS:
        return Suggestions(query, bar)
    # Ask for more than we show: scope and the threshold both drop hits.
    results = kb.search(SearchQuery(query, viewer, locale, page=1, per_page=limit * 4))
    tags_of = _tags(kb, results.hits, viewer) if scope and scope.tags else {}
    sure: list[Suggested] = []
    seen: set[str] = set()
    for hit in results.hits:
        if hit.key in seen or not suggestible(hit.confidence):
            continue  # a later hit may still pass: scope filtering reorders nothing
        if not viewer.staff and hit.visibility != "public":
            continue  # belt and braces: the engine already filtered by viewer
        seen.add(hit.key)
        sure.append(Suggested(hit, hit.confidence))
    scoped = [item for item in sure if in_scope(item.hit, scope, tags_of)]
    # The request form's rule: out of the type's scope but confident beats showing nothing.
    return Suggestions(query, bar, (scoped or sure)[:limit])


def _tags(kb: PublishedKB, hits: list[Hit], viewer: Viewer) -> dict[str, tuple[str, ...]]:
    """The tags of each hit's article (hits carry none)."""
    tags: dict[str, tuple[str, ...]] = {}
    for hit in hits:
        article = kb.article(hit.locale, hit.slug, viewer)
        if article is not None:
            tags[hit.key] = tuple(article.tags)
    return tags

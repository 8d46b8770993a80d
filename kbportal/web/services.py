"""What pages need from the published KB, composed without Flask so it tests on its own."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app

from kbportal.analytics import Shown, popular_articles
from kbportal.content.models import Article
from kbportal.publish.view import CategoryNode, PublishedKB
from kbportal.search.types import SearchResults
from kbportal.urls import category_path
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Crumb:
    """One step of a breadcrumb trail; url "" means not a link."""

    title: str
    url: str


def breadcrumbs(kb: PublishedKB, locale: str, category: str, viewer: Viewer) -> list[Crumb]:
    """The trail of categories from the top down to `category` (the home link is the template's)."""
    crumbs: list[Crumb] = []
    parts = [part for part in category.split("/") if part]
    for depth in range(1, len(parts) + 1):
        path = "/".join(parts[:depth])
        node = kb.category(locale, path, viewer)
        if node is None:
            # Not visible as a category: show the folder name (already in the slug), no link.
            crumbs.append(Crumb(parts[depth - 1], ""))
        else:
            crumbs.append(Crumb(node.category.title, category_path(locale, path)))
    return crumbs


def flatten(
    nodes: list[CategoryNode], depth: int = 0, max_depth: int | None = None
) -> Iterator[tuple[int, CategoryNode]]:
    """Every category of a tree (down to `max_depth`), parents before children, with its depth."""
    for node in nodes:
        yield depth, node
        if max_depth is None or depth < max_depth:
            yield from flatten(node.children, depth + 1, max_depth)


MAX_FILTER_CHOICES = 100  # a longer select helps no one, and would cost every search page


def filter_choices(
    kb: PublishedKB, locale: str, viewer: Viewer, selected: str = ""
) -> list[tuple[int, CategoryNode]]:
    """The search page's category choices: the top two levels (at most 100), and the selected.

    Bounded, so a search page costs the same with 10 categories or 2,000.
    """
    choices: list[tuple[int, CategoryNode]] = []
    for depth, node in flatten(kb.categories(locale, viewer), max_depth=1):
        if len(choices) >= MAX_FILTER_CHOICES:
            break
        choices.append((depth, node))
    if selected and all(node.category.path != selected for _depth, node in choices):
        chosen = kb.category(locale, selected, viewer)
        if chosen is not None:
            choices.append((selected.count("/"), chosen))
    return choices


POPULAR_BACKOFF = 30  # seconds the home page goes without view counts after a database error


def popular(kb: PublishedKB, locale: str, viewer: Viewer, limit: int = 5) -> list[Article]:
    """The most viewed articles the viewer may see, or [] when view counts are unavailable."""
    # Per app: when its database last failed (each app, as each worker, has its own).
    down_until: list[float] = current_app.extensions.setdefault("kbportal.popular_down", [0.0])
    if time.monotonic() < down_until[0]:
        return []  # the database failed a moment ago: do not make every home page wait on it
    try:
        keys = popular_articles(locale, limit=limit * 3)  # room for keys the viewer may not see
    except Exception:  # analytics must never take the home page down
        log.warning("popular articles unavailable for %d s", POPULAR_BACKOFF, exc_info=True)
        down_until[0] = time.monotonic() + POPULAR_BACKOFF
        return []
    found: list[Article] = []
    for key in keys:
        key_locale, _, slug = key.partition("/")
        article = kb.article(key_locale, slug, viewer) if key_locale == locale else None
        if article is not None:  # the KB filters by viewer: internal keys drop out here
            found.append(article)
        if len(found) >= limit:
            break
    return found


def shown(results: SearchResults) -> list[Shown]:
    """The results a search page showed, for the search log."""
    return [Shown(hit.key, hit.anchor) for hit in results.hits]


def public_articles(kb: PublishedKB, locale: str) -> Iterator[Article]:
    """Every article a customer may open in a locale, walking the category tree."""
    seen: set[str] = set()
    paths = [""] + [node.category.path for _depth, node in flatten(kb.categories(locale, PUBLIC))]
    for path in paths:
        for article in kb.articles_in(locale, path, PUBLIC):
            if article.key not in seen and PUBLIC.can_see(article):
                seen.add(article.key)
                yield article

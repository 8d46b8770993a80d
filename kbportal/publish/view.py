"""The read interface of one published, immutable version of the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kbportal.content.models import Article, Category, Problem
from kbportal.search.types import SearchQuery, SearchResults, Suggestion
from kbportal.viewer import PUBLIC, Viewer

__all__ = ["CategoryNode", "PublishedKB", "Suggestion"]  # Suggestion lives in search.types


@dataclass(frozen=True)
class CategoryNode:
    """A category in the tree a viewer sees, with the count of articles it may open."""

    category: Category
    count: int  # visible articles in this category and all below it
    children: list[CategoryNode] = field(default_factory=list)


class PublishedKB(Protocol):
    """What pages, the API and the CLI read. Every method filters by the viewer."""

    build_id: str

    def article(self, locale: str, slug: str, viewer: Viewer) -> Article | None:
        """The article, or None if it does not exist or the viewer may not see it."""

    def redirect_for(self, locale: str, slug: str, viewer: Viewer) -> str | None:
        """The current slug for an old slug (alias or rename), if the viewer may see it."""

    def category(self, locale: str, path: str, viewer: Viewer) -> CategoryNode | None:
        """One category with its visible subtree, or None if empty or unknown to the viewer."""

    def categories(self, locale: str, viewer: Viewer) -> list[CategoryNode]:
        """The top-level categories the viewer sees, each with its subtree and counts."""

    def articles_in(self, locale: str, category: str, viewer: Viewer) -> list[Article]:
        """Articles directly in a category, in their editorial order.

        Listings (this, `recent`, `related`, `translations`) hold the listing fields only:
        key, title, summary, category, visibility, audience, updated, order, template, authors;
        `html`, `sections`, `toc` and `links` are empty. Call `article` for the full one.
        """

    def recent(self, locale: str, viewer: Viewer, limit: int = 5) -> list[Article]:
        """The most recently updated articles."""

    def related(self, article: Article, viewer: Viewer, limit: int = 5) -> list[Article]:
        """Related articles: the `related` list first, then the same category."""

    def locales_with_articles(self, viewer: Viewer) -> frozenset[str]:
        """The locales in which the viewer can open at least one article."""

    def translations(self, article: Article, viewer: Viewer) -> dict[str, Article]:
        """The same article in other locales (same slug), keyed by locale."""

    def problems(self, viewer: Viewer | None = None) -> list[Problem]:
        """Content problems found when this version was built (with a viewer: theirs to see)."""

    def search(self, query: SearchQuery) -> SearchResults:
        """Full-text search, filtered by the query's viewer."""

    def autocomplete(
        self, prefix: str, viewer: Viewer, locale: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        """Titles that complete what the reader is typing."""

    def media_file(self, relpath: str, viewer: Viewer = PUBLIC) -> Path | None:
        """An image from the articles tree, or None (never a path outside the tree).

        Served only if an article the viewer may see shows it: internal articles' images
        are internal too. (`viewer` added with a default; pass the current viewer.)
        """

"""The values that cross the search package's interface."""

from __future__ import annotations

from dataclasses import dataclass, field

from kbportal.viewer import PUBLIC, Viewer


@dataclass(frozen=True)
class SearchQuery:
    """What a reader asked for: free text (never a query language) plus filters."""

    text: str
    viewer: Viewer = PUBLIC
    locale: str | None = None
    category: str | None = None  # a category path; matches it and its subcategories
    page: int = 1
    per_page: int = 10


@dataclass(frozen=True)
class Hit:
    """One article in the results, at its best-matching section."""

    locale: str
    slug: str
    title: str
    section: str  # the section's heading text ("" for the intro)
    anchor: str  # the section's anchor ("" for the intro)
    snippet: str  # HTML: escaped text with <mark> around matched terms
    score: float
    category: str
    visibility: str = "public"
    # How likely this hit answers the query, comparable across queries (search.confidence)
    confidence: float = 0.0

    @property
    def key(self) -> str:
        """The article's "locale/slug" identity."""
        return f"{self.locale}/{self.slug}"


@dataclass(frozen=True)
class SearchResults:
    """A page of hits, the number of matching articles, and a spelling suggestion if any."""

    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    per_page: int = 10
    corrected: str | None = None  # "did you mean", built only from what the viewer may see
    # The total is a count of a pruned first pass (many matches): "about N"; it may miss a few
    total_is_estimate: bool = False


@dataclass(frozen=True)
class Suggestion:
    """An as-you-type completion: an article title the viewer may see."""

    locale: str
    slug: str
    title: str

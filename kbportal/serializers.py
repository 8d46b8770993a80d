"""JSON shapes shared by the API and the CLI, so both print exactly the same thing."""

from __future__ import annotations

from typing import Any

from kbportal.content.models import Article
from kbportal.search.types import Hit, SearchResults
from kbportal.urls import article_path


def hit_json(hit: Hit) -> dict[str, Any]:
    """One search hit as the API returns it."""
    return {
        "slug": hit.slug,
        "title": hit.title,
        "url": article_path(hit.locale, hit.slug, hit.anchor),
        "section": hit.section,
        "snippet": hit.snippet,
        "score": round(float(hit.score), 4),
        # Comparable across queries, unlike score: >= search.confidence.SUGGEST_THRESHOLD is
        # good enough to suggest unasked.
        "confidence": round(float(hit.confidence), 4),
        "category": hit.category,
        "locale": hit.locale,
        # "internal" only ever reaches staff (token holders): integrations can mark such links.
        "visibility": hit.visibility,
    }


def search_results_json(results: SearchResults) -> dict[str, Any]:
    """A page of search results: {"query", "total", "total_is_estimate", "results": [...]}."""
    return {
        "query": results.query,
        "total": results.total,
        # Many matches: the count comes from a pruned search and may miss a few ("about N")
        "total_is_estimate": results.total_is_estimate,
        "results": [hit_json(hit) for hit in results.hits],
    }


def article_json(article: Article) -> dict[str, Any]:
    """An article's metadata, URL and rendered HTML."""
    return {
        "slug": article.slug,
        "title": article.title,
        "locale": article.locale,
        "category": article.category,
        "summary": article.summary,
        "tags": list(article.tags),
        "updated": article.updated.isoformat() if article.updated else None,
        "url": article_path(article.locale, article.slug),
        "visibility": article.visibility,
        "html": article.html,
    }

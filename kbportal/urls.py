"""The portal's URL scheme, shared by views, the API, the CLI and the index."""

from __future__ import annotations

from urllib.parse import quote


def article_path(locale: str, slug: str, anchor: str = "") -> str:
    """The site-relative URL of an article, optionally at a section."""
    url = f"/{locale}/articles/{quote(slug)}"
    return f"{url}#{quote(anchor)}" if anchor else url


def category_path(locale: str, category: str) -> str:
    """The site-relative URL of a category page."""
    return f"/{locale}/categories/{quote(category)}" if category else f"/{locale}/"


def click_path(search_id: int, position: int, locale: str, slug: str, anchor: str = "") -> str:
    """A search result's link: the article page credits the click, then drops the parameters."""
    url = f"/{locale}/articles/{quote(slug)}?click={int(search_id)}.{int(position)}"
    return f"{url}&sec={quote(anchor)}#{quote(anchor)}" if anchor else url

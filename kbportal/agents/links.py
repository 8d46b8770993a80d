"""Links agents paste into replies: absolute canonical URLs, markdown links, hit payloads."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import nh3

from kbportal.content.models import Article
from kbportal.publish.view import PublishedKB
from kbportal.search.types import Hit, SearchQuery, SearchResults
from kbportal.urls import article_path
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

COPY_KINDS = ("link", "markdown", "section")
TIE_DIGITS = 6  # scores equal to this many decimals are a tie (float noise is not a difference)
_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]])")


class CopyError(ValueError):
    """A copy report that cannot be recorded; the message is fit for the client."""


def absolute_url(root: str, locale: str, slug: str, anchor: str = "") -> str:
    """The canonical absolute URL of an article (at a section): what a customer can open."""
    return root.rstrip("/") + article_path(locale, slug, anchor)


def markdown_link(title: str, url: str) -> str:
    """`[Title](url)` with the title's brackets escaped (the URL is already percent-encoded)."""
    label = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(title.split()))
    return f"[{label}]({url})"


def template_path(locale: str, slug: str) -> str:
    """The fill-in page of a reply template (what a template hit opens)."""
    return f"/staff/templates/{locale}/{slug}"


def hit_payload(hit: Hit, root: str, template: bool = False) -> dict[str, Any]:
    """One staff search hit with everything the page needs to open and copy it."""
    url = absolute_url(root, hit.locale, hit.slug)
    section_url = absolute_url(root, hit.locale, hit.slug, hit.anchor)
    internal = hit.visibility != "public"
    return {
        "key": hit.key,
        "locale": hit.locale,
        "slug": hit.slug,
        "title": hit.title,
        "section": hit.section if hit.section != hit.title else "",
        "anchor": hit.anchor,
        # The engine escapes; this pass keeps only <mark>, so the page may insert it as HTML.
        "snippet": nh3.clean(hit.snippet, tags={"mark"}, attributes={}),
        "category": hit.category,
        "visibility": hit.visibility,
        "internal": internal,
        # A reply template opens where its {{placeholders}} are filled in, not as raw text.
        "open": template_path(hit.locale, hit.slug)
        if template
        else article_path(hit.locale, hit.slug, hit.anchor),
        "template": template,
        "url": url,
        "section_url": section_url,
        "markdown": markdown_link(hit.title, url),
    }


def results_payload(
    results: SearchResults, root: str, templates: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A page of staff search results as JSON (`templates`: keys of reply-template hits)."""
    return {
        "query": results.query,
        "total": results.total,
        "total_is_estimate": results.total_is_estimate,  # "About N": many matches, pruned
        "page": results.page,
        "per_page": results.per_page,
        "corrected": results.corrected,
        "hits": [hit_payload(hit, root, hit.key in templates) for hit in results.hits],
    }


def staff_search(
    kb: PublishedKB,
    text: str,
    viewer: Viewer,
    locale: str | None = None,
    page: int = 1,
    per_page: int = 10,
    prefer: str | None = None,
) -> SearchResults:
    """Search everything the viewer may see (public and internal articles alike).

    With no locale, every locale is searched and, on equal scores, hits in `prefer` (the
    agent's UI language) come first.
    """
    results = kb.search(SearchQuery(text, viewer, locale, None, page=page, per_page=per_page))
    if locale is None and prefer:
        # Stable: the engine's order stands except that a tie goes to the agent's language.
        # A new list: the results may be shared with a cache.
        hits = sorted(
            results.hits, key=lambda hit: (-round(hit.score, TIE_DIGITS), hit.locale != prefer)
        )
        results = replace(results, hits=hits)
    return results


@dataclass(frozen=True)
class CopiedLink:
    """A validated report of one copied link: which article, which section, how."""

    article: Article
    section: str  # anchor, "" for the whole article
    how: str


def check_copy(kb: PublishedKB, viewer: Viewer, payload: Any) -> CopiedLink:
    """Validate a copy report from the page; CopyError if it names nothing the viewer can see."""
    if not isinstance(payload, dict):
        raise CopyError("send a JSON object: {article, section, how}")
    key, section, how = payload.get("article"), payload.get("section") or "", payload.get("how")
    if not isinstance(key, str) or "/" not in key or len(key) > 512:
        raise CopyError('article must be "locale/slug"')
    if not isinstance(section, str) or len(section) > 255:
        raise CopyError("section must be an anchor of the article")
    if how not in COPY_KINDS:
        raise CopyError(f"how must be one of: {', '.join(COPY_KINDS)}")
    locale, _, slug = key.partition("/")
    article = kb.article(locale, slug, viewer)
    if article is None:
        # Missing and not-yours look the same, as everywhere else.
        raise CopyError("no such article")
    anchors = {h.anchor for h in article.toc} | {s.anchor for s in article.sections}
    if section and section not in anchors:
        raise CopyError("no such section in the article")
    return CopiedLink(article, section, how)

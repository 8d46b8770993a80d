"""Machine-read public outputs: the sitemap, Atom feeds and article images."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, send_file

from kbportal.content.models import Article
from kbportal.viewer import PUBLIC
from kbportal.web import services
from kbportal.web.kb import current_kb
from kbportal.web.site import trusted_root, xml_text
from kbportal.web.templating import as_utc
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 20
MEDIA_MAX_AGE = 60
MEDIA_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def site_root() -> str:
    """The trusted absolute site URL (no trailing slash); 404 when the Host is not trusted."""
    root = trusted_root()
    if root is None:
        abort(404)
    return root


def xml_response(body: str, mimetype: str) -> Response:
    """An XML document with every character XML cannot carry removed (a second lock)."""
    return Response(xml_text(body), mimetype=mimetype)


SITEMAP_MAX_URLS = 50_000  # the sitemaps.org limit for one file; more make a sitemap index

# Sitemap documents by (build, site root): a build never changes, and tldr's takes ~0.4 s to
# render. Only trusted roots reach it (site.trusted_root), so a Host header cannot add entries.
_sitemaps: dict[tuple[str, str], dict[int, str]] = {}


def sitemap_documents(root: str, articles: list[Article], limit: int) -> dict[int, str]:
    """The sitemap files: {0: the one urlset} or {0: an index, 1..n: urlsets of `limit` URLs}."""
    if len(articles) <= limit:
        return {0: render_template("sitemap.xml", root=root, articles=articles)}
    parts = [articles[start : start + limit] for start in range(0, len(articles), limit)]
    documents = {
        number: render_template("sitemap.xml", root=root, articles=part)
        for number, part in enumerate(parts, start=1)
    }
    newest = [max((a.updated for a in part if a.updated), default=None) for part in parts]
    documents[0] = render_template("sitemap_index.xml", root=root, parts=newest)
    return documents


def _sitemaps_for(root: str) -> dict[int, str]:
    """This build's sitemap documents for a trusted root (rendered once)."""
    kb = current_kb()
    key = (kb.build_id, root)
    documents = _sitemaps.get(key)
    if documents is None:
        entries = [
            article
            for locale in current_app.config["KBPORTAL_LOCALES"]
            for article in services.public_articles(kb, locale)
        ]
        documents = sitemap_documents(root, entries, SITEMAP_MAX_URLS)
        if len(_sitemaps) >= 4:  # a few trusted roots or builds at most; drop the oldest
            del _sitemaps[next(iter(_sitemaps))]
        _sitemaps[key] = documents
    return documents


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every public article in every locale, for search engines (an index past 50,000)."""
    return xml_response(_sitemaps_for(site_root())[0], "application/xml")


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    """One part of a sitemap index."""
    documents = _sitemaps_for(site_root())
    if number < 1 or number not in documents:
        abort(404)
    return xml_response(documents[number], "application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawlers: read articles and the sitemap; skip search results, the API and staff pages."""
    lines = ["User-agent: *", "Disallow: /api/", "Disallow: /staff/", "Disallow: /login"]
    lines += [f"Disallow: /{locale}/search" for locale in current_app.config["KBPORTAL_LOCALES"]]
    root = trusted_root()
    if root is not None:  # an untrusted Host gets the rules without the absolute sitemap URL
        lines.append(f"Sitemap: {root}/sitemap.xml")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/<locale:locale>/feed.xml")
def feed(locale: str) -> Response:
    """An Atom feed of the recently updated public articles in one locale."""
    entries = current_kb().recent(locale, PUBLIC, limit=FEED_ENTRIES)
    updated = max(
        (as_utc(a.updated) for a in entries if a.updated),
        default=datetime(2000, 1, 1, tzinfo=UTC),
    )
    body = render_template(
        "feed.xml", root=site_root(), locale=locale, articles=entries, updated=updated
    )
    return xml_response(body, "application/atom+xml")


@bp.get("/media/<path:relpath>")
def media(relpath: str) -> Response:
    """An image from the articles tree, only as the published KB resolves it for this reader."""
    path = current_kb().media_file(relpath, current_viewer())
    if path is None:
        abort(404)
    response = send_file(path, max_age=MEDIA_MAX_AGE, conditional=True)
    # An SVG opened on its own is a document: no scripts, no loads, its own sandboxed origin.
    response.headers["Content-Security-Policy"] = MEDIA_POLICY
    return response

"""Machine-read public outputs: the sitemap, Atom feeds and article images."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file

from kbportal.viewer import PUBLIC
from kbportal.web import services
from kbportal.web.kb import current_kb
from kbportal.web.templating import as_utc
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 20
MEDIA_MAX_AGE = 60
MEDIA_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def site_root() -> str:
    """The absolute site URL, without a trailing slash."""
    return request.url_root.rstrip("/")


# Sitemaps by (build, site root): a build never changes, and tldr's takes ~0.4 s to render.
_sitemaps: dict[tuple[str, str], str] = {}


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every public article in every locale, for search engines."""
    kb = current_kb()
    key = (kb.build_id, site_root())
    body = _sitemaps.get(key)
    if body is None:
        entries = [
            article
            for locale in current_app.config["KBPORTAL_LOCALES"]
            for article in services.public_articles(kb, locale)
        ]
        body = render_template("sitemap.xml", root=key[1], articles=entries)
        if len(_sitemaps) >= 4:  # a few hosts or builds at most; drop the oldest
            del _sitemaps[next(iter(_sitemaps))]
        _sitemaps[key] = body
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawlers: read articles and the sitemap; skip search results, the API and staff pages."""
    lines = ["User-agent: *", "Disallow: /api/", "Disallow: /staff/", "Disallow: /login"]
    lines += [f"Disallow: /{locale}/search" for locale in current_app.config["KBPORTAL_LOCALES"]]
    lines.append(f"Sitemap: {site_root()}/sitemap.xml")
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
    return Response(body, mimetype="application/atom+xml")


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

"""The JSON API: search, articles and autocomplete. Errors are JSON with 400 or 404."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response

from kbportal import analytics
from kbportal.search.types import SearchQuery
from kbportal.serializers import article_json, search_results_json
from kbportal.urls import article_path, click_path
from kbportal.web.errors import json_error
from kbportal.web.kb import current_kb
from kbportal.web.params import MAX_PAGE, BadParam, clean_text, parse_int
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
AUTOCOMPLETE_LIMIT = 8


@bp.errorhandler(BadParam)
def bad_param(error: BadParam) -> Response:
    """A query-string value the API cannot use."""
    return json_error(400, str(error))


def locale_arg(required: bool = False) -> str | None:
    """The ?locale= filter: a configured locale, or None when absent and not required."""
    value = request.args.get("locale", "").strip()
    locales = current_app.config["KBPORTAL_LOCALES"]
    if not value:
        return str(current_app.config["KBPORTAL_DEFAULT_LOCALE"]) if required else None
    if value not in locales:
        raise BadParam(f"locale must be one of: {', '.join(locales)}")
    return value


@bp.get("/search")
def search() -> Response:
    """Full-text search: {"query", "total", "total_is_estimate", "results": [...]}."""
    text = clean_text(request.args.get("q"))
    if not text:
        raise BadParam("q is required: the text to search for")
    limit = parse_int(request.args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page = parse_int(request.args.get("page"), "page", 1, 1, MAX_PAGE)
    category = clean_text(request.args.get("category")).strip("/") or None
    locale = locale_arg()
    query = SearchQuery(text, current_viewer(), locale, category, page=page, per_page=limit)
    results = current_kb().search(query)
    search_id = analytics.record_search(
        analytics_surface("api"),
        locale or _default_locale(),
        text,
        results.total,
        [analytics.Shown(hit.key, hit.anchor) for hit in results.hits],
        corrected=results.corrected,
        filters=f"category={category}" if category else "",
        page=page,
        prev=_prev(),
    )
    body = search_results_json(results)
    body["search_id"] = search_id
    first = (page - 1) * limit
    for position, (hit, item) in enumerate(zip(results.hits, body["results"], strict=True), 1):
        item["click_url"] = click_path(
            search_id, first + position, hit.locale, hit.slug, hit.anchor
        )
    return jsonify(body)


def analytics_surface(default: str) -> str:
    """The surface a search is logged under: the caller's ?source=, else `default`."""
    from kbportal.analytics.searchlog import surface_name

    return surface_name(request.args.get("source"), default)


def _default_locale() -> str:
    return str(current_app.config["KBPORTAL_DEFAULT_LOCALE"])


def _prev() -> int | None:
    """The ?prev= search id a script sends to continue its previous search (as-you-type)."""
    value = request.args.get("prev", "")
    return int(value) if value.isdigit() and len(value) < 17 else None


@bp.get("/articles/<path:slug>")
def article(slug: str) -> Response:
    """One article's metadata, URL and rendered HTML; an old slug redirects (301)."""
    locale = locale_arg(required=True) or ""
    kb, viewer = current_kb(), current_viewer()
    found = kb.article(locale, slug, viewer)
    if found is None:
        current = kb.redirect_for(locale, slug, viewer)
        if current and current != slug:
            return redirect(f"/api/v1/articles/{quote(current)}?locale={locale}", code=301)
        return json_error(404, "no such article")
    return jsonify(article_json(found))


@bp.get("/autocomplete")
def autocomplete() -> Response:
    """Article titles completing what the reader is typing."""
    text = clean_text(request.args.get("q"), 100)
    locale = locale_arg()
    suggestions = (
        current_kb().autocomplete(text, current_viewer(), locale, AUTOCOMPLETE_LIMIT)
        if text
        else []
    )
    if not text:
        return jsonify({"query": text, "suggestions": []})
    search_id = analytics.record_search(
        analytics_surface("suggest"),
        locale or _default_locale(),
        text,
        len(suggestions),
        [analytics.Shown(f"{s.locale}/{s.slug}") for s in suggestions],
        prev=_prev(),
    )
    return jsonify(
        {
            "query": text,
            "search_id": search_id,
            "suggestions": [
                {
                    "title": s.title,
                    "slug": s.slug,
                    "url": article_path(s.locale, s.slug),
                    "click_url": click_path(search_id, position, s.locale, s.slug),
                }
                for position, s in enumerate(suggestions, 1)
            ],
        }
    )

"""The JSON API: search, articles and autocomplete. Errors are JSON with 400 or 404."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response

from kbportal.search.types import SearchQuery
from kbportal.serializers import article_json, search_results_json
from kbportal.urls import article_path
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
    """Full-text search: {"query", "total", "results": [...]}."""
    text = clean_text(request.args.get("q"))
    if not text:
        raise BadParam("q is required: the text to search for")
    limit = parse_int(request.args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page = parse_int(request.args.get("page"), "page", 1, 1, MAX_PAGE)
    category = clean_text(request.args.get("category")).strip("/") or None
    query = SearchQuery(text, current_viewer(), locale_arg(), category, page=page, per_page=limit)
    return jsonify(search_results_json(current_kb().search(query)))


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
    return jsonify(
        {
            "query": text,
            "suggestions": [
                {"title": s.title, "slug": s.slug, "url": article_path(s.locale, s.slug)}
                for s in suggestions
            ],
        }
    )

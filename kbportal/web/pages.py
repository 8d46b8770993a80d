"""Server-rendered pages: home, categories, articles and search."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from kbportal import analytics
from kbportal.analytics.views import credit_click
from kbportal.search.types import SearchQuery
from kbportal.urls import article_path
from kbportal.web import services
from kbportal.web.filter_options import filter_options
from kbportal.web.headers import PRIVATE_CACHE
from kbportal.web.i18n import best_locale
from kbportal.web.kb import current_kb
from kbportal.web.params import MAX_PAGE, clean_text, lenient_int
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

RECENT_ON_HOME = 6
POPULAR_ON_HOME = 6
CATEGORY_PAGE_SIZE = 50  # tldr's linux folder holds 2,000 pages: one page of them is enough


@bp.get("/")
def root() -> Response:
    """Send the reader to the home page in the language their browser prefers."""
    response = redirect(f"/{best_locale()}/", code=302)
    response.headers["Cache-Control"] = PRIVATE_CACHE
    response.vary.add("Accept-Language")
    return response


@bp.get("/<locale:locale>/")
def home(locale: str) -> str:
    """The home page: search box, categories with counts, popular and recent articles."""
    kb, viewer = current_kb(), current_viewer()
    return render_template(
        "home.html",
        locale=locale,
        categories=kb.categories(locale, viewer),
        popular=services.popular(kb, locale, viewer, POPULAR_ON_HOME),
        recent=kb.recent(locale, viewer, limit=RECENT_ON_HOME),
    )


@bp.get("/<locale:locale>/categories/<path:category>")
def category(locale: str, category: str) -> str:
    """A category: breadcrumbs, subcategories with counts, and its articles."""
    kb, viewer = current_kb(), current_viewer()
    node = kb.category(locale, category.strip("/"), viewer)
    if node is None:
        abort(404)
    articles = kb.articles_in(locale, node.category.path, viewer)
    last = max(1, -(-len(articles) // CATEGORY_PAGE_SIZE))
    page = lenient_int(request.args.get("page"), 1, 1, last)
    start = (page - 1) * CATEGORY_PAGE_SIZE
    return render_template(
        "category.html",
        locale=locale,
        node=node,
        crumbs=services.breadcrumbs(kb, locale, node.category.parent or "", viewer),
        articles=articles[start : start + CATEGORY_PAGE_SIZE],
        page=page,
        last=last,
    )


@bp.get("/<locale:locale>/articles/<path:slug>")
def article(locale: str, slug: str) -> Response | str:
    """An article page; an old slug answers with a permanent redirect to the current one."""
    kb, viewer = current_kb(), current_viewer()
    found = kb.article(locale, slug, viewer)
    if found is None:
        current = kb.redirect_for(locale, slug, viewer)
        if current and current != slug:
            return redirect(article_path(locale, current), code=301)
        # A pasted URL with a trailing slash, capitals or the file's .md: send to the article.
        tidy = slug.strip("/").lower().removesuffix(".md")
        if tidy and tidy != slug:
            if kb.article(locale, tidy, viewer) is not None:
                return redirect(article_path(locale, tidy), code=301)
            current = kb.redirect_for(locale, tidy, viewer)
            if current:
                return redirect(article_path(locale, current), code=301)
        abort(404)  # missing and not-yours look exactly the same
    clicked = credit_click(locale, found.slug)
    if clicked is not None:
        return clicked
    analytics.record_view(found.key)
    return render_template(
        "article.html",
        locale=locale,
        article=found,
        crumbs=services.breadcrumbs(kb, locale, found.category, viewer),
        related=kb.related(found, viewer),
        translations=kb.translations(found, viewer),
        staff=viewer.staff,  # staff tools in the header; never for the public
    )


@bp.get("/<locale:locale>/search")
def search(locale: str) -> str:
    """Search results with snippets, pagination, "did you mean" and a category filter."""
    kb, viewer = current_kb(), current_viewer()
    text = clean_text(request.args.get("q"))
    page = lenient_int(request.args.get("page"), 1, 1, MAX_PAGE)
    category = clean_text(request.args.get("category")).strip("/")
    results = None
    search_id = 0
    if text:
        per_page = int(current_app.config["KBPORTAL_SEARCH_PAGE_SIZE"])
        results = kb.search(
            SearchQuery(text, viewer, locale, category or None, page=page, per_page=per_page)
        )
        search_id = analytics.record_search(
            "page",
            locale,
            text,
            results.total,
            services.shown(results),
            corrected=results.corrected,
            filters=f"category={category}" if category else "",
            page=page,
        )
    return render_template(
        "search.html",
        locale=locale,
        q=text,
        category=category,
        results=results,
        search_id=search_id,
        categories=filter_options(kb, locale, viewer, category),
        max_page=MAX_PAGE,
    )

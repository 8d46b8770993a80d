"""The /staff pages: agent search, copy recording, reply templates and the links report."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue

from kbportal import analytics
from kbportal.accounts.auth import staff_required, staff_user
from kbportal.agents import links, replies, reports
from kbportal.db import get_session, utcnow
from kbportal.web.i18n import request_locale
from kbportal.web.kb import current_kb
from kbportal.web.params import MAX_PAGE, clean_text, lenient_int
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

bp = Blueprint("agents", __name__, url_prefix="/staff")

STAFF_CACHE = "private, no-store"
REPORT_ROLES = frozenset({"editor", "admin"})
REPORT_DAYS = (7, 30, 90)
PER_PAGE = 10


def never_shared(response: Response) -> Response:
    """Nothing under /staff (ours, history pages, even a 404) may be stored by any cache."""
    if request.path == "/staff" or request.path.startswith("/staff/"):
        response.headers["Cache-Control"] = STAFF_CACHE
        response.vary.add("Cookie")
    return response


def _json(status: int, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def public_root() -> str:
    """The site's public address for copied links (KBPORTAL_PUBLIC_URL, else this request's)."""
    configured = current_app.config.get("KBPORTAL_PUBLIC_URL")
    return str(configured or request.url_root).rstrip("/")


def _search_args() -> tuple[str, str | None, int]:
    text = clean_text(request.args.get("q"))
    wanted = request.args.get("locale")
    locales = current_app.config["KBPORTAL_LOCALES"]
    # Every locale unless one is chosen: an agent pastes the customer's words, in any language.
    locale = wanted if wanted in locales else None
    page = lenient_int(request.args.get("page"), 1, 1, MAX_PAGE)
    return text, locale, page


def _search(text: str, locale: str | None, page: int) -> dict[str, Any] | None:
    if not text:
        return None
    kb, viewer = current_kb(), current_viewer()
    results = links.staff_search(
        kb, text, viewer, locale, page=page, per_page=PER_PAGE, prefer=request_locale()
    )
    templates = frozenset(
        hit.key
        for hit in results.hits
        if (found := kb.article(hit.locale, hit.slug, viewer)) and replies.is_template(found)
    )
    return links.results_payload(results, public_root(), templates)


@bp.get("/")
@staff_required()
def home() -> ResponseReturnValue:
    """The workspace starts at search."""
    return redirect("/staff/search")


@bp.get("/search")
@staff_required()
def search() -> ResponseReturnValue:
    """The agent search page; works as a plain form, and live with agents.js."""
    user = staff_user()
    text, locale, page = _search_args()
    return render_template(
        "agents/search.html",
        user=user,
        q=text,
        selected_locale=locale or "",
        results=_search(text, locale, page),
        max_page=MAX_PAGE,
    )


@bp.get("/search.json")
@staff_required(json=True)
def search_json() -> ResponseReturnValue:
    """Staff search as JSON: what the page fetches as the agent types."""
    text, locale, page = _search_args()
    payload = _search(text, locale, page)
    if payload is None:
        payload = {
            "query": "",
            "total": 0,
            "total_is_estimate": False,
            "page": 1,
            "per_page": PER_PAGE,
            "hits": [],
        }
    return jsonify(payload)


@bp.post("/copies")
@staff_required(json=True)
def record_copy() -> ResponseReturnValue:
    """Record one copied link (CSRF-checked); answers only after the event is stored."""
    user = staff_user()
    try:
        copied = links.check_copy(current_kb(), current_viewer(), request.get_json(silent=True))
    except links.CopyError as error:
        return _json(404 if str(error) == "no such article" else 400, error=str(error))
    try:
        analytics.record_copy(
            "link", copied.article.key, copied.section or None, user.id, copied.how
        )
    except Exception:  # the page retries; the agent must learn the copy was not counted
        log.exception("could not record a copied link")
        return _json(503, error="not recorded, try again")
    return _json(201, recorded=True)


@bp.post("/templates/copies")
@staff_required(json=True)
def record_template_copy() -> ResponseReturnValue:
    """Record one copied reply (CSRF-checked); answers only after the event is stored."""
    user = staff_user()
    try:
        article = replies.check_template_copy(
            current_kb(), current_viewer(), request.get_json(silent=True)
        )
    except replies.TemplateCopyError as error:
        return _json(404 if str(error) == "no such template" else 400, error=str(error))
    try:
        analytics.record_copy("template", article.key, None, user.id)
    except Exception:  # the page retries; the agent must learn the copy was not counted
        log.exception("could not record a copied reply")
        return _json(503, error="not recorded, try again")
    return _json(201, recorded=True)


@bp.get("/templates")
@staff_required()
def templates() -> ResponseReturnValue:
    """Reply templates the agent may use, in the UI locale."""
    user = staff_user()
    locale = request_locale()
    found = replies.list_templates(current_kb(), locale, current_viewer())
    return render_template("agents/templates.html", user=user, templates=found)


@bp.route("/templates/<locale:locale>/<path:slug>", methods=["GET", "POST"])
@staff_required()
def template(locale: str, slug: str) -> ResponseReturnValue:
    """One template: a form from its placeholders, filled here (POST) or live in the page."""
    user = staff_user()
    article = current_kb().article(locale, slug, current_viewer())
    if article is None or not replies.is_template(article):
        abort(404)
    reply = replies.as_template(article)
    values = {name: "" for name in reply.fields}
    if request.method == "POST":  # CSRF is checked by the app before we get here
        values = {name: replies.clean_value(request.form.get(name)) for name in reply.fields}
    return render_template(
        "agents/template.html",
        user=user,
        reply=reply,
        values=values,
        labels={name: replies.field_label(name) for name in reply.fields},
        filled=replies.fill(reply.text, values),
        url=links.absolute_url(public_root(), article.locale, article.slug),
    )


@bp.get("/reports/links")
@staff_required(*REPORT_ROLES)
def links_report() -> ResponseReturnValue:
    """Editors: the articles and sections agents send most."""
    user = staff_user()
    days = lenient_int(request.args.get("days"), 30, 1, 366)
    by_article, by_section = reports.most_copied(get_session(), utcnow(), days=days)
    by_template = reports.most_copied_templates(get_session(), utcnow(), days=days)
    kb, viewer = current_kb(), current_viewer()
    titles: dict[str, str] = {}
    for row in by_article + by_section + by_template:
        if row.article not in titles:
            locale, _, slug = row.article.partition("/")
            # A renamed article keeps its count under the old key: follow the rename.
            current = kb.redirect_for(locale, slug, viewer) or slug
            found = kb.article(locale, current, viewer)
            if found is not None:
                titles[row.article] = found.title
    articles, hidden = reports.visible_rows(by_article, titles)
    sections, _hidden = reports.visible_rows(by_section, titles)
    template_rows, hidden_templates = reports.visible_rows(by_template, titles)
    return render_template(
        "agents/report.html",
        user=user,
        days=days,
        choices=REPORT_DAYS,
        articles=articles,
        sections=sections,
        hidden=hidden,
        templates=template_rows,
        hidden_templates=hidden_templates,
        titles=titles,
    )

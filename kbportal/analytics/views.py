"""Public analytics endpoints: click credit (a redirect) and article feedback (a form)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from itsdangerous import BadData, URLSafeSerializer
from werkzeug.wrappers import Response

from kbportal.accounts.auth import csrf
from kbportal.analytics import feedback, tracking
from kbportal.analytics.models import VOTE_REASONS
from kbportal.analytics.request import current_kb, current_viewer
from kbportal.analytics.visitors import daily_hash
from kbportal.freetext import clean_text
from kbportal.urls import article_path

log = logging.getLogger(__name__)

bp = Blueprint("analytics", __name__)

NO_STORE = "private, no-store"
MAX_FORM_BYTES = 8 * 1024


def credit_click(locale: str, slug: str) -> Response | None:
    """On an article opened from a search result (?click=ID.POS&sec=anchor): credit the click
    and redirect to the plain URL, so the cached page, the address bar and shared links stay
    clean. None when the request is not a result click. The article must be visible already.
    """
    raw = request.args.get("click")
    if raw is None:
        return None
    search_text, _, position_text = raw.partition(".")
    section = clean_text(request.args.get("sec"), 255)
    if search_text.isdigit() and position_text.isdigit() and len(raw) < 30:
        search_id, position = int(search_text), int(position_text)
        tracking.record_click(search_id or None, f"{locale}/{slug}", section, position or None)
    response = redirect(article_path(locale, slug, section), code=302)
    response.headers["Cache-Control"] = NO_STORE
    return response


def _same_origin() -> bool:
    """A vote form posts from our own pages (the cached page carries no CSRF token)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site and site not in ("same-origin", "none"):
        return False
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value and value != "null":
            return urlsplit(value).netloc == request.host
    return True  # no browser sends neither: this is not a forged cross-site form


def _vote_signer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key or ""), salt="kbportal.analytics.vote")


def _answer(status: int, message: str, locale: str) -> Response:
    response: Response
    if request.accept_mimetypes.best == "application/json":
        response = jsonify({"error": message})
    else:
        response = Response(
            render_template("analytics/feedback_error.html", locale=locale, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.post("/<locale:locale>/feedback/<path:slug>")
@csrf.exempt
def vote(locale: str, slug: str) -> Response:
    """Store a "Was this helpful?" answer before answering; works with and without script."""
    if (request.content_length or 0) > MAX_FORM_BYTES:
        return _answer(413, "the form is too large", locale)
    if not _same_origin():
        return _answer(403, "votes are accepted from this site's pages only", locale)
    article = current_kb().article(locale, slug, current_viewer())
    if article is None:
        return _answer(404, "no such article", locale)
    form = {key: request.form.get(key, "") for key in ("helpful", "reason", "comment", "vote")}
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.form.get("website"):  # the honeypot: people never see this field
        return _thanks(locale, slug, 0, form.get("helpful") == "no", wants_json)
    address = daily_hash(str(current_app.secret_key or ""), request.remote_addr)
    if not tracking.get_analytics().vote_throttle.allow(address):
        return _answer(429, "too many votes; please try again later", locale)
    try:
        token = form.pop("vote")
        replaces = _vote_signer().loads(token) if token else None
        form["vote"] = str(replaces) if isinstance(replaces, int) else ""
        parsed = feedback.parse_vote(article.key, feedback.content_version(article.html), form)
    except BadData:
        return _answer(400, "the form has expired; please vote again", locale)
    except feedback.FeedbackError as error:
        return _answer(400, str(error), locale)
    try:
        vote_id = tracking.record_vote(parsed)
    except Exception:  # the reader must learn the vote was not stored
        log.exception("could not store a vote")
        return _answer(503, "your answer was not saved; please try again", locale)
    return _thanks(locale, slug, vote_id, not parsed.helpful and not parsed.reason, wants_json)


def _thanks(locale: str, slug: str, vote_id: int, ask_reason: bool, wants_json: bool) -> Response:
    token = _vote_signer().dumps(vote_id)
    response: Response
    if wants_json:
        response = jsonify({"recorded": True, "vote": token})
    else:
        target = f"/{locale}/feedback/{slug}?vote={token}" + ("&why=1" if ask_reason else "")
        response = redirect(target, code=303)
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.get("/<locale:locale>/feedback/<path:slug>")
def thanks(locale: str, slug: str) -> Response:
    """After a vote without script: thanks, and on "No" a form for the reason and comment."""
    article = current_kb().article(locale, slug, current_viewer())
    if article is None:
        abort(404)
    body = render_template(
        "analytics/feedback_thanks.html",
        locale=locale,
        article=article,
        vote=clean_text(request.args.get("vote"), 200),
        ask_reason=request.args.get("why") == "1",
        reasons=VOTE_REASONS,
    )
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = NO_STORE
    return response

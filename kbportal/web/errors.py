"""Error responses: a helpful 404 page for readers, JSON for the API, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from kbportal.publish.gate import SearchBusy
from kbportal.publish.manifest import BuildError
from kbportal.web.i18n import request_locale
from kbportal.web.kb import current_kb
from kbportal.web.params import clean_text
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

POPULAR_CATEGORIES = 6
UNPUBLISHED = "the knowledge base has not been published yet"
RETRY_AFTER = "30"  # seconds; a first build or the next sync may fix it


def wants_json() -> bool:
    """Whether this request is for the JSON API (or a webhook: machines read both)."""
    return request.path.startswith(("/api/", "/hooks/"))


def json_error(status: int, message: str) -> Response:
    """An API error: {"error": message} with the status code (the shape tokens' 401s use too)."""
    response = jsonify({"error": message})
    response.status_code = status
    return response


def not_found_page() -> tuple[str, int]:
    """The 404 page: a search box and the biggest categories, with no hint of what is hidden."""
    locale = request_locale()
    try:
        kb, viewer = current_kb(), current_viewer()
        categories = sorted(kb.categories(locale, viewer), key=lambda node: -node.count)
    except BuildError:  # nothing published yet: still a 404 page, only without categories
        categories = []
    # Words from the missing URL prefill the search box; the same for hidden and missing pages.
    last = request.path.rstrip("/").rsplit("/", 1)[-1]
    guess = clean_text(last.replace("-", " ").replace("_", " "), 80)
    return render_template(
        "404.html",
        locale=locale,
        categories=categories[:POPULAR_CATEGORIES],
        q=guess,
    ), 404


def handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
    """Answer an HTTP error in the form the client asked for."""
    status = error.code or 500
    if wants_json():
        messages = {404: "not found", 405: "method not allowed"}
        return json_error(status, messages.get(status, error.description or error.name))
    if status == 404:
        return not_found_page()
    if status == 403:  # a staff member whose role lacks the page: say so, and the way back
        return Response(render_template("403.html", locale=request_locale()), status=403)
    return Response(
        render_template("error.html", locale=request_locale(), status=status, name=error.name),
        status=status,
    )


def handle_unpublished(error: BuildError) -> Response:
    """No version to serve (first build failed, empty or missing articles): a clear 503."""
    log.info("503 on %s: %s", request.path, error)
    if wants_json():
        response = json_error(503, UNPUBLISHED)
    else:
        locale = request_locale()
        page = render_template("error.html", locale=locale, status=503, unpublished=True)
        response = Response(page, status=503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_database_down(error: OperationalError) -> Response:
    """The database cannot be reached (customers' pages do not need it; sign-in and tokens do)."""
    log.error("database unavailable on %s: %s", request.path, error.orig or error)
    if wants_json():
        response = json_error(503, "temporarily unavailable; try again in a minute")
    else:
        page = render_template("error.html", locale=request_locale(), status=503, name="Error")
        response = Response(page, status=503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_search_busy(error: SearchBusy) -> Response:
    """Every search slot of this worker is taken: the search (only) is asked to retry."""
    if wants_json():
        response = json_error(503, str(error))
    else:
        page = render_template("error.html", locale=request_locale(), status=503, name="Busy")
        response = Response(page, status=503)
    response.headers["Retry-After"] = "2"
    return response


def handle_unexpected(error: Exception) -> Response:
    """A bug: log it, and give the client a plain 500 with no details."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)  # type: ignore[return-value]
    if current_app.debug:
        raise error  # a developer wants the traceback and the debugger
    log.exception("unhandled error on %s", request.path)
    if wants_json():
        return json_error(500, "internal error")
    # The 500 page reads nothing from the KB: the KB may be what failed.
    status = InternalServerError.code
    return Response(
        render_template("error.html", locale=request_locale(), status=status, name="Error"),
        status=status,
    )


def init_app(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(BuildError, handle_unpublished)
    app.register_error_handler(SearchBusy, handle_search_busy)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)

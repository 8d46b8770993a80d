"""HTTP side of publishing: the git webhook, and staff pages for history and problems."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from kbportal.accounts.auth import staff_required
from kbportal.db import get_database, utcnow
from kbportal.serving import read_body
from kbportal.sync import deliveries, history
from kbportal.sync.runner import SyncRunner
from kbportal.sync.signatures import event_kind, lower_headers, pushed_branch, verify
from kbportal.web.kb import current_kb
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)

hooks = Blueprint("sync_hooks", __name__)
staff = Blueprint("sync_staff", __name__, url_prefix="/staff")

EXTENSION = "kbportal_sync"
DEFAULT_MAX_BODY = 1024 * 1024


def app_settings(app: Flask) -> dict[str, Any]:
    """The app's KBPORTAL_* settings keyed without the prefix, as services expect them."""
    return {
        k.removeprefix("KBPORTAL_"): v for k, v in app.config.items() if k.startswith("KBPORTAL_")
    }


def get_runner() -> SyncRunner:
    """This process's sync runner (made on first use)."""
    runner = current_app.extensions.get(EXTENSION)
    if runner is None:
        runner = current_app.extensions[EXTENSION] = SyncRunner(app_settings(current_app))
    return runner  # type: ignore[no-any-return, unused-ignore]


def _too_large() -> ResponseReturnValue:
    log.warning("webhook refused from %s: body over the limit", request.remote_addr)
    response = _json(413, error="the request body is too large")
    response.headers["Connection"] = "close"
    return response


def _json(code: int, /, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@hooks.post("/hooks/git")
def git_webhook() -> ResponseReturnValue:
    """A push notification from GitHub, GitLab, Gitea or our post-receive hook."""
    secret = current_app.config.get("KBPORTAL_WEBHOOK_SECRET") or ""
    if not secret:
        abort(404)  # no secret configured: the hook does not exist
    # The signature covers the whole body, so the body is read first: bounded, and refused
    # unread when its declared length is already too large (six 1 GiB posts took 5.7 GB).
    limit = int(current_app.config.get("KBPORTAL_MAX_WEBHOOK_BODY") or DEFAULT_MAX_BODY)
    if request.content_length is not None and request.content_length > limit:
        return _too_large()
    try:
        body = read_body(limit)
    except RequestEntityTooLarge:  # chunked, and longer than the limit: stop reading there
        return _too_large()
    headers = lower_headers(request.headers.items())
    verdict = verify(headers, body, secret)
    if not verdict.ok:
        log.warning("webhook rejected from %s: %s", request.remote_addr, verdict.reason)
        return _json(401, error="unauthorized", reason=verdict.reason)
    kind = event_kind(headers)
    if kind == "ping":
        return _json(200, status="pong")
    if kind != "push":
        return _json(202, status="ignored", reason=f"event {kind!r} is not a push")
    branch = pushed_branch(body)
    wanted = current_app.config.get("KBPORTAL_GIT_BRANCH", "main")
    if branch is not None and branch != wanted:
        return _json(202, status="ignored", reason=f"push to {branch!r}, publishing {wanted!r}")
    now = utcnow()
    if deliveries.is_stale(body, now):
        log.warning("webhook refused (%s): a push older than 7 days, replayed", verdict.provider)
        return _json(409, error="stale delivery", reason="the push is older than 7 days")
    with get_database().connect() as connection:
        first = deliveries.first_delivery(
            connection, body, verdict.provider, deliveries.delivery_id(headers), now
        )
        connection.commit()
    if not first:
        # A provider's retry of a delivery we took, or a replay: 200 so retries stop, no sync.
        log.info("webhook (%s): delivery already received, ignored", verdict.provider)
        return _json(200, status="duplicate", reason="this delivery was already received")
    sync_id = get_runner().request()
    log.info("webhook (%s): sync %s requested", verdict.provider, sync_id)
    return _json(202, status="accepted", sync_id=sync_id)


@staff.get("/articles/<locale>/<path:slug>/history")
@staff_required()
def article_history(locale: str, slug: str) -> ResponseReturnValue:
    """The commits that changed one article: hash, author, date, subject."""
    article = current_kb().article(locale, slug, current_viewer())
    if article is None:
        abort(404)
    articles_dir = Path(current_app.config["KBPORTAL_ARTICLES_DIR"])
    commits = history.file_history(articles_dir, article.path)
    response = current_app.make_response(
        render_template("sync/history.html", article=article, commits=commits)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff.get("/problems")
@staff_required()
def problems() -> ResponseReturnValue:
    """Content problems of the version being served, and the last sync's outcome."""
    from kbportal.sync.service import last_report

    settings = app_settings(current_app)
    nodes, published = _cluster_state(settings)
    response = current_app.make_response(
        render_template(
            "sync/problems.html",
            problems=current_kb().problems(current_viewer()),
            last=last_report(settings),
            nodes=nodes,
            published=published,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _cluster_state(settings: dict[str, Any]) -> tuple[list[Any], Any]:
    """Every web node with the commit it serves, and the newest publication ([] if unknown)."""
    from kbportal.cluster import service as cluster

    try:
        return cluster.statuses(settings), cluster.latest(settings)
    except Exception:  # noqa: BLE001 - the problems page must work while the database is down
        log.warning("node list unavailable", exc_info=True)
        return [], None

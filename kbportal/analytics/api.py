"""The insights as JSON for editors' API tokens: /api/v1/analytics/..."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from kbportal.accounts.auth import staff_required
from kbportal.analytics import reports
from kbportal.analytics.request import json_error, public_article
from kbportal.analytics.scope import BadScope, parse_scope
from kbportal.db import get_session, utcnow
from kbportal.freetext import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("analytics_api", __name__, url_prefix="/api/v1/analytics")
EDITORS = ("editor", "admin")


@bp.errorhandler(BadScope)
def bad_scope(error: BadScope) -> Response:
    """A report parameter the API cannot use."""
    return json_error(400, str(error))


def scope() -> reports.Scope:
    """The request's report scope (400 on anything unusable)."""
    return parse_scope(request.args, current_app.config["KBPORTAL_LOCALES"], utcnow().date())


def scope_json(value: reports.Scope) -> dict[str, Any]:
    """A scope as the API echoes it."""
    return {
        "since": value.since.isoformat(),
        "until": value.until.isoformat(),
        "locale": value.locale,
        "surface": value.surface,
        "segment": value.segment,
    }


def figures_json(f: reports.Figures) -> dict[str, Any]:
    """Counts and rates (null when there is nothing to divide)."""
    return {
        **asdict(f),
        "no_click": f.no_click,
        "zero_rate": f.zero_rate,
        "no_click_rate": f.no_click_rate,
        "click_through_rate": f.click_through_rate,
        "reformulation_rate": f.reformulation_rate,
        "corrected_rate": f.corrected_rate,
        "mean_position": f.mean_position,
    }


@bp.get("/overview")
@staff_required(*EDITORS)
def overview() -> Response:
    """The period's figures, each day's, and the clicked-position histogram."""
    current = scope()
    result = reports.overview(get_session(), current)
    return jsonify(
        {
            "scope": scope_json(current),
            "total": figures_json(result.total),
            "daily": [{"day": d.isoformat(), **figures_json(f)} for d, f in result.daily],
            "positions": [{"position": p, "clicks": n} for p, n in result.positions],
            "lost_rows": reports.lost_rows(get_session(), current),
        }
    )


@bp.get("/searches")
@staff_required(*EDITORS)
def searches() -> Response:
    """The commonest searches of the period."""
    current = scope()
    rows = reports.top_searches(get_session(), current)
    return jsonify({"scope": scope_json(current), "searches": [asdict(r) for r in rows]})


@bp.get("/articles")
@staff_required(*EDITORS)
def articles() -> Response:
    """Articles by smoothed helpful rate, least helpful first."""
    current = scope()
    rows = reports.unhelpful_articles(get_session(), current)
    return jsonify(
        {
            "scope": scope_json(current),
            "articles": [
                {**asdict(a), "votes": a.votes, "searches": [list(s) for s in a.searches]}
                for a in rows
            ],
        }
    )


@bp.get("/copied")
@staff_required(*EDITORS)
def copied() -> Response:
    """Articles agents copy often but customers rarely reach by search."""
    from kbportal.analytics.copied import copied_not_found

    current = scope()
    rows = copied_not_found(get_session(), current, keep=public_article)
    return jsonify(
        {
            "scope": scope_json(current),
            "articles": [{**asdict(c), "clicks_per_copy": c.clicks_per_copy} for c in rows],
        }
    )


@bp.get("/query")
@staff_required(*EDITORS)
def query() -> Response:
    """One normalised query (?q=) in detail."""
    current = scope()
    normalized = clean_text(request.args.get("q"), 500)
    if not normalized:
        return json_error(400, "q is required: a normalised query from /searches")
    detail = reports.query_detail(get_session(), current, normalized)
    return jsonify(
        {
            "scope": scope_json(current),
            "normalized": detail.normalized,
            "daily": [{"day": d.isoformat(), "searches": n, "zero": z} for d, n, z in detail.daily],
            "phrasings": [list(p) for p in detail.phrasings],
            "shown": [list(s) for s in detail.shown],
            "clicked": [list(c) for c in detail.clicked],
        }
    )


@bp.get("/gaps")
@staff_required(*EDITORS)
def gaps() -> Response:
    """Failed searches grouped by meaning, biggest first, with each group's status.

    From the same cache as the page (at most TTL old); only the first call for a scope waits.
    """
    from kbportal.analytics.cli import group_json
    from kbportal.analytics.tracking import get_analytics

    current = scope()
    cache = get_analytics().gaps
    grouped = cache.get(current) or cache.compute_now(current)
    return jsonify(
        {
            "scope": scope_json(current),
            "groups": [group_json(g, grouped.states.get(g.id)) for g in grouped.groups],
        }
    )

"""/staff/insights: editors' reports, server-rendered with inline SVG charts and tables."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from kbportal.accounts.auth import current_staff_user, staff_required
from kbportal.analytics import charts, reports, sessions
from kbportal.analytics.copied import MIN_COPIES, copied_not_found
from kbportal.analytics.models import SEGMENTS, VOTE_REASONS
from kbportal.analytics.request import current_kb, current_viewer, public_article
from kbportal.analytics.scope import PERIODS, lenient_scope
from kbportal.analytics.searchlog import KNOWN_SURFACES
from kbportal.analytics.tracking import get_analytics
from kbportal.db import get_session, utcnow
from kbportal.freetext import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("insights", __name__, url_prefix="/staff/insights")
EDITORS = ("editor", "admin")
GAPS_SHOWN = 30


def titles_for(keys: list[str]) -> dict[str, str]:
    """Article titles the signed-in editor may see, by key (others stay keys)."""
    kb, viewer = current_kb(), current_viewer()
    found: dict[str, str] = {}
    for key in keys:
        locale, _, slug = key.partition("#")[0].partition("/")
        article = kb.article(locale, slug, viewer)
        if article is not None:
            found[key] = article.title
    return found


def current_scope() -> reports.Scope:
    """The report scope of this request (defaults for anything unusable)."""
    return lenient_scope(request.args, current_app.config["KBPORTAL_LOCALES"], utcnow().date())


def _common(scope: reports.Scope) -> dict[str, Any]:
    return {
        "user": current_staff_user(),
        "scope": scope,
        "periods": PERIODS,
        "segments": SEGMENTS,
        "surfaces": KNOWN_SURFACES,
        "locales": current_app.config["KBPORTAL_LOCALES"],
        "recording_off": bool(session.get(sessions.NO_RECORDING_KEY)),
    }


@bp.get("/")
@bp.get("")
@staff_required(*EDITORS)
def overview() -> ResponseReturnValue:
    """The overview: figures, daily charts, top searches, failed searches, unhelpful articles."""
    scope = current_scope()
    db = get_session()
    figures = reports.overview(db, scope)
    grouped = get_analytics().gaps.get(scope)  # worked out off the request path
    groups = grouped.groups if grouped else None
    shown_groups = (groups or [])[:GAPS_SHOWN]
    states = grouped.states if grouped else {}
    top = reports.top_searches(db, scope)
    articles = reports.unhelpful_articles(db, scope)
    copied = copied_not_found(db, scope, keep=public_article)
    days = [(day.isoformat(), f) for day, f in figures.daily]
    series = {
        "searches": charts.bar_chart([(d, f.searches) for d, f in days], "Searches per day"),
        "zero": charts.bar_chart([(d, f.zero_rate) for d, f in days], "Zero-result rate", True),
        "no_click": charts.bar_chart(
            [(d, f.no_click_rate) for d, f in days], "No-click rate", True
        ),
        "ctr": charts.bar_chart(
            [(d, f.click_through_rate) for d, f in days], "Click-through rate", True
        ),
        "reformulated": charts.bar_chart(
            [(d, f.reformulation_rate) for d, f in days], "Reformulation rate", True
        ),
        "corrected": charts.bar_chart(
            [(d, f.corrected) for d, f in days], "Spelling-corrected searches"
        ),
        "positions": charts.bar_chart(figures.positions, "Clicked positions"),
    }
    return render_template(
        "analytics/insights.html",
        figures=figures,
        series=series,
        top=top,
        articles=articles,
        copied=copied,
        lost=reports.lost_rows(db, scope),
        gaps=shown_groups,
        gaps_ready=groups is not None,
        gaps_total=len(groups or []),
        states=states,
        titles=titles_for(
            [a.article for a in articles]
            + [c.article for c in copied]
            + [k for g in shown_groups for k, _n in g.answers[:3]]
        ),
        reasons=VOTE_REASONS,
        min_copies=MIN_COPIES,
        **_common(scope),
    )


@bp.get("/query")
@staff_required(*EDITORS)
def query() -> ResponseReturnValue:
    """One normalised query: its rows over time, what was shown, what was clicked."""
    scope = current_scope()
    normalized = clean_text(request.args.get("q"), 500)
    detail = reports.query_detail(get_session(), scope, normalized)
    keys = [k for k, _ in detail.shown] + [k for k, _ in detail.clicked]
    return render_template(
        "analytics/query.html",
        detail=detail,
        titles=titles_for(keys),
        chart=charts.bar_chart(
            [(d.isoformat(), n) for d, n, _z in detail.daily], "Searches per day"
        ),
        **_common(scope),
    )


@bp.post("/recording")
@staff_required()
def recording() -> ResponseReturnValue:
    """Turn recording of this staff member's own searches, clicks and votes off or on."""
    session[sessions.NO_RECORDING_KEY] = request.form.get("recording") == "off"
    return redirect("/staff/insights", 303)

"""Analytics: the search log, clicks, article feedback, reports and failed-search gaps.

The service interface other parts call (kbportal.analytics.tracking, re-exported here):
`record_search(surface, locale, query, total, shown, ...) -> search id`, `record_click`,
`record_view`, `record_vote`, `record_copy`, `popular_articles`, and
`kbportal.analytics.sessions.current_session()` for the visitor of a request.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_babel import gettext

from kbportal.analytics import sessions
from kbportal.analytics.feedback import content_version
from kbportal.analytics.models import VOTE_REASONS
from kbportal.analytics.searchlog import Shown
from kbportal.analytics.tracking import (
    EXTENSION_KEY,
    Analytics,
    get_analytics,
    popular_articles,
    record_click,
    record_copy,
    record_event,
    record_search,
    record_view,
    record_vote,
)

log = logging.getLogger(__name__)

__all__ = [
    "Analytics",
    "Shown",
    "get_analytics",
    "init_app",
    "popular_articles",
    "record_click",
    "record_copy",
    "record_event",
    "record_search",
    "record_view",
    "record_vote",
]


def reason_label(reason: str) -> str:
    """A vote reason in the reader's language."""
    labels = {
        "outdated": gettext("It is outdated"),
        "unclear": gettext("It is unclear"),
        "missing": gettext("Information is missing"),
        "unsolved": gettext("It did not solve my problem"),
        "other": gettext("Something else"),
    }
    return labels.get(reason, reason)


def segment_label(segment: str) -> str:
    """A segment's name in the reader's language."""
    labels = {
        "customer": gettext("Customers"),
        "staff": gettext("Staff"),
        "bot": gettext("Bots"),
    }
    return labels.get(segment, segment)


def percent(value: float | None) -> str:
    """A rate as a percentage, or a dash when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: float | None) -> str:
    """A mean to two decimals, or a dash."""
    return "—" if value is None else f"{value:.2f}"


def init_app(app: Flask) -> Analytics:
    """Give `app` its recorder, the public endpoints, /staff/insights and the CLI (after web)."""
    from kbportal.analytics import api, cli, gaps_views, staff, views

    assert gaps_views.bp is staff.bp  # its routes are on the insights blueprint

    analytics = Analytics(app)
    app.extensions[EXTENSION_KEY] = analytics
    sessions.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(cli.analytics_cli)
    app.cli.add_command(cli.gaps_cli)
    app.jinja_env.filters.update(pct=percent, num=number)
    app.jinja_env.globals.update(
        feedback_version=lambda article: content_version(article.html),
        reason_label=reason_label,
        segment_label=segment_label,
        vote_reasons=VOTE_REASONS,
    )
    return analytics

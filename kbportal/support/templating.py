"""Template helpers of the request pages: per-locale texts, checklist links, accepted files."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask, current_app

from kbportal.content.request_types import ChecklistItem, FieldSpec, localized
from kbportal.db import get_session, utcnow
from kbportal.support import deflection, visits
from kbportal.support.validation import ACCEPTED_TYPES
from kbportal.urls import article_path

log = logging.getLogger(__name__)


def checklist_url(item: ChecklistItem, locale: str) -> str:
    """The article (and section) a checklist item links to, in the reader's locale."""
    target = item.link.get(locale) or item.link.get("") or ""
    slug, _, anchor = target.partition("#")
    slug = slug.strip("/").removesuffix(".md")
    return article_path(locale, slug, anchor) if slug else ""


def accept_types(spec: FieldSpec) -> list[str]:
    """The media types a file field's input offers (the server checks the content anyway)."""
    return sorted({mime for kind in spec.accept for mime in ACCEPTED_TYPES.get(kind, ())})


def deflection_figures(days: int = 30, since: date | None = None) -> dict[str, Any]:
    """What the deflection section shows, for templates (this page's and /staff/insights)."""
    db = get_session()
    if since is None:
        start = utcnow() - timedelta(days=max(1, min(int(days), 365)))
    elif isinstance(since, datetime):
        start = since if since.tzinfo else since.replace(tzinfo=UTC)
    else:
        start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    return {
        "report": deflection.report(db, start),
        "articles": visits.after_reading(db, start, limit=20),
        "queries": visits.searches_before(db, start, limit=20),
        "holdout_percent": int(current_app.config["KBPORTAL_REQUESTS_HOLDOUT"]),
    }


def init_app(app: Flask) -> None:
    """Make the helpers callable from templates."""
    app.jinja_env.globals.update(
        localized=localized,
        checklist_url=checklist_url,
        accept_types=accept_types,
        deflection_figures=deflection_figures,
    )

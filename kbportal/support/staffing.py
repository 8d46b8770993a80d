"""What the staff pages read: the request list and "what they already tried"."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from kbportal.analytics.models import Click, SearchRow
from kbportal.support.models import FormSession, OutboxMessage, SupportRequest

log = logging.getLogger(__name__)

LOOK_BACK = timedelta(hours=24)  # the visit before the request, not the customer's history
STATES = ("pending", "delivered", "dead", "inbox")


def listing(
    db: Session, *, kind: str = "", state: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[SupportRequest], int]:
    """A page of requests, newest first, with their outbox rows loaded."""
    stmt = select(SupportRequest)
    if kind:
        stmt = stmt.where(SupportRequest.type == kind)
    if state == "inbox":
        has_any = exists().where(OutboxMessage.request_id == SupportRequest.id)
        stmt = stmt.where(~has_any)
    elif state in STATES:
        stmt = stmt.where(
            exists().where(
                OutboxMessage.request_id == SupportRequest.id, OutboxMessage.state == state
            )  # noqa: E501
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.options(selectinload(SupportRequest.outbox))
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), int(total)


@dataclass
class Tried:
    """What the customer did on the site before writing, in the order it happened."""

    source_article: str | None = None
    source_query: str | None = None
    opened: list[str] = field(default_factory=list)  # suggestions and checklist items clicked
    searches: list[dict[str, Any]] = field(default_factory=list)  # from the analytics tables
    views: list[str] = field(default_factory=list)
    form_typed: int = 0
    shown: int = 0


def already_tried(db: Session, req: SupportRequest) -> Tried:
    """The searches, articles and suggestions of the request's visitor session before it."""
    tried = Tried(source_article=req.source_article, source_query=req.source_query)
    form = db.scalar(select(FormSession).where(FormSession.request_id == req.id))
    if form is not None:
        tried.opened = json.loads(form.clicked or "[]")
        tried.form_typed, tried.shown = form.typed_chars, form.shown
    if req.session_id:
        _from_analytics(db, req, tried)
    return tried


def _from_analytics(db: Session, req: SupportRequest, tried: Tried) -> None:
    """Searches and article views of the same visitor session (the analytics tables)."""
    since = req.created_at - LOOK_BACK
    searches = db.scalars(
        select(SearchRow)
        .where(
            SearchRow.session_id == req.session_id,
            SearchRow.at >= since,
            SearchRow.at <= req.created_at,
        )
        .order_by(SearchRow.at)
    )
    tried.searches = [
        {"query": r.query, "surface": r.surface, "results": r.total} for r in searches
    ]
    clicks = db.scalars(
        select(Click)
        .where(Click.session_id == req.session_id, Click.at >= since, Click.at <= req.created_at)
        .order_by(Click.at)
    )
    tried.views = [r.article for r in clicks]

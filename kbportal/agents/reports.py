"""Editors' report: which articles and sections agents send to customers most."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbportal.analytics.models import AgentCopy

log = logging.getLogger(__name__)

KIND = "link"
TEMPLATE_KIND = "template"


@dataclass(frozen=True)
class CopyCount:
    """How often links to an article (or one of its sections) were copied, and by how many."""

    article: str  # "locale/slug"
    section: str  # "" for the whole article
    copies: int
    agents: int
    last: datetime | None


def _counts(
    session: Session, since: datetime, by_section: bool, limit: int, kind: str = KIND
) -> list[CopyCount]:
    section = func.coalesce(AgentCopy.section, "")
    columns = [AgentCopy.article, section] if by_section else [AgentCopy.article]
    copies = func.count(AgentCopy.id)
    stmt = (
        select(
            *columns,
            copies,
            func.count(func.distinct(AgentCopy.user_id)),
            func.max(AgentCopy.at),
        )
        .where(AgentCopy.kind == kind, AgentCopy.at >= since)
        .group_by(*columns)
        .order_by(copies.desc(), AgentCopy.article)
        .limit(limit)
    )
    rows = []
    for row in session.execute(stmt):
        values = tuple(row)
        anchor = str(values[1]) if by_section else ""
        count, agents, last = values[-3:]
        rows.append(CopyCount(str(values[0]), anchor, int(count), int(agents), last))
    return rows


def most_copied(
    session: Session, now: datetime, days: int = 30, limit: int = 50
) -> tuple[list[CopyCount], list[CopyCount]]:
    """The most copied articles and the most copied sections over the last `days` days."""
    since = now - timedelta(days=days)
    return _counts(session, since, False, limit), _counts(session, since, True, limit)


def most_copied_templates(
    session: Session, now: datetime, days: int = 30, limit: int = 50
) -> list[CopyCount]:
    """The reply templates agents copied most over the last `days` days."""
    return _counts(session, now - timedelta(days=days), False, limit, kind=TEMPLATE_KIND)


def visible_rows(rows: list[CopyCount], titles: dict[str, str]) -> tuple[list[CopyCount], int]:
    """Rows of articles in `titles` (what the reader may see), and the copies left out."""
    kept = [row for row in rows if row.article in titles]
    return kept, sum(row.copies for row in rows if row.article not in titles)

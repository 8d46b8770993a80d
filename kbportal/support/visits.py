"""Requests filed after reading an article (and section), and searches followed by a request:
every article read and every search made in the visit counts.

A request's visit is its visitor session (a first-party id that ends after 30 minutes without
activity, docs/analytics.md), bounded to LOOK_BACK before the request. What the customer read
in it: the article the form was opened from ("Still need help?"), the suggestions and
checklist items opened from the form, the search results opened (with their section), and the
articles voted on. Each request counts once per article and once per section, however often
the customer went back to it. A request without a session (Do Not Track) counts only its form's
own record: the source article and the suggestions opened. Searches count the same way: every
search of the visit before the request (one need counted once: the search log's normalised form
groups "refund money" and "money refunds"), and the search the form was opened from.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.analytics.models import Click, SearchRow, Vote
from kbportal.analytics.searchlog import normalize
from kbportal.support.models import FormSession, SupportRequest
from kbportal.support.staffing import LOOK_BACK

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list


@dataclass
class ReadBefore:
    """One article: how many requests followed reading it, and which of its sections."""

    article: str  # "locale/slug"
    requests: int = 0
    sections: list[tuple[str, int]] = field(default_factory=list)  # (anchor, requests)


def article_of_url(url: str) -> tuple[str, str] | None:
    """("locale/slug", anchor) of a site-relative article URL, or None for anything else."""
    parts = urlsplit(url)
    locale, sep, slug = parts.path.lstrip("/").partition("/articles/")
    if not sep or not locale or "/" in locale or not slug:
        return None
    return f"{locale}/{unquote(slug).strip('/')}", unquote(parts.fragment)


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _visits(requests: list[Any]) -> tuple[list[str], datetime, datetime] | None:
    """The requests' visitor sessions and the span their visits can cover (None: no session)."""
    sessions = sorted({r.session_id for r in requests if r.session_id})
    if not sessions:
        return None
    return (
        sessions,
        min(r.created_at for r in requests) - LOOK_BACK,
        max(r.created_at for r in requests),
    )


def _customer_rows(
    table: Any, chunk: list[str], since: datetime, until: datetime
) -> tuple[Any, ...]:
    """Conditions: a customer's rows of these sessions, inside the visits' window."""
    return (
        table.session_id.in_(chunk),
        table.segment == "customer",
        table.at >= since,
        table.at <= until,
    )


def _session_reads(db: Session, requests: list[Any]) -> dict[str, list[tuple[datetime, str, str]]]:
    """(when, article, section) read in each visitor session, from issue 8's tables."""
    window = _visits(requests)
    if window is None:
        return {}
    sessions, since, until = window
    reads: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    click, vote = Click, Vote
    for chunk in _chunks(sessions):
        for sid, at, article, section in db.execute(
            select(click.session_id, click.at, click.article, click.section).where(
                *_customer_rows(click, chunk, since, until)
            )
        ):
            reads[str(sid)].append((at, article, section or ""))
        for sid, at, article in db.execute(
            select(vote.session_id, vote.at, vote.article).where(
                *_customer_rows(vote, chunk, since, until)
            )
        ):
            reads[str(sid)].append((at, article, ""))
    return reads


def _form_reads(db: Session, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(article, section) opened from each request's form: suggestions and checklist items."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = db.execute(
            select(FormSession.request_id, FormSession.clicked).where(
                FormSession.request_id.in_(chunk)
            )
        )
        for request_id, clicked in rows:
            if request_id is None:
                continue
            for url in json.loads(clicked or "[]"):
                parsed = article_of_url(str(url))
                if parsed is not None:
                    found[request_id].append(parsed)
    return found


def read_before(
    req: Any,
    form: Iterable[tuple[str, str]],
    session: Iterable[tuple[datetime, str, str]],
) -> set[tuple[str, str]]:
    """What one request's customer read before writing: (article, section), "" = the page.

    `req` has the request's session_id, source_article and created_at (a row or the model).
    """
    read: set[tuple[str, str]] = set()
    if req.source_article:
        read.add((req.source_article.strip("/"), ""))
    read.update(form)
    start = req.created_at - LOOK_BACK
    read.update((a, s) for at, a, s in session if start <= at <= req.created_at)
    return read


def after_reading(
    db: Session, since: datetime, until: datetime | None = None, limit: int | None = None
) -> list[ReadBefore]:
    """Articles by the number of requests filed after reading them, most first."""
    requests = _requests(db, since, until)  # not the descriptions of a month of requests
    forms = _form_reads(db, [r.id for r in requests])
    reads = _session_reads(db, requests)
    articles: dict[str, int] = defaultdict(int)
    sections: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for req in requests:
        seen = read_before(req, forms.get(req.id, ()), reads.get(req.session_id or "", ()))
        for article in {a for a, _ in seen}:
            articles[article] += 1
        for article, section in seen:
            if section:
                sections[article][section] += 1
    ranked = sorted(articles.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [
        ReadBefore(a, n, sorted(sections[a].items(), key=lambda kv: (-kv[1], kv[0])))
        for a, n in ranked
    ]


def _requests(db: Session, since: datetime, until: datetime | None) -> list[Any]:
    """The requests of a period: only the columns these counts need."""
    r = SupportRequest
    stmt = select(r.id, r.session_id, r.source_article, r.source_query, r.created_at).where(
        r.created_at >= since
    )
    if until is not None:
        stmt = stmt.where(r.created_at < until)
    return list(db.execute(stmt))


def _session_searches(
    db: Session, requests: list[Any]
) -> dict[str, list[tuple[datetime, str, str]]]:
    """(when, normalised, as typed) of each visitor session's searches, from issue 8's log."""
    window = _visits(requests)
    if window is None:
        return {}
    sessions, since, until = window
    found: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    search = SearchRow
    for chunk in _chunks(sessions):
        for sid, at, normalized, query in db.execute(
            select(search.session_id, search.at, search.normalized, search.query).where(
                *_customer_rows(search, chunk, since, until)
            )
        ):
            found[str(sid)].append((at, normalized, query))
    return found


def _normalize(query: str) -> str:
    """The search log's grouping of a query (plain folding when it keeps nothing)."""
    return normalize(query) or " ".join(query.casefold().split())


def searches_before(
    db: Session, since: datetime, until: datetime | None = None, limit: int | None = None
) -> list[tuple[str, int]]:
    """Searches by the number of requests that followed them in the visit, most first."""
    requests = _requests(db, since, until)
    searches = _session_searches(db, requests)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for req in requests:
        seen: dict[str, str] = {}
        if req.source_query:
            seen[_normalize(req.source_query)] = req.source_query
        start = req.created_at - LOOK_BACK
        for at, normalized, query in sorted(searches.get(req.session_id or "", ())):
            if start <= at <= req.created_at:
                seen.setdefault(normalized, query)
        for key, typed in seen.items():
            counts[key] += 1
            labels.setdefault(key, " ".join(typed.casefold().split()))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], labels[kv[0]]))[:limit]
    return [(labels[key], n) for key, n in ranked]


def requests_after_reading(db: Session, scope: Any) -> dict[str, int]:
    """The analytics report's counter: {article: requests} for the scope's days (and locale)."""
    since = datetime.combine(scope.since, time.min, UTC)
    until = datetime.combine(scope.until + timedelta(days=1), time.min, UTC)
    rows = after_reading(db, since, until)
    locale = getattr(scope, "locale", None)
    return {r.article: r.requests for r in rows if not locale or r.article.startswith(locale + "/")}

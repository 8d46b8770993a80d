"""Deflection, measured honestly: per request type, locale and surface, from form sessions.

Definitions (docs/requests.md#deflection):
- form sessions: the form opened and at least MIN_TYPED characters typed;
- shown: sessions shown at least one suggestion; click-through: clicked / shown;
- explicit deflection: clicked a suggestion, sent nothing from that form, and no request of
  that type from that visitor session or e-mail address within SETTLE after the first click
  (counted once CLICK_WAIT has passed since the click);
- confirmed deflection: "This solved my problem", and nothing sent from that form;
- post-submit resolution: requests closed with the signed "close my request" link;
- abandonment without a click: typed, never clicked, sent nothing; never counted as deflection.
Staff and bots never open form sessions (see views), so they are not in any figure.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.db import utcnow
from kbportal.support.models import FormSession, SupportRequest

log = logging.getLogger(__name__)

MIN_TYPED = 10
CLICK_WAIT = timedelta(minutes=30)
SETTLE = timedelta(days=7)
Z95 = 1.959964


@dataclass
class Figures:
    """The deflection figures of one (type, locale, surface) group."""

    type: str
    locale: str
    surface: str
    form_sessions: int = 0
    shown: int = 0
    clicked: int = 0  # among those shown
    explicit: int = 0
    confirmed: int = 0
    abandoned: int = 0  # typed, no click, nothing sent
    submitted: int = 0
    requests: int = 0  # every request in the period (any surface path)
    resolved: int = 0  # of those, closed by the customer's link
    holdout_sessions: int = 0
    holdout_submitted: int = 0

    @property
    def click_through(self) -> float | None:
        return self.clicked / self.shown if self.shown else None


@dataclass(frozen=True)
class Holdout:
    """Submit rates with and without suggestions, and their difference with a 95% interval."""

    shown_sessions: int
    shown_rate: float
    holdout_sessions: int
    holdout_rate: float
    difference: float  # shown - holdout: negative means suggestions prevent requests
    low: float
    high: float


@dataclass
class Report:
    """Every group's figures, the totals, and the holdout comparison when there is one."""

    rows: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=lambda: Figures("", "", ""))
    holdout: Holdout | None = None


def _later_request(
    requests: list[SupportRequest], form: FormSession, email: str | None, until: datetime
) -> bool:
    """Whether the same visitor (session or e-mail) filed a request of the type by `until`."""
    start = form.first_click_at or form.opened_at
    return any(
        r.type == form.type
        and start <= r.created_at <= until
        and (
            (form.session_id is not None and r.session_id == form.session_id)
            or (email is not None and r.email == email)
        )
        for r in requests
    )


def holdout_difference(n1: int, k1: int, n0: int, k0: int) -> Holdout | None:
    """Submit rate shown (k1/n1) minus holdout (k0/n0), normal-approximation 95% interval."""
    if not n1 or not n0:
        return None
    p1, p0 = k1 / n1, k0 / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    diff = p1 - p0
    return Holdout(n1, p1, n0, p0, diff, diff - Z95 * se, diff + Z95 * se)


def report(
    db: Session, since: datetime, until: datetime | None = None, now: datetime | None = None
) -> Report:
    """The figures of form sessions opened in [since, until)."""
    now = now or utcnow()
    until = until or now
    forms = db.scalars(
        select(FormSession).where(FormSession.opened_at >= since, FormSession.opened_at < until)
    ).all()
    requests = list(
        db.scalars(
            select(SupportRequest).where(
                SupportRequest.created_at >= since, SupportRequest.created_at < until + SETTLE
            )
        )
    )
    by_id = {r.id: r for r in requests}
    groups: dict[tuple[str, str, str], Figures] = {}

    def group(kind: str, locale: str, surface: str) -> Figures:
        key = (kind, locale, surface)
        if key not in groups:
            groups[key] = Figures(kind, locale, surface)
        return groups[key]

    for form in forms:
        if form.typed_chars < MIN_TYPED:
            continue
        row = group(form.type, form.locale, form.surface)
        sent = form.request_id is not None
        email = by_id[form.request_id].email if sent and form.request_id in by_id else None
        row.form_sessions += 1
        if form.holdout:
            row.holdout_sessions += 1
            row.holdout_submitted += int(sent)
        row.submitted += int(sent)
        if form.shown:
            row.shown += 1
            row.clicked += int(form.clicks > 0)
        if form.solved_at is not None and not sent:
            row.confirmed += 1
        if form.clicks and not sent and form.first_click_at is not None:
            waited = now - form.first_click_at >= CLICK_WAIT
            later = _later_request(requests, form, email, form.first_click_at + SETTLE)
            row.explicit += int(waited and not later)
        if not form.clicks and not sent and form.solved_at is None:
            row.abandoned += 1
    for req in requests:
        if since <= req.created_at < until:
            row = group(req.type, req.locale, req.surface)
            row.requests += 1
            row.resolved += int(req.closed_at is not None)
    result = Report(rows=sorted(groups.values(), key=lambda f: (f.type, f.locale, f.surface)))
    total = result.total
    for row in result.rows:
        for name in (
            "form_sessions", "shown", "clicked", "explicit", "confirmed", "abandoned",
            "submitted", "requests", "resolved", "holdout_sessions", "holdout_submitted",
        ):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(row, name))
    result.holdout = holdout_difference(
        total.form_sessions - total.holdout_sessions,
        total.submitted - total.holdout_submitted,
        total.holdout_sessions,
        total.holdout_submitted,
    )
    return result

"""What happens on a form before (or instead of) a request: typed, shown, clicked, solved."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kbportal.db import utcnow
from kbportal.support.models import FormSession

log = logging.getLogger(__name__)

MAX_CLICKED = 20  # URLs kept per form session ("what they already tried")


def in_holdout(key: str, percent: int) -> bool:
    """Whether a form session is in the holdout (no suggestions): a fixed draw from its key."""
    if percent <= 0:
        return False
    draw = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100
    return draw < percent


def get(session: Session, key: str) -> FormSession | None:
    """The form session of a form key."""
    return session.scalar(select(FormSession).where(FormSession.form_key == key))


def open_form(
    session: Session,
    key: str,
    *,
    type: str,
    locale: str,
    surface: str = "form",
    session_id: str | None = None,
    holdout_percent: int = 0,
    now: datetime | None = None,
) -> FormSession:
    """Start (or find) the form session of a key; the holdout draw is made once, here."""
    found = get(session, key)
    if found is not None:
        return found
    form = FormSession(
        form_key=key,
        session_id=session_id,
        type=type,
        locale=locale,
        surface=surface,
        holdout=in_holdout(key, holdout_percent),
        opened_at=now or utcnow(),
    )
    session.add(form)
    try:
        session.commit()
    except IntegrityError:  # two tabs, one key: the first one counts
        session.rollback()
        return get(session, key) or form
    return form


def note_typed(
    session: Session, key: str, *, chars: int, shown: int, type: str | None = None
) -> None:
    """Record how much was typed and whether suggestions were shown for it."""
    form = get(session, key)
    if form is None:
        return
    form.typed_chars = max(form.typed_chars, min(chars, 100_000))
    if shown:
        form.shown += 1
    if type:
        form.type = type[:64]
    session.commit()


def note_click(session: Session, key: str, url: str, now: datetime | None = None) -> None:
    """Record that a suggestion (or checklist item) was opened."""
    form = get(session, key)
    if form is None:
        return
    form.clicks += 1
    form.first_click_at = form.first_click_at or now or utcnow()
    clicked = json.loads(form.clicked or "[]")
    if url not in clicked and len(clicked) < MAX_CLICKED:
        clicked.append(url[:512])
        form.clicked = json.dumps(clicked, ensure_ascii=False)
    session.commit()


def note_solved(session: Session, key: str, article: str, now: datetime | None = None) -> bool:
    """Record "this solved my problem"; False if the form session is unknown."""
    form = get(session, key)
    if form is None:
        return False
    if form.solved_at is None:
        form.solved_at = now or utcnow()
        form.solved_article = article[:512]
    session.commit()
    return True

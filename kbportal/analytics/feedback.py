"""Article votes and agents' copies: written before the response returns."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kbportal.analytics.models import COMMENT_CHARS, VOTE_REASONS, AgentCopy, Vote
from kbportal.analytics.visitors import Visitor

COPY_KINDS = ("link", "template")


class FeedbackError(ValueError):
    """A vote that cannot be stored, with a message fit for the reader."""


@dataclass(frozen=True)
class VoteIn:
    """One answer to "Was this helpful?" as the form sent it."""

    article: str  # "locale/slug"
    version: str  # the article's content version when it was read
    helpful: bool
    reason: str | None = None
    comment: str | None = None
    replaces: int | None = None  # a vote this one refines (no session: DNT/GPC visitors)


def parse_vote(article: str, version: str, form: dict[str, str]) -> VoteIn:
    """Validate a submitted vote; raises FeedbackError."""
    answer = (form.get("helpful") or "").strip().lower()
    if answer not in ("yes", "no"):
        raise FeedbackError("helpful must be yes or no")
    reason = (form.get("reason") or "").strip().lower() or None
    if reason is not None and reason not in VOTE_REASONS:
        raise FeedbackError(f"reason must be one of: {', '.join(VOTE_REASONS)}")
    comment = (form.get("comment") or "").replace("\x00", "").strip() or None
    if comment is not None and len(comment) > COMMENT_CHARS:
        raise FeedbackError(f"the comment is longer than {COMMENT_CHARS} characters")
    replaces_text = (form.get("vote") or "").strip()
    replaces = int(replaces_text) if replaces_text.isdigit() and len(replaces_text) < 12 else None
    if answer == "yes":
        reason, comment = None, comment  # a "yes" may still say something
    return VoteIn(article, version, answer == "yes", reason, comment, replaces)


def content_version(html: str) -> str:
    """A short version of an article's rendered text: a rewrite gets a new one."""
    return hashlib.blake2b(html.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def record_vote(
    sessions: Callable[[], Session], visitor: Visitor, vote: VoteIn, now: datetime
) -> int:
    """Store a vote (replacing the session's earlier one on the article); returns its id."""
    with sessions() as session, session.begin():
        if visitor.session_id is not None:
            session.execute(
                delete(Vote).where(
                    Vote.session_id == visitor.session_id, Vote.article == vote.article
                )
            )
        elif vote.replaces is not None:
            session.execute(
                delete(Vote).where(
                    Vote.id == vote.replaces,
                    Vote.session_id.is_(None),
                    Vote.article == vote.article,
                )
            )
        row = Vote(
            at=now,
            day=now.date(),
            article=vote.article[:512],
            locale=vote.article.partition("/")[0][:16],
            version=vote.version[:40],
            session_id=visitor.session_id,
            helpful=vote.helpful,
            reason=vote.reason,
            comment=vote.comment,
            segment=visitor.segment,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def record_copy(
    sessions: Callable[[], Session],
    kind: str,
    article: str,
    section: str | None,
    user_id: int | None,
    now: datetime,
    how: str | None = None,
) -> None:
    """Store that an agent copied a link or a reply template."""
    if kind not in COPY_KINDS:
        raise ValueError(f"unknown copy kind {kind!r}; known: {', '.join(COPY_KINDS)}")
    with sessions() as session, session.begin():
        session.add(
            AgentCopy(
                kind=kind,
                at=now,
                article=article.replace("\x00", "")[:512],
                section=section.replace("\x00", "")[:255] if section else None,
                user_id=user_id,
                how=how[:16] if how else None,
            )
        )

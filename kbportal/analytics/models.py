"""Analytics tables: the search log, clicks, votes, view and copy counts, daily aggregates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import kbportal.accounts.models  # noqa: F401  (agent_copies.user_id refers to the users table)
from kbportal.db import Base, UTCDateTime, utcnow

QUERY_CHARS = 500
KEY_CHARS = 512
SEGMENTS = ("customer", "staff", "bot")
VOTE_REASONS = ("outdated", "unclear", "missing", "unsolved", "other")
COMMENT_CHARS = 1000


class SearchRow(Base):
    """One search a person made (as-you-type keystrokes and later pages update it)."""

    __tablename__ = "search_log"
    __table_args__ = (
        Index("ix_search_log_segment_day", "segment", "day", "locale", "surface"),
        # Covers top searches and one query's figures, sessions and phrasings: read from the
        # index alone, in normalised order.
        Index(
            "ix_search_log_segment_normalized",
            *("segment", "normalized", "day", "locale", "surface", "total", "clicks"),
            *("session_id", "query"),
        ),
        Index("ix_search_log_at", "at"),
    )

    # Chosen by the app (random, 53 bits so JavaScript reads it exactly): rows are buffered,
    # and the id must be in the response before the row reaches the database.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)
    session_id: Mapped[str | None] = mapped_column(String(32), default=None)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)  # staff only
    surface: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(QUERY_CHARS))
    normalized: Mapped[str] = mapped_column(String(QUERY_CHARS))
    total: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[str | None] = mapped_column(String(QUERY_CHARS), default=None)
    shown: Mapped[str] = mapped_column(Text, default="")  # "locale/slug#anchor" per line, top first
    filters: Mapped[str] = mapped_column(String(255), default="")
    segment: Mapped[str] = mapped_column(String(16), default="customer")
    page: Mapped[int] = mapped_column(Integer, default=1)  # the furthest page seen
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    reformulated: Mapped[bool] = mapped_column(Boolean, default=False)


class Click(Base):
    """A result opened from a search, at its position (1-based) and section."""

    __tablename__ = "search_clicks"
    __table_args__ = (
        Index("ix_search_clicks_search_id", "search_id"),
        Index("ix_search_clicks_day", "day"),
        # Covers an article's clicks in a period by segment and surface, and the searches that
        # led there (read from the index alone).
        Index("ix_search_clicks_article_day", "article", "day", "segment", "surface", "normalized"),
        Index("ix_search_clicks_session", "session_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    search_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)
    article: Mapped[str] = mapped_column(String(KEY_CHARS))  # "locale/slug"
    section: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    session_id: Mapped[str | None] = mapped_column(String(32), default=None)
    segment: Mapped[str] = mapped_column(String(16), default="customer")
    surface: Mapped[str] = mapped_column(String(16), default="page")
    # The clicked search's normalised query, copied in when both are stored (see the recorder).
    normalized: Mapped[str | None] = mapped_column(String(QUERY_CHARS), default=None)


class SurfaceEvent(Base):
    """Suggestions shown (exposure) or a request not filed (deflection) on a surface."""

    __tablename__ = "surface_events"
    __table_args__ = (Index("ix_surface_events_kind_day", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "exposure" or "deflection"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)
    surface: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    article: Mapped[str | None] = mapped_column(String(KEY_CHARS), default=None)  # the first
    articles: Mapped[str] = mapped_column(Text, default="")  # every key shown, one per line
    query: Mapped[str] = mapped_column(String(QUERY_CHARS), default="")
    session_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the surface's own
    request_type: Mapped[str] = mapped_column(String(64), default="")
    segment: Mapped[str] = mapped_column(String(16), default="customer")


class Vote(Base):
    """A "Was this helpful?" answer; one per session and article counts (the latest)."""

    __tablename__ = "article_votes"
    __table_args__ = (
        Index("ix_article_votes_article", "article", "version"),
        Index("ix_article_votes_session", "session_id", "article"),
        Index("ix_article_votes_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)
    article: Mapped[str] = mapped_column(String(KEY_CHARS))
    locale: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(40), default="")
    session_id: Mapped[str | None] = mapped_column(String(32), default=None)
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(16), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    segment: Mapped[str] = mapped_column(String(16), default="customer")


class ViewCount(Base):
    """Page views of an article on one day: 300+ views/s would drown a row-per-view table."""

    __tablename__ = "view_counts"
    __table_args__ = (Index("ix_view_counts_locale_day", "locale", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16))
    views: Mapped[int] = mapped_column(Integer, default=0)


class AgentCopy(Base):
    """An agent copied a link to an article (or section) or a reply template."""

    __tablename__ = "agent_copies"
    __table_args__ = (Index("ix_agent_copies_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "link" or "template"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    article: Mapped[str] = mapped_column(String(KEY_CHARS))
    section: Mapped[str | None] = mapped_column(String(255), default=None)
    how: Mapped[str | None] = mapped_column(String(16), default=None)  # e.g. "url", "markdown"
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class SearchDaily(Base):
    """One day's search figures for a locale, surface and segment: kept after raw rows go."""

    __tablename__ = "search_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    surface: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(16), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero: Mapped[int] = mapped_column(Integer, default=0)
    with_results: Mapped[int] = mapped_column(Integer, default=0)
    clicked: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[int] = mapped_column(Integer, default=0)
    reformulated: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    position_sum: Mapped[int] = mapped_column(Integer, default=0)
    # Clicks at positions 1..10 and 11 or lower: the overview's histogram for rolled-up days.
    pos_1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_3: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_4: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_5: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_6: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_7: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_8: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_9: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_10: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pos_11: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


POSITION_COLUMNS = tuple(f"pos_{i}" for i in range(1, 12))


class Rollup(Base):
    """How far daily aggregates reach: every day before `until` is in `search_daily` only."""

    __tablename__ = "analytics_rollup"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # "search_daily"
    until: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Loss(Base):
    """Rows a process held unwritten when it died (see kbportal.analytics.journal)."""

    __tablename__ = "analytics_losses"
    __table_args__ = (Index("ix_analytics_losses_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it was found
    rows: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(16))  # "crash"
    node: Mapped[str] = mapped_column(String(255), default="")


class GapDecision(Base):
    """An editor's grouping decision for one failed query: join a group, or stand alone."""

    __tablename__ = "gap_decisions"

    normalized: Mapped[str] = mapped_column(String(QUERY_CHARS), primary_key=True)
    target: Mapped[str] = mapped_column(String(QUERY_CHARS))  # "" = split off on its own
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)

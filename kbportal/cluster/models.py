"""Tables several web nodes share: what was published, and which nodes serve what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kbportal.db import Base, UTCDateTime, utcnow


class Publication(Base):
    """One publish of a git commit by some node; every node follows the newest row."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commit: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(200))  # the node that published it first
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Node(Base):
    """A web node: the commit and build it serves, and when it was last heard from."""

    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    build_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # A hash of the node's secret key, never the key: nodes must agree, or sessions break.
    key_check: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

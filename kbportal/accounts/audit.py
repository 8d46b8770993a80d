"""The audit log of account changes: who changed what, when (admin page and command line)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kbportal.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

COMMAND_LINE = "command line"  # the actor of changes made with `kbportal users|tokens`


class AuditEntry(Base):
    """One account change. Actor and target are kept as text: they outlive deleted rows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(254))
    detail: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def details(self) -> dict[str, Any]:
        """The change's particulars (new role, groups, token name...)."""
        try:
            value = json.loads(self.detail or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def record(session: Session, actor: str, action: str, target: str, **detail: Any) -> None:
    """Add an entry to the session; the caller's commit stores it with the change."""
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    session.add(AuditEntry(actor=actor[:254], action=action, target=target[:254], detail=text))
    log.info("audit: %s %s %s %s", actor, action, target, text)


def recent(session: Session, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(query))

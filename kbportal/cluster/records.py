"""The shared records of a cluster: publications, node heartbeats and the secret-key check."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from kbportal.cluster.models import Node, Publication
from kbportal.db import utcnow

log = logging.getLogger(__name__)

CHANNEL = "kbportal_publish"  # PostgreSQL NOTIFY channel; the payload is only a hint
# A node heard from within this long counts as part of the cluster (heartbeats come every 30 s).
LIVE_WITHIN = timedelta(minutes=15)
KEEP_PUBLICATIONS = 1000  # older rows say nothing a node needs; keep the table small
_KEY_SALT = b"kbportal node secret-key check\0"


class ClusterRefused(RuntimeError):
    """This node may not join: its secret key differs from the other nodes' sharing the database."""


@dataclass(frozen=True)
class Published:
    """The newest publication: the commit every node should serve."""

    id: int
    commit: str
    node: str
    published_at: datetime


@dataclass(frozen=True)
class NodeStatus:
    """A node as the staff page shows it."""

    name: str
    commit: str | None
    build_id: str | None
    started_at: datetime
    seen_at: datetime
    live: bool


def key_check(secret_key: str) -> str:
    """A hash that tells whether two nodes share a secret key without revealing it."""
    return hashlib.sha256(_KEY_SALT + secret_key.encode()).hexdigest()


def latest(session: Session) -> Published | None:
    """The newest publication, or None before the first."""
    row = session.execute(
        select(Publication.id, Publication.commit, Publication.node, Publication.published_at)
        .order_by(Publication.id.desc())
        .limit(1)
    ).first()
    return Published(*row) if row else None


def announce(session: Session, commit: str, node: str) -> bool:
    """Record that `node` published `commit` and wake the others; False if it was the newest."""
    newest = latest(session)
    if newest is not None and newest.commit == commit:
        return False
    session.add(Publication(commit=commit, node=node, published_at=utcnow()))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Delivered when the transaction commits, to every node that LISTENs.
        session.execute(
            text("SELECT pg_notify(:channel, :commit)"), {"channel": CHANNEL, "commit": commit}
        )
    session.execute(
        delete(Publication).where(
            Publication.id <= (newest.id if newest else 0) - KEEP_PUBLICATIONS
        )
    )
    session.commit()
    log.info("announced commit %s to the other nodes", commit[:10])
    return True


def heartbeat(
    session: Session, name: str, commit: str | None, build_id: str | None, check: str
) -> None:
    """Record what this node serves now (and that it is alive)."""
    now = utcnow()
    values = {"commit": commit, "build_id": build_id, "key_check": check, "seen_at": now}
    result = session.execute(update(Node).where(Node.name == name).values(**values))
    if not getattr(result, "rowcount", 0):
        session.add(Node(name=name, started_at=now, **values))
    session.commit()


def started(session: Session, name: str, check: str) -> None:
    """Check that this node may join, then record it as (re)started."""
    now = utcnow()
    others = session.scalars(
        select(Node).where(Node.name != name, Node.seen_at > now - LIVE_WITHIN)
    ).all()
    strangers = sorted(n.name for n in others if n.key_check != check)
    if strangers:
        raise ClusterRefused(
            f"other nodes share this database with a different secret key ({', '.join(strangers)});"
            " set KBPORTAL_SECRET_KEY to the same value on every node"
        )
    node = session.get(Node, name)
    if node is None:
        session.add(Node(name=name, key_check=check, started_at=now, seen_at=now))
    else:
        node.key_check, node.started_at, node.seen_at = check, now, now
    session.commit()


def statuses(session: Session) -> list[NodeStatus]:
    """Every node heard from recently or long ago, newest first, with whether it is live."""
    now = utcnow()
    nodes = session.scalars(select(Node).order_by(Node.seen_at.desc())).all()
    return [
        NodeStatus(
            n.name, n.commit, n.build_id, n.started_at, n.seen_at, n.seen_at > now - LIVE_WITHIN
        )
        for n in nodes
    ]

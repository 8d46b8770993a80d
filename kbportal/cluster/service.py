"""Cluster services the server, sync and staff pages call (no Flask in here)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kbportal.cluster import records
from kbportal.cluster.node import database, key_of, node_name
from kbportal.cluster.records import NodeStatus, Published, key_check

log = logging.getLogger(__name__)


def join(config: Mapping[str, Any]) -> None:
    """Register this node at start; ClusterRefused if its secret key differs from live nodes'."""
    with database(config).session() as session:
        records.started(session, node_name(config), key_check(key_of(config)))


def announce(config: Mapping[str, Any], commit: str) -> bool:
    """Tell every node that this node published `commit` (unless it already is the newest)."""
    with database(config).session() as session:
        return records.announce(session, commit, node_name(config))


def latest(config: Mapping[str, Any]) -> Published | None:
    """The newest publication, or None."""
    with database(config).session() as session:
        return records.latest(session)


def statuses(config: Mapping[str, Any]) -> list[NodeStatus]:
    """Every node the database knows, for the staff page."""
    with database(config).session() as session:
        return records.statuses(session)

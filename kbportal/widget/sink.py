"""Where widget and API beacons and searches go: the one analytics recorder."""

from __future__ import annotations

import logging

from kbportal.widget.beacons import Beacon

log = logging.getLogger(__name__)


def record_beacon(beacon: Beacon) -> None:
    """Record one beacon through kbportal.events, with its surface (never an address)."""
    from kbportal.events import record  # HOOK: issue 8's kbportal.analytics replaces this

    data = {"surface": beacon.surface, "locale": beacon.locale}
    if beacon.session:
        data["session"] = beacon.session
    if beacon.request_type:
        data["request_type"] = beacon.request_type
    if beacon.type == "search":
        record("search", query=beacon.query, data={**data, **beacon.data})
        return
    if beacon.type == "exposure":
        record("exposure", query=beacon.query, data={**data, "articles": list(beacon.articles)})
        return
    article = beacon.articles[0] if beacon.articles else None
    record(beacon.type, article=article, query=beacon.query or None, data=data)

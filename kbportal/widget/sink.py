"""Where widget and API beacons go: the analytics search log, clicks and surface events."""

from __future__ import annotations

import logging

from kbportal import analytics
from kbportal.widget.beacons import Beacon

log = logging.getLogger(__name__)


def record_beacon(beacon: Beacon) -> int | None:
    """Record one beacon (never an address); returns the search id of a search beacon."""
    if beacon.type == "search":
        return analytics.record_search(
            beacon.surface,
            beacon.locale,
            beacon.query,
            int(beacon.data.get("total", 0)),
            [analytics.Shown(key) for key in beacon.articles],
            prev=beacon.search_id,
        )
    if beacon.type == "click":
        article = beacon.articles[0] if beacon.articles else ""
        analytics.record_click(beacon.search_id, article, "", beacon.position, beacon.surface)
        return None
    analytics.record_event(
        beacon.type,
        beacon.surface,
        beacon.locale,
        beacon.articles,
        beacon.query,
        beacon.session or None,
        beacon.request_type,
    )
    return None

"""Where widget and API beacons go: the search log (issue 8) and the form sessions (issue 9).

Until those packages are in the portal, beacons go to kbportal.events with their surface.
"""

from __future__ import annotations

import logging
from typing import Any

from kbportal.widget.beacons import Beacon

log = logging.getLogger(__name__)


def record_beacon(beacon: Beacon) -> int | None:
    """Record one beacon (never an address); returns the search id of a search beacon."""
    try:
        from kbportal import analytics  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        analytics = None
    if analytics is not None and beacon.type == "search":
        from kbportal.analytics.searchlog import (  # type: ignore[import-not-found,unused-ignore]
            Shown,
        )

        shown = [Shown(key) for key in beacon.articles]
        search_id: int = analytics.record_search(
            beacon.surface,
            beacon.locale,
            beacon.query,
            int(beacon.data.get("total", 0)),
            shown,
            prev=beacon.search_id,
        )
        return search_id
    if analytics is not None and beacon.type == "click" and beacon.search_id:
        analytics.record_click(beacon.search_id, beacon.articles[0], "", beacon.position)
        return None
    _record_event(beacon)
    return None


def _record_event(beacon: Beacon) -> None:
    """The interim store: kbportal.events, one row per beacon, surface in its data."""
    try:
        from kbportal.events import record  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # issue 8 replaced it: exposure and deflection go to form sessions
        log.info("no store for a %s beacon yet", beacon.type)
        return
    data: dict[str, Any] = {"surface": beacon.surface, "locale": beacon.locale}
    if beacon.session:
        data["session"] = beacon.session
    if beacon.request_type:
        data["request_type"] = beacon.request_type
    if beacon.type == "search":
        record("search", query=beacon.query, data={**data, **beacon.data})
    elif beacon.type == "exposure":
        record("exposure", query=beacon.query, data={**data, "articles": list(beacon.articles)})
    else:
        article = beacon.articles[0] if beacon.articles else None
        record(beacon.type, article=article, query=beacon.query or None, data=data)

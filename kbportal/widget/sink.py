"""Where widget and API beacons go: the search log (issue 8) and the form sessions (issue 9).

Exposure, click and deflection beacons with a `form` key (a request form's Idempotency-Key) or a
`session` count on that form session: suggestions shown, opened and "this solved my problem",
with their surface, in the deflection figures. Searches go
to the search log when issue 8's analytics is installed, and to kbportal.events until then.
"""

from __future__ import annotations

import logging
from typing import Any

from kbportal.db import get_session
from kbportal.support import formsessions, glue
from kbportal.urls import article_path
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
        total = int(beacon.data.get("total", 0))
        search_id: int = analytics.record_search(
            beacon.surface, beacon.locale, beacon.query, total, shown, prev=beacon.search_id
        )
        return search_id
    if analytics is not None and beacon.type == "click" and beacon.search_id:
        analytics.record_click(beacon.search_id, beacon.articles[0], "", beacon.position)
    if beacon.type in ("exposure", "click", "deflection") and (beacon.form or beacon.session):
        _form_session(beacon)
    _record_event(beacon)
    return None


def _form_session(beacon: Beacon) -> None:
    """Count the beacon on its form session (customers only), as the portal's own form does."""
    if not glue.is_counted_visitor():
        return
    db = get_session()
    types = glue.request_types()
    rtype = types.pick(beacon.request_type or None)
    # A request form's key links its suggestions to the request filed with that key; the panel
    # session (or a team's own id) stands for the form otherwise.
    key = beacon.form or beacon.session
    formsessions.open_form(
        db,
        key,
        type=rtype.name,
        locale=beacon.locale,
        surface=beacon.surface,
        session_id=beacon.session or None,
        holdout_percent=int(glue.setting("REQUESTS_HOLDOUT")),
    )
    urls = [article_path(*article.split("/", 1)) for article in beacon.articles]
    # What the customer typed (the panel's search, the form's subject and description) makes
    # the session count as a form session, as typing in the portal's own form does.
    shown = len(urls) if beacon.type == "exposure" else 0
    if beacon.query or shown:
        formsessions.note_typed(db, key, chars=len(beacon.query), shown=shown, type=rtype.name)
    if beacon.type == "click":
        formsessions.note_click(db, key, urls[0])
    elif beacon.type == "deflection" and urls:
        formsessions.note_solved(db, key, urls[0])


def _record_event(beacon: Beacon) -> None:
    """The interim store: kbportal.events, one row per beacon, surface in its data."""
    try:
        from kbportal.events import record  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # issue 8 replaced it: the search log and form sessions hold it all
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

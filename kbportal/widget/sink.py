"""Where widget and API beacons go: the search log (issue 8) and the form sessions (issue 9).

Exposure, click and deflection beacons with a `form` key (a request form's Idempotency-Key) or a
`session` count on that form session: suggestions shown, opened and "this solved my problem",
with their surface, in the deflection figures. Searches go to the search log, clicks to its
clicks, and exposures and deflections to analytics' surface events too (every beacon is
counted there, with or without a form).
"""

from __future__ import annotations

import logging

from kbportal import analytics
from kbportal.db import get_session
from kbportal.support import formsessions, glue
from kbportal.urls import article_path
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
    else:
        analytics.record_event(
            beacon.type,
            beacon.surface,
            beacon.locale,
            beacon.articles,
            beacon.query,
            beacon.session or None,
            beacon.request_type,
        )
    if beacon.type in ("exposure", "click", "deflection") and (beacon.form or beacon.session):
        _form_session(beacon)
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

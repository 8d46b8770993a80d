"""Who is reading this request: the one function every view asks."""

from __future__ import annotations

import logging

from flask import current_app

from kbportal.accounts.auth import viewer_for_request
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)


def current_viewer() -> Viewer:
    """The reader: a staff Viewer for a signed-in active user or a valid API token, else PUBLIC."""
    if "kbportal_db" not in current_app.extensions:
        return PUBLIC  # an app built without the accounts part has only customers
    return viewer_for_request()

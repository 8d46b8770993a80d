"""The agents' workspace: staff search built for speed, copy links, reply templates, reports."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the /staff pages (call after accounts.init_app: they need sign-in and CSRF)."""
    from kbportal.agents.views import bp, never_shared

    app.register_blueprint(bp)
    app.after_request(never_shared)

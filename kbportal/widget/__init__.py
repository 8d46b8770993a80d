"""The embeddable help widget and the public API for other sites: suggest, events, OpenAPI."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask

from kbportal.config import ConfigError
from kbportal.widget.origins import OriginError, parse_origins
from kbportal.widget.ratelimit import RateLimiter

log = logging.getLogger(__name__)


@dataclass
class WidgetSettings:
    """The widget's parsed settings and its per-process rate limiters."""

    origins: tuple[str, ...] = ()
    identity_secret: str = ""
    limiters: dict[str, RateLimiter] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    """Parse KBPORTAL_WIDGET_ORIGINS, register the widget's pages and API, and CORS."""
    from kbportal import serving
    from kbportal.widget import api, cors, requests_api, views

    try:
        origins = parse_origins(app.config["KBPORTAL_WIDGET_ORIGINS"])
    except OriginError as exc:
        raise ConfigError(f"KBPORTAL_WIDGET_ORIGINS cannot be used: {exc}") from None
    app.extensions["kbportal_widget"] = WidgetSettings(
        origins=origins, identity_secret=str(app.config["KBPORTAL_WIDGET_IDENTITY_SECRET"])
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(requests_api.bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        # Cookie-less by design: its POSTs never act as a signed-in user (staff beacons are
        # dropped), and a browser may only send them from a listed origin (cors.py).
        csrf.exempt(api.bp)
        csrf.exempt(requests_api.bp)
    # Beacons are small: refuse a big body before anything reads it.
    serving.allow_body(app, "widget_api.events", api.MAX_BEACON_BYTES)
    cors.init_app(app)

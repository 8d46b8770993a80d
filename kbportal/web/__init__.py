"""HTTP: blueprints for pages and the API. Views stay thin."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Wire translations, pages, the API, feeds, error pages and response headers into the app."""
    from kbportal.web import api, branding, errors, feeds, headers, i18n, pages, templating

    i18n.init_app(app)  # first: the page routes use its locale converter
    templating.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(branding.bp)
    errors.init_app(app)
    headers.init_app(app)

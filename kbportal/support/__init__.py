"""Support requests: forms as code, submit (request + outbox in one transaction), the relay.

Importing this package imports nothing else: the publish pipeline reads `support.forms`, and
`init_app` wires the web parts only when an app asks for them.
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the request form, its API, the staff pages and `kbportal deliver`."""
    from kbportal.serving import allow_body
    from kbportal.serving.server import WORKER_START
    from kbportal.support import api_views, cli, runtime, staff_views, templating, views

    templating.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(staff_views.bp)
    app.cli.add_command(cli.deliver_command)
    # `kbportal serve` runs the relay in each worker (leases make several relays safe).
    app.extensions.setdefault(WORKER_START, []).append(runtime.start_background)
    # The form may carry attachments: a larger body than other forms (KBPORTAL_MAX_UPLOAD_BODY).
    allow_body(app, "support.submit", int(app.config["KBPORTAL_MAX_UPLOAD_BODY"]))
    _register_followup()


def _register_followup() -> None:
    """ "Articles that do not help" on /staff/insights gains "requests after reading"."""
    from kbportal.analytics import reports
    from kbportal.support.visits import requests_after_reading

    reports.register_followup(FOLLOWUP, requests_after_reading)


FOLLOWUP = "Requests after reading"

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
    from kbportal.support import cli

    app.cli.add_command(cli.deliver_command)

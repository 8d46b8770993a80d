"""Git publishing: fetch the articles branch, publish what changed, webhooks and history."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from kbportal.serving import allow_body
from kbportal.sync.service import SyncError, SyncReport, last_report, sync

log = logging.getLogger(__name__)

__all__ = ["SyncError", "SyncReport", "init_app", "last_report", "sync"]


def init_app(app: Flask) -> None:
    """Register the webhook, staff pages and `kbportal sync`; exempt the webhook from CSRF."""
    from kbportal.sync.cli import sync_command
    from kbportal.sync.web import hooks, staff

    app.register_blueprint(hooks)
    # Push payloads are larger than a form: the webhook gets its own (still small) body limit.
    limit = app.config.get("KBPORTAL_MAX_WEBHOOK_BODY")
    if limit:
        allow_body(app, hooks.name, int(limit))
    app.register_blueprint(staff)
    app.cli.add_command(sync_command)  # `kbportal sync` (the kbportal group loads app.cli)

    def exempt_webhook_from_csrf() -> None:
        # The webhook is authenticated by its HMAC signature, not a cookie, so CSRF does not
        # apply. Run first (inserted at 0) so this works whether CSRFProtect was set up
        # before or after us.
        csrf: Any = app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(hooks)

    app.before_request_funcs.setdefault(None, []).insert(0, exempt_webhook_from_csrf)

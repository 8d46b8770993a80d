"""kbportal: a self-hosted, git-native knowledge base and support portal."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application: defaults, then KBPORTAL_* environment, then `config`."""
    # The packages are wired here, not imported with `kbportal`: the content pipeline and
    # search (kbportal.content, kbportal.search) then load without Flask or SQLAlchemy.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from kbportal import (
        accounts,
        agents,
        analytics,
        db,
        publish,
        serving,
        support,
        sync,
        web,
        widget,
    )
    from kbportal.config import ensure_secret_key, load_config

    settings = load_config(config)
    app = Flask(__name__)
    app.config.update({f"KBPORTAL_{key}": value for key, value in settings.items()})
    app.config["SECRET_KEY"] = settings["SECRET_KEY"] or ensure_secret_key(settings["DATA_DIR"])
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    for key in ("TESTING", "WTF_CSRF_ENABLED", "SERVER_NAME"):
        if config and key in config:
            app.config[key] = config[key]
    if settings["PROXY_FIX"] > 0:
        # Trust exactly that many proxies' X-Forwarded-* headers, so sign-in throttling and
        # session binding see the client's address, and redirects keep https and the host.
        hops = int(settings["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    serving.init_app(app)  # first: its checks run before anything reads the request
    db.init_app(app)
    accounts.init_app(app)
    publish.init_app(app)
    web.init_app(app)
    agents.init_app(app)  # after web: uses its locale converter
    sync.init_app(app)
    analytics.init_app(app)  # after web: uses its locale converter
    support.init_app(app)  # after web and accounts: locale converter, staff gate, CSRF
    widget.init_app(app)
    return app

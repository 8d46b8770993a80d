"""Staff accounts: users, sign-in, API tokens (issue 3)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Sign-in, CSRF on every form, bearer tokens on the API, and the users/tokens commands."""
    from kbportal.accounts import admin_views, auth, cli, views

    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    # Agents keep a tab open all day; the token is tied to the session, which is what expires.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Registered before CSRFProtect, whose check must already know about a bearer token.
    app.before_request(auth.authenticate_bearer)
    app.after_request(auth.mark_private)
    auth.csrf.init_app(app)
    auth.login_manager.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.cli.add_command(cli.users_cli)
    app.cli.add_command(cli.tokens_cli)

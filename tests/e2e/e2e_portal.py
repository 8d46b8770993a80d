"""A portal under test: a real articles tree, the real app and the real `kbportal` command."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from support import app_config, close_app
from support import sign_in as sign_in_form

from kbportal import create_app, publish
from kbportal.accounts import services
from kbportal.cli import cli
from kbportal.db import get_database


class Portal:
    """One portal under test: its folders, its app and its command line."""

    def __init__(self, root: Path, **overrides: object) -> None:
        self.root = root
        self.articles = root / "articles"
        self.config = app_config(root, **{"SECRET_KEY": "e2e-secret", **overrides})
        self._apps: list[Flask] = []

    def app(self, **overrides: object) -> Flask:
        """A fresh app over this portal's folders."""
        application = create_app({**self.config, **overrides})
        self._apps.append(application)
        return application

    def run(self, *args: str) -> Result:
        """Run `kbportal ARGS` as a user would, against this portal."""
        application = self.app()
        info = ScriptInfo(create_app=lambda: application)
        return CliRunner().invoke(cli, list(args), obj=info, catch_exceptions=False)

    def close(self) -> None:
        """Release open builds and database pools."""
        publish.close_all()
        for application in self._apps:
            close_app(application)


AGENT = "agent-e2e@example.com"
PASSWORD = "a long e2e passphrase 7"


def sign_in(app: Flask, client: FlaskClient, **environ: str) -> None:
    """Create the e2e agent (once) and sign in through the real form."""
    session = get_database(app).session()
    try:
        if services.get_user(session, AGENT) is None:
            services.create_user(session, AGENT, PASSWORD)
    finally:
        session.close()
    sign_in_form(client, AGENT, PASSWORD, **environ)

"""A portal under test: a real articles tree, the real app and the real `kbportal` command."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

from kbportal import create_app, publish
from kbportal.accounts import services
from kbportal.cli import cli
from kbportal.db import get_database
from kbportal.events import get_event_log

Files = dict[str, str | bytes]


def write_tree(root: Path, files: Files) -> Path:
    """Write {relpath: text or bytes} under root and return root."""
    root.mkdir(parents=True, exist_ok=True)
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


class Portal:
    """One portal under test: its folders, its app and its command line."""

    def __init__(self, root: Path, **overrides: object) -> None:
        self.root = root
        self.articles = root / "articles"
        self.config: dict[str, object] = {
            "ARTICLES_DIR": str(self.articles),
            "DATA_DIR": str(root / "data"),
            "SECRET_KEY": "e2e-secret",
            "TESTING": True,
            **overrides,
        }
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
            get_event_log(application).close()  # now, not at interpreter exit
            get_database(application).dispose()


AGENT = "agent-e2e@example.com"
PASSWORD = "a long e2e passphrase 7"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, html
    return match.group(1)


def sign_in(app: Flask, client: FlaskClient, **environ: str) -> None:
    """Create the e2e agent (once) and sign in through the real form."""
    session = get_database(app).session()
    try:
        if services.get_user(session, AGENT) is None:
            services.create_user(session, AGENT, PASSWORD)
    finally:
        session.close()
    token = csrf_from(client.get("/login", environ_overrides=environ).text)
    form = {"email": AGENT, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=form, environ_overrides=environ)
    assert response.status_code == 302, response.text

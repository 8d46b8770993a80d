"""Shared test helpers: article trees on disk, the real app over them, sign-in through the form.

Test modules import it as `support` (pytest puts `tests/` on sys.path for the root conftest).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from kbportal import create_app
from kbportal.accounts import services
from kbportal.analytics import get_analytics
from kbportal.db import get_database

Files = Mapping[str, str | bytes]
# A real 1x1 PNG, so media serving has an actual image to send.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
# The tldr corpus sits beside the lead's checkout, not in a clone: TLDR_CORPUS may point elsewhere.
TLDR = Path(
    os.environ.get("TLDR_CORPUS")
    or Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tldr"
)
NO_TLDR = (
    f"needs the tldr corpus at {TLDR}, which a clone of kbportal does not have "
    "(set TLDR_CORPUS to a copy of tldr-pages' pages folder)"
)
# Long enough for the password strength check.
TEST_PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def write_tree(root: Path, files: Files) -> Path:
    """Write {relpath: text or bytes} under root (creating folders) and return root."""
    root.mkdir(parents=True, exist_ok=True)
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def app_config(root: Path, **overrides: object) -> dict[str, object]:
    """Settings of a test portal over `root/articles` and `root/data`, with overrides."""
    return {
        "ARTICLES_DIR": str(root / "articles"),
        "DATA_DIR": str(root / "data"),
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        **overrides,
    }


def make_app(root: Path, files: Files, **overrides: object) -> Flask:
    """The real app over `files` written to `root/articles` (built on first request)."""
    write_tree(root / "articles", files)
    return create_app(app_config(root, **overrides))


def close_app(app: Flask) -> None:
    """Flush the app's event log and close its database pool (now, not at interpreter exit)."""
    get_analytics(app).close()
    get_database(app).dispose()


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, html
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str, **environ: str) -> None:
    """Sign in through the real login form (CSRF on) and expect the redirect."""
    token = csrf_from(client.get("/login", environ_overrides=environ).text)
    form = {"email": email, "password": password, "csrf_token": token}
    response = client.post("/login", data=form, environ_overrides=environ)
    assert response.status_code == 302, response.text


# The fields of one search hit, as issue 2 fixes them for the API and `kbportal search --json`.
HIT_KEYS = frozenset(
    {
        "slug",
        "title",
        "url",
        "section",
        "snippet",
        "score",
        "confidence",
        "category",
        "locale",
        "visibility",
    }
)
# The API's hits also carry the link that credits a click to the search (docs/analytics.md).
API_HIT_KEYS = HIT_KEYS | {"click_url"}


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with small parameters: the same code path, a fraction of the time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            services, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield

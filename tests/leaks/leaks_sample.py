"""A sample tree whose internal articles carry words found nowhere else, and helpers."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import support
from flask import Flask
from flask.testing import FlaskClient
from support import TEST_PASSWORD

from kbportal import publish
from kbportal.accounts import services
from kbportal.db import get_database

# Made-up words that only internal content contains: any of them in a public response is a leak.
SECRETS = ("zorblax", "quintaflux", "vantablack", "xylophage", "secret-note", "internal/override")
INTERNAL_TITLE = "Zorblax override runbook"
NOTE_TITLE = "Zorblax billing note"
L2_TITLE = "Xylophage failover"
L2_WORD = "xylophage"

ARTICLES: dict[str, str | bytes] = {
    "en/billing/_category.yml": "title: Billing\norder: 1\n",
    "en/billing/refunds.md": (
        "---\ntitle: Getting a refund\nsummary: How refunds work.\nupdated: 2026-10-01\n"
        "related: [internal/override, billing/secret-note]\n---\n"
        "Refunds go back to the card you paid with.\n\n"
        "If a refund is refused, agents follow [the escalation steps](../internal/override.md).\n"
        "Also see [](secret-note.md) and [our team page](../internal/).\n\n"
        "## Refund timing\n\nA refund takes five working days.\n"
    ),
    "en/billing/invoices.md": (
        "---\ntitle: Downloading invoices\nupdated: 2026-09-01\n---\nEach invoice is a PDF.\n"
    ),
    # Internal article inside a public category: counts and category pages must skip it.
    "en/billing/secret-note.md": (
        f"---\ntitle: {NOTE_TITLE}\nvisibility: internal\nupdated: 2026-11-20\n---\n"
        "The quintaflux refund override needs a manager.\n"
    ),
    "en/internal/_category.yml": "title: Vantablack escalations\nvisibility: internal\n",
    "en/internal/override.md": (
        f"---\ntitle: {INTERNAL_TITLE}\nvisibility: internal\naliases: [old-zorblax]\n"
        "updated: 2026-11-21\n---\n"
        "Refund override for quintaflux customers.\n\n![Override screen](img/override.png)\n\n"
        "## Zorblax steps\n\nCall the manager.\n"
    ),
    "en/internal/img/override.png": support.PNG,
    "en/internal/failover.md": (
        f"---\ntitle: {L2_TITLE}\nvisibility: internal\naudience: [l2]\nupdated: 2026-11-21\n---\n"
        "The xylophage failover is for L2 only.\n"
    ),
    "en/start/_category.yml": "title: Getting started\norder: 0\n",
    "en/start/welcome.md": "# Welcome aboard\n\nCreate your workspace and invite your team.\n",
    "ru/start/welcome.md": "# Добро пожаловать\n\nСоздайте рабочее пространство.\n",
    # An internal translation of a public article: the language switch must not offer it.
    "ru/billing/refunds.md": (
        "---\ntitle: Зорбликс возврат\nvisibility: internal\n---\nКвинтафлюкс.\n"
    ),
}
RU_SECRETS = ("зорбликс", "квинтафлюкс")


def assert_clean(text: str, *also: str, echo: str = "") -> None:
    """Fail if any internal-only word shows up in a public response (bar the echoed query)."""
    lowered = text.lower()
    if echo:
        for form in {echo, html.escape(echo), quote_plus(echo), quote(echo)}:
            lowered = lowered.replace(form.lower(), "")
    for word in (*SECRETS, *RU_SECRETS, *also):
        assert word.lower() not in lowered, f"leak: {word!r} in {text[:2000]}"


def sign_in(client: FlaskClient, email: str) -> None:
    """Sign in a sample staff user through the real form."""
    support.sign_in(client, email, TEST_PASSWORD)


def client_for(app: Flask, email: str) -> FlaskClient:
    """A client of `app` signed in as a sample staff user."""
    client = app.test_client()
    sign_in(client, email)
    return client


def app_with_agents(root: Path, files: dict[str, str | bytes]) -> Iterator[Flask]:
    """The real app over `files`, with agent@example.com (no group) and l2@example.com (l2)."""
    app = support.make_app(root, files)
    session = get_database(app).session()
    try:
        services.create_user(session, "agent@example.com", TEST_PASSWORD)
        services.create_user(session, "l2@example.com", TEST_PASSWORD, groups=("l2",))
    finally:
        session.close()
    yield app
    support.close_app(app)
    publish.close_all()


@dataclass(frozen=True)
class Tokens:
    """Raw API tokens of the sample's staff."""

    agent: str
    revoked: str
    disabled_user: str

"""Web test fixtures: a small real articles tree, built for real, served by the real app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import PNG, make_app

from kbportal.db import get_database

INTERNAL_TITLE = "Refund override runbook"
INTERNAL_CATEGORY = "Internal billing"
DRAFT_TITLE = "Unreleased pricing draft"

SAMPLE: dict[str, str | bytes] = {
    "en/billing/_category.yml": "title: Billing\ndescription: Money matters\norder: 1\n",
    "en/billing/refunds.md": (
        "---\ntitle: Getting a refund\nsummary: How refunds work.\naliases: [refund-policy]\n"
        "updated: 2026-11-01\n---\n"
        "Refunds go back to the card you paid with.\n\n![Logo](../../img/logo.png)\n\n"
        "![Diagram](../../img/diagram.svg)\n\n"
        "## Steps to request a refund\n\nOpen billing and press the refund button.\n\n"
        "## Refund timing\n\nA refund takes five working days.\n"
    ),
    "en/billing/invoices.md": (
        "---\ntitle: Downloading invoices\nupdated: 2026-10-01\n---\n"
        "Invoices are in the billing section. Each invoice is a PDF.\n"
    ),
    "en/billing/internal/_category.yml": f"title: {INTERNAL_CATEGORY}\nvisibility: internal\n",
    "en/billing/internal/override.md": (
        f"---\ntitle: {INTERNAL_TITLE}\nvisibility: internal\naliases: [old-override]\n---\n"
        "Agents may override a refund refusal. Refund override needs a manager.\n\n"
        "![Override screen](../../../img/override-screen.png)\n"
    ),
    "en/start/_category.yml": "title: Getting started\norder: 0\n",
    "en/start/welcome.md": "# Welcome aboard\n\nCreate your workspace and invite your team.\n",
    "en/start/setup/first-booking.md": "# Your first booking\n\nAdd a service, then a booking.\n",
    "en/start/pricing-draft.md": f"---\ntitle: {DRAFT_TITLE}\ndraft: true\n---\nSoon.\n",
    "ru/billing/_category.yml": "title: Оплата\n",
    "ru/billing/refunds.md": "# Возврат денег\n\nДеньги вернутся на карту за пять рабочих дней.\n",
    "img/logo.png": PNG,
    "img/override-screen.png": PNG,  # shown only by the internal article
    "img/diagram.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
}


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One built sample KB for the read-only web tests (small pages: two results per page)."""
    application = make_app(tmp_path_factory.mktemp("web"), SAMPLE, SEARCH_PAGE_SIZE=2)
    yield application
    get_database(application).dispose()


@pytest.fixture
def app_factory(tmp_path: Path) -> Callable[..., Flask]:
    """Make a fresh app over the sample tree in this test's tmp_path, with config overrides."""
    return lambda **overrides: make_app(tmp_path, SAMPLE, **overrides)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the shared app."""
    return app.test_client()

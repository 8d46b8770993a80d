"""Fixtures for serving tests: the real app over a tiny real KB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import close_app, make_app

ARTICLES = {
    "en/billing/refunds.md": "# Getting a refund\n\nRefunds take five working days.\n",
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The real app (CSRF on, as in production) with a webhook secret set."""
    application = make_app(tmp_path, ARTICLES, WEBHOOK_SECRET="hook-secret")
    yield application
    close_app(application)

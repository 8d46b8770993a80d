"""Widget test fixtures: a small real KB with an internal article, served with widget origins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import close_app, make_app
from widget_sample import HOST, SAMPLE, SECRET

from kbportal import publish


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real app over SAMPLE, with HOST as the one widget origin."""
    application = make_app(
        tmp_path_factory.mktemp("widget"),
        SAMPLE,
        WIDGET_ORIGINS=f"{HOST}/, https://shop.example.com",
        WIDGET_IDENTITY_SECRET=SECRET,
    )
    yield application
    close_app(application)
    publish.close_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()

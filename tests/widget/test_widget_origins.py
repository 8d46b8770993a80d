"""KBPORTAL_WIDGET_ORIGINS: parsed strictly, so a typo never opens the API to everyone."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbportal import create_app
from kbportal.config import ConfigError
from kbportal.widget.origins import (
    OriginError,
    frame_ancestors,
    normalise_origin,
    parse_origins,
    request_origin,
)


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origins_are_normalised(raw: str, origin: str) -> None:
    assert normalise_origin(raw) == origin


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example.com",
        "https://*.example.com",
        "https://shop.example.com/app",
        "ftp://x.org",
        "https://user@shop.example.com",
        "https://shop.example.com:99999",
        "null",
    ],
)
def test_anything_but_an_origin_is_refused(raw: str) -> None:
    with pytest.raises(OriginError):
        normalise_origin(raw)


def test_a_list_keeps_its_order_without_duplicates() -> None:
    assert parse_origins(" https://a.org, https://b.org/ ,https://A.org,") == (
        "https://a.org",
        "https://b.org",
    )
    assert frame_ancestors(("https://a.org",)) == "'self' https://a.org"
    assert frame_ancestors(()) == "'self'"


def test_request_origins() -> None:
    assert request_origin(None) is None and request_origin("") is None
    assert request_origin("null") == "null"
    assert request_origin("https://A.org") == "https://a.org"


def test_a_bad_setting_stops_the_app_with_the_variable_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KBPORTAL_WIDGET_ORIGINS"):
        create_app({"DATA_DIR": tmp_path, "TESTING": True, "WIDGET_ORIGINS": "https://*.x.org"})

"""Branding from settings (logo, accent, footer links) and the article contents on phones."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

import kbportal
from kbportal.config import ConfigError, load_config


def test_defaults_show_no_brand_extras(client: FlaskClient) -> None:
    page = client.get("/en/").text
    assert "brand-logo" not in page and "/brand.css" not in page


def test_logo_accent_and_footer_links_from_settings(app_factory) -> None:
    app = app_factory(
        LOGO_URL="https://cdn.example.com/acme.svg",
        ACCENT_COLOR="#C2410C",
        FOOTER_LINKS="Privacy=https://acme.example/privacy; Status=/status",
        SITE_NAME="Acme Help",
    )
    client = app.test_client()
    page = client.get("/en/").text
    assert '<img class="brand-logo" src="https://cdn.example.com/acme.svg"' in page
    assert 'href="/brand.css"' in page and "Acme Help" in page
    assert '<a href="https://acme.example/privacy">Privacy</a>' in page
    assert '<a href="/status">Status</a>' in page
    css = client.get("/brand.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--accent: #c2410c;" in css.text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ACCENT_COLOR", "red; } body { display: none"),
        ("ACCENT_COLOR", "#12345"),
        ("LOGO_URL", "javascript:alert(1)"),
        ("LOGO_URL", "//evil.example/logo.png"),
        ("FOOTER_LINKS", "Privacy"),
        ("FOOTER_LINKS", "Click=javascript:alert(1)"),
    ],
)
def test_bad_brand_settings_are_refused_with_the_variable_named(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"KBPORTAL_{key}"):
        load_config({}, {f"KBPORTAL_{key}": value})


def test_contents_sit_collapsed_under_the_title_for_small_screens(client: FlaskClient) -> None:
    page = client.get("/en/articles/billing/refunds").text
    compact = page.index('<details class="toc-compact">')
    assert page.index('id="article-title"') < compact < page.index('class="article-body"')
    assert '<details class="toc-compact" open' not in page  # collapsed until asked
    assert page.index('<nav class="toc"') > compact  # the wide-screen sidebar is still there
    css = (Path(kbportal.__file__).parent / "static" / "kbportal.css").read_text(encoding="utf-8")
    assert "@media (max-width: 59.99rem) { .article-layout > .toc { display: none; } }" in css
    assert "@media (min-width: 60rem) { .toc-compact { display: none; } }" in css

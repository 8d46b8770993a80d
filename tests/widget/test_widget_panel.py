"""The panel page and widget.js as served: who may frame it, which language, how big."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from widget_sample import HOST, OTHER

from kbportal.widget.strings import STRINGS

STATIC = Path(__file__).resolve().parents[2] / "kbportal" / "widget" / "static"


def test_only_listed_origins_may_frame_the_panel(client: FlaskClient) -> None:
    response = client.get("/widget/panel?locale=en")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {HOST} https://shop.example.com" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "X-Frame-Options" not in response.headers  # the CSP says who; XFO would say nobody


def test_every_other_page_still_refuses_to_be_framed(client: FlaskClient) -> None:
    for url in ("/en/", "/en/articles/billing/refunds", "/api/v1/suggest?q=refund"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_panel_talks_only_to_a_listed_host(client: FlaskClient) -> None:
    listed = client.get("/widget/panel", query_string={"origin": HOST}).text
    assert f'data-host-origin="{HOST}"' in listed
    for origin in (OTHER, "javascript:alert(1)", "null", '"><script>'):
        html = client.get("/widget/panel", query_string={"origin": origin}).text
        assert 'data-host-origin=""' in html


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_panel_speaks_the_hosts_language(client: FlaskClient, locale: str) -> None:
    html = client.get(f"/widget/panel?locale={locale}").text
    assert f'<html lang="{locale}">' in html
    assert STRINGS[locale]["search_label"] in html
    assert STRINGS[locale]["close"] in html


def test_an_unknown_language_falls_back_to_the_browsers(client: FlaskClient) -> None:
    html = client.get("/widget/panel?locale=xx", headers={"Accept-Language": "ru-RU"}).text
    assert '<html lang="ru">' in html


def test_the_theme_colour_is_checked(client: FlaskClient) -> None:
    assert 'data-colour="#0a7"' in client.get("/widget/panel?color=%230a7").text
    bad = client.get("/widget/panel", query_string={"color": "red;background:url(x)"}).text
    assert 'data-colour=""' in bad


def test_the_panel_is_never_cached_as_a_staff_view(client: FlaskClient) -> None:
    assert client.get("/widget/panel").headers["Cache-Control"] == "no-store"


def test_widget_js_is_served_for_other_sites(client: FlaskClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    response.close()


def test_widget_js_is_small_and_framework_free() -> None:
    source = (STATIC / "widget.js").read_bytes()
    assert len(gzip.compress(source, 9)) < 15 * 1024
    text = source.decode()
    assert "eval(" not in text and "innerHTML" not in text
    # One namespaced global: the only window property it assigns is KBPortal.
    assert set(re.findall(r"win\.([A-Za-z_$]+)\s*=[^=]", text)) == {"KBPortal"}


def test_the_widget_strings_are_complete_in_every_language() -> None:
    assert set(STRINGS["ru"]) == set(STRINGS["en"])


def test_every_js_api_method_and_snippet_attribute_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "widget.md").read_text("utf-8")
    source = (STATIC / "widget.js").read_text("utf-8")
    api = source[source.index("var api = {") : source.index("function start()")]
    methods = set(re.findall(r"^    ([a-zA-Z]+):", api, re.M)) - {"version"}
    assert methods >= {"open", "close", "toggle", "search", "suggest", "prefill", "identify", "on"}
    for method in methods:
        assert f"KBPortal.{method}(" in docs, method
    for name in set(re.findall(r'attr\("([a-z-]+)"', source)):
        assert f"`data-{name}`" in docs, name

"""Public pages never show internal content: related, categories, counts, home, 404s, links."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from leaks_sample import INTERNAL_TITLE, L2_TITLE, NOTE_TITLE, assert_clean

from kbportal.analytics import get_analytics


def test_related_articles(public: FlaskClient, agent: FlaskClient) -> None:
    # refunds lists both internal articles in `related`, and the note shares its category.
    html = public.get("/en/articles/billing/refunds").get_data(as_text=True)
    assert "Getting a refund" in html
    assert_clean(html, INTERNAL_TITLE, NOTE_TITLE)
    assert NOTE_TITLE in agent.get("/en/articles/billing/refunds").get_data(as_text=True)


def test_a_public_article_linking_to_an_internal_one_hides_its_title(public: FlaskClient) -> None:
    html = public.get("/en/articles/billing/refunds").get_data(as_text=True)
    assert "the escalation steps" in html  # the author's own words stay, as plain text
    assert not re.search(r'<a [^>]*href="[^"]*internal', html)
    assert 'href="/en/articles/billing/secret-note"' not in html
    assert_clean(html, INTERNAL_TITLE, NOTE_TITLE, "/en/categories/internal")


def test_category_counts_on_home(public: FlaskClient) -> None:
    html = public.get("/en/").get_data(as_text=True)
    assert_clean(html, INTERNAL_TITLE, NOTE_TITLE)
    card = re.search(
        r'href="/en/categories/billing">Billing</a>.*?class="count">(\d+) article', html, re.S
    )
    assert card and card.group(1) == "2"  # refunds and invoices; not the internal note
    assert "/en/categories/internal" not in html


def test_category_pages(public: FlaskClient) -> None:
    html = public.get("/en/categories/billing").get_data(as_text=True)
    assert "Downloading invoices" in html
    assert_clean(html, NOTE_TITLE)
    hidden = public.get("/en/categories/internal")
    missing = public.get("/en/categories/no-such-category")
    assert hidden.status_code == missing.status_code == 404
    assert_clean(hidden.get_data(as_text=True), "Vantablack", echo="internal")


def test_recent_and_popular_on_home(
    leak_app: Flask, agent: FlaskClient, public: FlaskClient
) -> None:
    # Staff read the internal runbook a lot: views are counted, so it is "popular".
    for _ in range(5):
        assert agent.get("/en/articles/internal/override").status_code == 200
    analytics = get_analytics(leak_app)
    analytics.recorder.flush()
    analytics.popularity.forget()
    assert INTERNAL_TITLE in agent.get("/en/").get_data(as_text=True)  # counted: not vacuous
    html = public.get("/en/").get_data(as_text=True)
    assert_clean(html, INTERNAL_TITLE, NOTE_TITLE)


@pytest.mark.parametrize(
    "path",
    [
        "/en/articles/internal/override",
        "/en/articles/billing/secret-note",
        "/en/articles/internal/failover",
        "/en/articles/old-zorblax",  # an alias: a redirect would confirm the article exists
    ],
)
def test_not_found_pages_are_the_same_as_for_missing(public: FlaskClient, path: str) -> None:
    hidden = public.get(path)
    missing = public.get("/en/articles/nothing/here")
    assert hidden.status_code == missing.status_code == 404
    assert "Location" not in hidden.headers
    # Apart from the words of the URL prefilled in the search box, the pages are identical.
    strip = re.compile(r'value="[^"]*"')
    body = strip.sub("", hidden.get_data(as_text=True))
    assert_clean(body, INTERNAL_TITLE, NOTE_TITLE, "Vantablack")
    assert body == strip.sub("", missing.get_data(as_text=True))


def test_error_pages(public: FlaskClient) -> None:
    for response in (
        public.post("/en/articles/internal/override"),  # 405
        public.get("/en/articles/internal/override/%00"),
        public.get("/xx/articles/internal/override"),
    ):
        assert response.status_code in (400, 404, 405)
        assert_clean(response.get_data(as_text=True), INTERNAL_TITLE, NOTE_TITLE, echo="override")


def test_language_switch_does_not_offer_an_internal_translation(public: FlaskClient) -> None:
    html = public.get("/en/articles/billing/refunds").get_data(as_text=True)
    assert 'href="/ru/articles/billing/refunds"' not in html
    assert public.get("/ru/articles/billing/refunds").status_code == 404


def test_internal_images_are_not_served(public: FlaskClient, agent: FlaskClient) -> None:
    html = agent.get("/en/articles/internal/override").get_data(as_text=True)
    src = re.search(r'<img [^>]*src="([^"]+)"', html)
    assert src, html
    shown = agent.get(src.group(1))
    shown.close()  # send_file keeps the image open until the response is closed
    assert shown.status_code == 200
    hidden, missing = public.get(src.group(1)), public.get("/media/en/internal/img/none.png")
    assert hidden.status_code == missing.status_code == 404


def test_an_agent_outside_the_audience_sees_nothing_of_it(agent: FlaskClient) -> None:
    assert agent.get("/en/articles/internal/failover").status_code == 404
    assert L2_TITLE not in agent.get("/staff/search?q=xylophage+failover").get_data(as_text=True)
    assert agent.get("/staff/search.json?q=xylophage").get_json()["total"] == 0
    assert agent.get("/api/v1/autocomplete?q=xylo").get_json()["suggestions"] == []
    assert L2_TITLE not in agent.get("/en/categories/internal").get_data(as_text=True)
    assert L2_TITLE not in agent.get("/en/").get_data(as_text=True)


def test_an_audience_member_does_see_it(leak_app: Flask) -> None:
    from leaks_sample import sign_in

    l2 = leak_app.test_client()
    sign_in(l2, "l2@example.com")
    assert l2.get("/en/articles/internal/failover").status_code == 200
    assert l2.get("/staff/search.json?q=xylophage").get_json()["total"] == 1


def test_the_search_pages_category_filter_is_each_viewers_own(
    public: FlaskClient, agent: FlaskClient
) -> None:
    # The filter's options are rendered once per build, locale and viewer: staff first.
    for _ in range(2):
        staff = agent.get("/en/search?q=refund").get_data(as_text=True)
        assert 'value="internal"' in staff and "Vantablack escalations" in staff
        html = public.get("/en/search?q=refund").get_data(as_text=True)
        assert 'value="billing"' in html
        assert 'value="internal"' not in html
        assert_clean(html, "Vantablack", echo="internal")
        chosen = public.get("/en/search?q=refund&category=internal").get_data(as_text=True)
        assert "Vantablack" not in chosen and " selected" not in chosen

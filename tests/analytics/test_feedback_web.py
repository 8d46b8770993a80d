"""Article feedback through the real app: with and without script, one vote per session."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kbportal.analytics.feedback import content_version
from kbportal.analytics.models import Vote
from kbportal.db import get_database

URL = "/en/feedback/billing/refunds"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
SAME_SITE = {"Origin": "http://localhost"}


def client_of(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = BROWSER
    return client


def votes(app: Flask) -> list[Vote]:
    with get_database(app).session() as session:
        return list(session.scalars(select(Vote).order_by(Vote.id)))


def test_every_article_asks_and_the_form_needs_no_token(portal: Flask) -> None:
    page = client_of(portal).get("/en/articles/billing/refunds")
    assert "Was this helpful?" in page.text
    assert f'action="{URL}"' in page.text and "csrf_token" not in page.text
    assert page.headers["Cache-Control"] == "public, max-age=60"
    ru = client_of(portal).get("/ru/articles/billing/refunds")
    assert "Статья помогла?" in ru.text


def test_yes_without_script_is_stored_before_the_answer(portal: Flask) -> None:
    client = client_of(portal)
    response = client.post(URL, data={"helpful": "yes"}, headers=SAME_SITE)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(URL + "?vote=")
    [vote] = votes(portal)  # no flush: written before the response
    assert vote.helpful and vote.article == "en/billing/refunds" and vote.locale == "en"
    assert vote.session_id and vote.segment == "customer" and len(vote.version) == 16
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text


def test_no_then_a_reason_without_script_is_one_vote(portal: Flask) -> None:
    client = client_of(portal)
    response = client.post(URL, data={"helpful": "no"}, headers=SAME_SITE)
    assert "why=1" in response.headers["Location"]
    form = client.get(response.headers["Location"]).text
    assert 'name="reason"' in form and 'value="outdated"' in form
    token = re.search(r'name="vote" value="([^"]+)"', form).group(1)
    client.post(
        URL,
        data={"helpful": "no", "reason": "unclear", "comment": "Which card?", "vote": token},
        headers=SAME_SITE,
    )
    [vote] = votes(portal)
    assert (vote.helpful, vote.reason, vote.comment) == (False, "unclear", "Which card?")


def test_with_script_the_answer_is_json_and_the_latest_vote_counts(portal: Flask) -> None:
    client = client_of(portal)
    json_headers = {**SAME_SITE, "Accept": "application/json"}
    first = client.post(URL, data={"helpful": "no"}, headers=json_headers)
    assert first.status_code == 200 and first.json["recorded"] and first.json["vote"]
    client.post(URL, data={"helpful": "yes"}, headers=json_headers)
    [vote] = votes(portal)
    assert vote.helpful


def test_without_a_session_a_refinement_replaces_its_own_vote(portal: Flask) -> None:
    client = client_of(portal)
    headers = {**SAME_SITE, "Accept": "application/json", "DNT": "1"}
    first = client.post(URL, data={"helpful": "no"}, headers=headers)
    client.post(
        URL, data={"helpful": "no", "reason": "other", "vote": first.json["vote"]}, headers=headers
    )
    client_of(portal).post(URL, data={"helpful": "yes"}, headers=headers)  # someone else
    assert [(v.helpful, v.reason, v.session_id) for v in votes(portal)] == [
        (False, "other", None),
        (True, None, None),
    ]


def test_the_article_version_is_stored(portal: Flask) -> None:
    from kbportal.viewer import PUBLIC
    from kbportal.web.kb import current_kb

    client_of(portal).post(URL, data={"helpful": "yes"}, headers=SAME_SITE)
    with portal.test_request_context():
        article = current_kb().article("en", "billing/refunds", PUBLIC)
        assert article is not None
        assert votes(portal)[0].version == content_version(article.html)


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        ({"helpful": "maybe"}, SAME_SITE, 400),
        ({"helpful": "no", "reason": "angry"}, SAME_SITE, 400),
        ({"helpful": "no", "comment": "x" * 1001}, SAME_SITE, 400),
        ({"helpful": "yes"}, {"Origin": "https://evil.example"}, 403),
        ({"helpful": "yes"}, {"Sec-Fetch-Site": "cross-site"}, 403),
        ({"helpful": "yes", "vote": "forged"}, SAME_SITE, 400),
    ],
)
def test_bad_votes_get_a_clear_error_and_store_nothing(
    portal: Flask, data: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = client_of(portal).post(URL, data=data, headers=headers)
    assert response.status_code == status
    assert votes(portal) == []


def test_the_honeypot_thanks_and_stores_nothing(portal: Flask) -> None:
    response = client_of(portal).post(
        URL, data={"helpful": "yes", "website": "http://spam"}, headers=SAME_SITE
    )
    assert response.status_code == 303 and votes(portal) == []


def test_internal_and_missing_articles_take_no_votes(portal: Flask) -> None:
    client = client_of(portal)
    for url in ("/en/feedback/internal/override", "/en/feedback/nothing/here"):
        assert client.post(url, data={"helpful": "yes"}, headers=SAME_SITE).status_code == 404
        assert client.get(url).status_code == 404
    assert votes(portal) == []


def test_votes_are_throttled_per_address(portal: Flask) -> None:
    from kbportal.analytics import tracking

    statuses = {
        client_of(portal)
        .post(
            URL,
            data={"helpful": "yes"},
            headers=SAME_SITE,
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
        .status_code
        for _ in range(tracking.VOTES_PER_ADDRESS + 2)
    }
    assert statuses == {303, 429}

"""The agent search page and its JSON: sign-in, staff-only caching, internal hits marked."""

from __future__ import annotations

import re

import pytest
from agents_sample import FAILOVER_TITLE, RUNBOOK_TITLE, sign_in
from flask.testing import FlaskClient

STAFF_URLS = [
    "/staff/",
    "/staff/search",
    "/staff/search?q=outage",
    "/staff/search.json?q=outage",
    "/staff/templates",
    "/staff/templates/en/internal/templates/refund-ok",
    "/staff/reports/links",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_strangers_are_sent_to_sign_in_and_nothing_is_cached(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    if url.startswith("/staff/search.json"):
        assert response.status_code == 401
        assert response.get_json() == {"error": "sign in first"}
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=/staff/")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert RUNBOOK_TITLE not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [*STAFF_URLS, "/staff/templates/en/billing/refunds", "/staff/x"])
def test_every_staff_response_is_private(agent: FlaskClient, url: str) -> None:
    response = agent.get(url)
    assert response.status_code < 500
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.headers.get("Vary", "")


def test_the_page_works_without_script(agent: FlaskClient) -> None:
    html = agent.get("/staff/search?q=outage").get_data(as_text=True)
    assert RUNBOOK_TITLE in html
    assert "Getting a refund" in html  # public articles are found too
    assert FAILOVER_TITLE not in html  # audience l2 only
    hits = re.findall(r'<li class="agent-hit( is-internal)?"', html)
    assert len(hits) == 2 and sum(1 for internal in hits if internal) == 1
    assert 'class="badge-internal"' in html
    # Without script the links sit in read-only fields; the copy buttons wait for agents.js.
    assert 'value="http://localhost/en/articles/internal/runbook' in html
    assert re.search(r'<button type="button" class="copy" data-copy="link" hidden>', html)
    assert 'src="/static/agents.js"' in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)


def test_json_gives_absolute_canonical_links_and_marks_internal(agent: FlaskClient) -> None:
    data = agent.get("/staff/search.json?q=duty+engineer&locale=en").get_json()
    hit = next(h for h in data["hits"] if h["slug"] == "internal/runbook")
    assert hit["internal"] is True and hit["visibility"] == "internal"
    assert hit["url"] == "http://localhost/en/articles/internal/runbook"
    assert (
        hit["section_url"]
        == "http://localhost/en/articles/internal/runbook#paging-the-duty-engineer"
    )
    assert hit["markdown"] == f"[{RUNBOOK_TITLE}](http://localhost/en/articles/internal/runbook)"
    assert hit["open"] == "/en/articles/internal/runbook#paging-the-duty-engineer"
    public = agent.get("/staff/search.json?q=refund+timing").get_json()["hits"][0]
    assert public["internal"] is False
    assert public["url"] == "http://localhost/en/articles/billing/refunds"


def test_public_url_setting_wins_over_the_request_host(agent: FlaskClient) -> None:
    agent.application.config["KBPORTAL_PUBLIC_URL"] = "https://help.example.com/"
    hit = agent.get("/staff/search.json?q=refund+timing").get_json()["hits"][0]
    assert hit["url"] == "https://help.example.com/en/articles/billing/refunds"


def test_an_audience_member_finds_what_others_do_not(make_user, agent: FlaskClient) -> None:
    make_user("l2@example.com", groups=("l2",))
    l2 = agent.application.test_client()
    sign_in(l2, "l2@example.com")
    titles = {h["title"] for h in l2.get("/staff/search.json?q=failover").get_json()["hits"]}
    assert FAILOVER_TITLE in titles
    assert agent.get("/staff/search.json?q=failover").get_json()["total"] == 0


def test_locale_filter(agent: FlaskClient) -> None:
    ru = agent.get("/staff/search.json?q=деньги&locale=ru").get_json()
    assert {h["locale"] for h in ru["hits"]} == {"ru"}
    everywhere = agent.get("/staff/search.json?q=деньги&locale=").get_json()
    assert everywhere["total"] >= ru["total"] >= 1


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=%00%01",
        "q=" + "x" * 5000,
        "q=outage&page=-1",
        "q=outage&page=abc",
        "q=outage&page=99999999999999999",
        "q=outage&locale=xx",
        "q=(((&locale=en",
        "q=title:*&locale=en",
    ],
)
def test_malformed_queries_never_fail(agent: FlaskClient, query: str) -> None:
    assert agent.get(f"/staff/search?{query}").status_code == 200
    assert agent.get(f"/staff/search.json?{query}").status_code == 200


def test_a_disabled_agent_is_signed_out(agent: FlaskClient, db) -> None:
    from kbportal.accounts import services

    services.set_active(db, "agent@example.com", False)
    assert agent.get("/staff/search.json?q=outage").status_code == 401

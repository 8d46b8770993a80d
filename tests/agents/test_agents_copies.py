"""Copied links: each copy is stored before the page hears "recorded"; reports; permalinks."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from agents_sample import RUNBOOK_TITLE, csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbportal import publish
from kbportal.accounts.models import User
from kbportal.agents.reports import KIND
from kbportal.analytics.models import AgentCopy
from kbportal.publish import config_of


def copy(client: FlaskClient, token: str, **payload: object) -> tuple[int, dict]:
    response = client.post("/staff/copies", json=payload, headers={"X-CSRFToken": token})
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.status_code, response.get_json()


def copies(db: Session) -> list[AgentCopy]:
    db.expire_all()
    stmt = select(AgentCopy).where(AgentCopy.kind == "link").order_by(AgentCopy.id)
    return list(db.scalars(stmt))


def test_a_copy_is_stored_before_the_answer(agent: FlaskClient, db: Session) -> None:
    token = csrf_token(agent, "/staff/search")
    status, body = copy(
        agent,
        token,
        article="en/internal/runbook",
        section="paging-the-duty-engineer",
        how="section",
    )
    assert (status, body) == (201, {"recorded": True})
    [event] = copies(db)  # no flush, no wait: it is in the database already
    user = db.scalar(select(User).where(User.email == "agent@example.com"))
    assert event.article == "en/internal/runbook"
    assert event.section == "paging-the-duty-engineer"
    assert event.user_id == user.id
    assert event.at is not None
    assert event.how == "section"
    status, _ = copy(agent, token, article="en/billing/refunds", how="markdown")
    assert status == 201
    assert [e.section for e in copies(db)] == ["paging-the-duty-engineer", None]


def test_without_the_csrf_header_nothing_is_recorded(agent: FlaskClient, db: Session) -> None:
    response = agent.post("/staff/copies", json={"article": "en/billing/refunds", "how": "link"})
    assert response.status_code == 400
    assert copies(db) == []


def test_strangers_cannot_record(client: FlaskClient, db: Session) -> None:
    token = csrf_token(client)  # a real token of an anonymous session
    response = client.post(
        "/staff/copies",
        json={"article": "en/billing/refunds", "how": "link"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 401
    assert copies(db) == []


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (None, 400),
        ([], 400),
        ({"article": "en/billing/refunds"}, 400),
        ({"article": "en/billing/refunds", "how": "fax"}, 400),
        ({"article": 5, "how": "link"}, 400),
        ({"article": "nolocale", "how": "link"}, 400),
        ({"article": "en/billing/refunds", "section": "nope", "how": "section"}, 400),
        ({"article": "en/billing/refunds", "section": ["x"], "how": "section"}, 400),
        ({"article": "en/billing/missing", "how": "link"}, 404),
        ({"article": "en/internal/failover", "how": "link"}, 404),  # audience l2 only
    ],
)
def test_bad_copy_reports_are_refused(
    agent: FlaskClient, db: Session, payload: object, status: int
) -> None:
    token = csrf_token(agent, "/staff/search")
    response = agent.post("/staff/copies", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == status
    assert "error" in response.get_json()
    assert copies(db) == []


def test_editors_see_the_most_sent_articles_and_sections(
    agent: FlaskClient, editor: FlaskClient, db: Session
) -> None:
    token = csrf_token(agent, "/staff/search")
    for _ in range(3):
        copy(agent, token, article="en/billing/refunds", section="refund-timing", how="section")
    copy(agent, token, article="en/internal/runbook", how="link")
    assert db.scalar(select(func.count(AgentCopy.id)).where(AgentCopy.kind == KIND)) == 4
    assert agent.get("/staff/reports/links").status_code == 403  # agents do not get the report
    html = editor.get("/staff/reports/links").get_data(as_text=True)
    rows = re.findall(
        r"<tr><td><a href=\"([^\"]+)\">([^<]+)</a>.*?<td>(\d+)</td><td>(\d+)</td>", html, re.S
    )
    assert rows[:2] == [
        ("/en/articles/billing/refunds", "Getting a refund", "3", "1"),
        ("/en/articles/internal/runbook", RUNBOOK_TITLE, "1", "1"),
    ]
    assert 'href="/en/articles/billing/refunds#refund-timing">#refund-timing</a>' in html
    assert editor.get("/staff/reports/links?days=abc").status_code == 200


def test_the_report_hides_articles_the_editor_may_not_see(
    app: Flask, make_user: Callable[..., User], editor: FlaskClient, db: Session
) -> None:
    make_user("l2@example.com", groups=("l2",))
    l2 = app.test_client()
    sign_in(l2, "l2@example.com")
    copy(l2, csrf_token(l2, "/staff/search"), article="en/internal/failover", how="link")
    html = editor.get("/staff/reports/links").get_data(as_text=True)
    assert "failover" not in html.lower()
    assert "1 copy of articles you cannot see" in html


def test_a_copied_link_survives_a_slug_change(app: Flask, agent: FlaskClient, db: Session) -> None:
    data = agent.get("/staff/search.json?q=refund+timing").get_json()
    hit = next(h for h in data["hits"] if h["slug"] == "billing/refunds")
    copied = hit["section_url"]
    assert (
        copy(
            agent,
            csrf_token(agent, "/staff/search"),
            article=hit["key"],
            section=hit["anchor"],
            how="section",
        )[0]
        == 201
    )
    # An editor renames the article and keeps the old slug as an alias.
    articles = app.config["KBPORTAL_ARTICLES_DIR"]
    old = articles / "en/billing/refunds.md"
    text = old.read_text(encoding="utf-8").replace(
        "title: Getting a refund",
        "title: Getting a refund\nslug: billing/money-back\naliases: [billing/refunds]",
    )
    old.write_text(text, encoding="utf-8")
    publish.build(config_of(app))

    customer = app.test_client()
    path = copied.removeprefix("http://localhost").split("#")[0]
    response = customer.get(path)
    assert response.status_code == 301
    assert response.headers["Location"] == "/en/articles/billing/money-back"
    assert "Getting a refund" in customer.get(response.headers["Location"]).get_data(as_text=True)
    # The report follows the rename too.
    assert copies(db)[0].article == "en/billing/refunds"

"""Copied replies: each copy of a template is stored before the page hears "recorded"."""

from __future__ import annotations

import pytest
from agents_sample import TEMPLATE_SLUG, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.accounts.models import User
from kbportal.analytics.models import AgentCopy

KEY = f"en/{TEMPLATE_SLUG}"
PAGE = f"/staff/templates/{KEY}"


def copy(client: FlaskClient, token: str, payload: object) -> tuple[int, dict]:
    response = client.post("/staff/templates/copies", json=payload, headers={"X-CSRFToken": token})
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.status_code, response.get_json()


def template_copies(db: Session) -> list[AgentCopy]:
    db.expire_all()
    stmt = select(AgentCopy).where(AgentCopy.kind == "template").order_by(AgentCopy.id)
    return list(db.scalars(stmt))


def test_the_page_knows_where_to_record(agent: FlaskClient) -> None:
    html = agent.get(PAGE).get_data(as_text=True)
    assert 'data-copies="/staff/templates/copies"' in html
    assert f'data-template="{KEY}"' in html


def test_a_template_copy_is_stored_before_the_answer(agent: FlaskClient, db: Session) -> None:
    token = csrf_token(agent, PAGE)
    assert copy(agent, token, {"template": KEY}) == (201, {"recorded": True})
    [event] = template_copies(db)  # no flush, no wait: it is in the database already
    user = db.scalar(select(User).where(User.email == "agent@example.com"))
    assert (event.article, event.section, event.user_id) == (KEY, None, user.id)
    assert event.at is not None
    # Not a copied link: the links report keeps counting links only.
    assert db.scalars(select(AgentCopy).where(AgentCopy.kind == "link")).all() == []


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {},
        {"template": 5},
        {"template": "no-slash"},
        {"template": "en/" + "x" * 600},
        {"template": "en/billing/refunds"},  # an article, not a template
        {"template": "en/internal/runbook"},  # internal, not a template
        {"template": "xx/" + TEMPLATE_SLUG},
        {"template": "en/nothing/here"},
    ],
)
def test_bad_reports_are_refused(agent: FlaskClient, db: Session, payload: object) -> None:
    status, body = copy(agent, csrf_token(agent, PAGE), payload)
    assert status in (400, 404) and "error" in body
    assert template_copies(db) == []


def test_strangers_and_forged_requests_record_nothing(
    app: Flask, agent: FlaskClient, db: Session
) -> None:
    stranger = app.test_client()
    token = csrf_token(stranger, "/login")
    response = stranger.post(
        "/staff/templates/copies", json={"template": KEY}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 401
    assert agent.post("/staff/templates/copies", json={"template": KEY}).status_code == 400
    assert template_copies(db) == []


def test_editors_see_the_most_copied_templates(
    agent: FlaskClient, editor: FlaskClient, db: Session
) -> None:
    token = csrf_token(agent, PAGE)
    for _ in range(3):
        assert copy(agent, token, {"template": KEY})[0] == 201
    html = editor.get("/staff/reports/links").get_data(as_text=True)
    section = html.split('id="by-template"', 1)[1]
    assert "Template: refund approved" in section
    assert f'href="/staff/templates/{KEY}"' in section
    assert "<td>3</td><td>1</td>" in section
    empty = editor.get("/staff/reports/links?days=7").get_data(as_text=True)
    assert "Template: refund approved" in empty  # copied just now: inside every range

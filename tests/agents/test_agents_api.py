"""The staff API (Bearer token) gives what the staff search page gives, internal hits marked."""

from __future__ import annotations

from collections.abc import Callable

from agents_sample import FAILOVER_TITLE, RUNBOOK_TITLE
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kbportal.accounts import tokens
from kbportal.accounts.models import User


def test_token_search_matches_the_staff_page(
    agent: FlaskClient, db: Session, make_user: Callable[..., User]
) -> None:
    _row, raw = tokens.create_token(db, "agent@example.com", "helpdesk")
    auth = {"Authorization": f"Bearer {raw}"}
    api = agent.application.test_client().get(
        "/api/v1/search?q=outage&locale=en&limit=10", headers=auth
    )
    assert api.headers["Cache-Control"] == "private, no-store"
    page = agent.get("/staff/search.json?q=outage&locale=en").get_json()
    api_hits = [(h["slug"], h["visibility"]) for h in api.get_json()["results"]]
    assert api_hits == [(h["slug"], h["visibility"]) for h in page["hits"]]
    assert ("internal/runbook", "internal") in api_hits
    assert ("billing/refunds", "public") in api_hits
    titles = {h["title"] for h in api.get_json()["results"]}
    assert RUNBOOK_TITLE in titles and FAILOVER_TITLE not in titles
    article = agent.application.test_client().get(
        "/api/v1/articles/internal/runbook?locale=en", headers=auth
    )
    assert article.get_json()["visibility"] == "internal"

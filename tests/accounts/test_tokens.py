"""API tokens: created once, stored hashed, giving the agent's view on the API, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_sample import INTERNAL_TITLE, L2_TITLE, PUBLIC_TITLE
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kbportal.accounts import services, tokens
from kbportal.accounts.models import ApiToken

SEARCH = "/api/v1/search?q=outage"
INTERNAL_API = "/api/v1/articles/staff/escalation?locale=en"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def titles(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {hit["title"] for hit in response.get_json()["results"]}


def test_token_is_stored_hashed_and_shown_once(db: Session, make_user) -> None:
    make_user()
    token, raw = tokens.create_token(db, "agent@example.com", "helpdesk")
    assert raw.startswith("kbp_") and len(raw) > 40
    row = db.scalar(select(ApiToken))
    assert row is not None
    stored = [str(value) for value in vars(row).values()]
    assert not any(raw in value for value in stored)
    assert row.token_hash == tokens.hash_token(raw)
    assert row.prefix == raw[:10]
    staff = tokens.staff_for_token(db, raw)
    assert staff is not None and staff.id == token.user.id


def test_token_gives_the_agents_view_of_the_api(client: FlaskClient, db, make_user) -> None:
    make_user()
    _token, raw = tokens.create_token(db, "agent@example.com")
    assert titles(client.get(SEARCH)) == set()
    assert titles(client.get(SEARCH, headers=bearer(raw))) == {INTERNAL_TITLE}
    assert client.get(INTERNAL_API).status_code == 404
    response = client.get(INTERNAL_API, headers=bearer(raw))
    assert response.status_code == 200
    assert response.get_json()["title"] == INTERNAL_TITLE
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in response.headers["Vary"]
    # The last use is written only once the answer has gone out (the server closes it).
    assert db.scalar(select(ApiToken.last_used_at)) is None
    response.close()
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) is not None


def test_last_use_is_written_at_most_once_a_minute(client: FlaskClient, db, make_user) -> None:
    make_user()
    token, raw = tokens.create_token(db, "agent@example.com")
    first = client.get(SEARCH, headers=bearer(raw))
    first.close()
    db.expire_all()
    used = db.scalar(select(ApiToken.last_used_at))
    assert used is not None
    client.get(SEARCH, headers=bearer(raw)).close()
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) == used
    assert not tokens.record_use(db, token.id, used + timedelta(seconds=59))
    assert tokens.record_use(db, token.id, used + timedelta(seconds=61))


def test_audience_groups_apply_to_tokens(client: FlaskClient, db, make_user) -> None:
    make_user("l1@example.com")
    make_user("l2@example.com", groups=("l2",))
    _t1, raw_l1 = tokens.create_token(db, "l1@example.com")
    _t2, raw_l2 = tokens.create_token(db, "l2@example.com")
    assert L2_TITLE not in titles(client.get(SEARCH, headers=bearer(raw_l1)))
    assert L2_TITLE in titles(client.get(SEARCH, headers=bearer(raw_l2)))


@pytest.mark.parametrize("case", ["revoked", "disabled", "garbage", "empty-scheme"])
def test_dead_tokens_get_401(client: FlaskClient, db: Session, make_user, case: str) -> None:
    make_user()
    token, raw = tokens.create_token(db, "agent@example.com")
    if case == "revoked":
        tokens.revoke_token(db, token.id)
    elif case == "disabled":
        services.set_active(db, "agent@example.com", False)
    elif case == "garbage":
        raw = "kbp_" + "x" * 43
    headers = {"Authorization": "Bearer   "} if case == "empty-scheme" else bearer(raw)
    response = client.get(SEARCH, headers=headers)
    if case == "empty-scheme":  # no token at all: the public view
        assert titles(response) == set()
        return
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid or revoked API token"}
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_tokens_are_read_only(client: FlaskClient, db: Session, make_user) -> None:
    make_user()
    _token, raw = tokens.create_token(db, "agent@example.com")
    response = client.post(SEARCH, headers=bearer(raw))
    assert response.status_code == 403
    assert response.get_json() == {"error": "API tokens are read-only"}


def test_tokens_do_not_open_pages(client: FlaskClient, db: Session, make_user) -> None:
    make_user()
    _token, raw = tokens.create_token(db, "agent@example.com")
    # Pages go by the session cookie only; a token there is ignored.
    assert client.get("/en/articles/staff/escalation", headers=bearer(raw)).status_code == 404
    assert client.get("/en/articles/account/reset", headers=bearer(raw)).status_code == 200


def test_public_article_is_in_public_search(client: FlaskClient) -> None:
    response = client.get("/api/v1/search?q=reset+password")
    assert PUBLIC_TITLE in titles(response)


def test_revoking_unknown_token_is_a_clear_error(db: Session) -> None:
    with pytest.raises(services.AccountError, match="no token with id 99"):
        tokens.revoke_token(db, 99)

"""POST /api/v1/requests: per-field errors, Idempotency-Key, honeypot, rate limits, identity."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import close_app, make_app
from widget_sample import HOST, OTHER, SAMPLE, SECRET

from kbportal import publish
from kbportal.db import get_database
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.widget.identity import sign_email

TYPES_YML = """\
types:
  question:
    label: {en: Question, ru: Вопрос}
    suggest:
      categories: [billing]
    checklist:
      - text: {en: Read about refunds}
        link: billing/refunds#refund-timing
      - text: {en: The internal override}
        link: billing/override
  problem:
    label: {en: Problem, ru: Проблема}
    priority: P2
    fields:
      - name: order
        kind: text
        label: {en: Order number}
        required: true
"""

GOOD = {
    "type": "problem",
    "locale": "en",
    "subject": "My card was charged twice",
    "description": "Two charges for order A-1001 this morning.",
    "email": "ann@example.com",
    "name": "Ann",
    "fields": {"order": "A-1001"},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(
        tmp_path_factory.mktemp("widget-requests"),
        {**SAMPLE, "_requests.yml": TYPES_YML},
        WIDGET_ORIGINS=HOST,
        WIDGET_IDENTITY_SECRET=SECRET,
        REQUESTS_MIN_SECONDS=0,
        REQUESTS_RATE_LIMIT=1000,
        REQUESTS_WEBHOOK_URL="http://127.0.0.1:9/never-reached",
        REQUESTS_WEBHOOK_SECRET="whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
    )
    yield application
    close_app(application)
    publish.close_all()


ADDRESSES = itertools.count(1)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client of its own address: the per-client rate limit spans the module's tests."""
    client = app.test_client()
    number = next(ADDRESSES)
    client.environ_base["REMOTE_ADDR"] = f"10.9.{number // 250}.{number % 250 + 1}"
    return client


def filed(app: Flask, key: str) -> list[SupportRequest]:
    with get_database(app).session() as session:
        stmt = select(SupportRequest).where(SupportRequest.idempotency_key == key)
        return list(session.scalars(stmt))


def outbox_count(app: Flask, request_id: int) -> int:
    with get_database(app).session() as session:
        stmt = select(func.count(OutboxMessage.id)).where(OutboxMessage.request_id == request_id)
        return int(session.scalar(stmt) or 0)


def post(client: FlaskClient, body: dict[str, object], key: str, **headers: str) -> object:
    return client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": key, **headers})


def test_a_request_is_filed_with_its_outbox_and_a_status_url(
    app: Flask, client: FlaskClient
) -> None:
    response = post(client, {**GOOD, "surface": "widget"}, "key-filed-1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("KB-") and body["created"] is True
    assert body["status_url"].startswith(f"/en/requests/{body['id']}?t=")
    assert response.headers["Location"] == body["status_url"]
    (row,) = filed(app, "key-filed-1")
    assert row.surface == "widget" and row.type == "problem" and row.priority == "P2"
    assert json.loads(row.fields)["order"] == "A-1001"
    assert outbox_count(app, row.id) == 1  # the webhook destination, in the same transaction
    assert client.get(body["status_url"]).status_code == 200  # the status page opens


def test_the_same_key_files_one_request(app: Flask, client: FlaskClient) -> None:
    first = post(client, GOOD, "key-twice")
    again = post(client, GOOD, "key-twice")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.get_json()["created"] is False
    (row,) = filed(app, "key-twice")
    assert row.surface == "api" and outbox_count(app, row.id) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"subject": ""}, "subject"),
        ({"fields": {}}, "order"),
        ({"type": "nonsense"}, "type"),
        ({"locale": "xx"}, "locale"),
    ],
)
def test_an_error_per_field(client: FlaskClient, change: dict[str, object], field: str) -> None:
    response = post(client, {**GOOD, **change}, f"key-bad-{field}")
    assert response.status_code == 400
    body = response.get_json()
    assert field in body["fields"] and body["fields"][field]


def test_no_key_no_request(client: FlaskClient) -> None:
    response = client.post("/api/v1/requests", json=GOOD)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["fields"]


def test_the_honeypot(app: Flask, client: FlaskClient) -> None:
    response = post(client, {**GOOD, "website": "http://spam.example"}, "key-spam")
    assert response.status_code == 400 and "website" in response.get_json()["fields"]
    assert filed(app, "key-spam") == []


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'"x"', b"\xff", b'{"type": 5, "fields": [1], "source": 3}']
)
def test_malformed_bodies_are_400(client: FlaskClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/requests",
        data=body,
        headers={"Idempotency-Key": "key-malformed"},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_a_verified_identity_is_trusted_and_a_forged_one_refused(
    app: Flask, client: FlaskClient
) -> None:
    signature = sign_email(SECRET, "vip@example.com")
    identity = {"name": "Vera", "email": "vip@example.com", "hmac": signature}
    response = post(client, {**GOOD, "email": "someone@else.org", "identity": identity}, "key-vip")
    assert response.status_code == 201
    (row,) = filed(app, "key-vip")
    assert row.email == "vip@example.com" and row.name == "Vera"
    assert json.loads(row.fields)["verified_email"] == "yes"
    forged = {**identity, "email": "ceo@example.com"}
    refused = post(client, {**GOOD, "identity": forged}, "key-forged")
    assert refused.status_code == 400 and "identity" in refused.get_json()["fields"]
    plain = post(client, {**GOOD, "identity": {"email": "x@example.com"}}, "key-unsigned")
    assert plain.status_code == 201  # unsigned: used as typed, not marked verified
    assert "verified_email" not in json.loads(filed(app, "key-unsigned")[0].fields)


def test_submits_are_rate_limited_per_client(app: Flask) -> None:
    client = app.test_client()
    env = {"REMOTE_ADDR": "198.51.100.7"}
    codes = [
        client.post(
            "/api/v1/requests",
            json={},
            headers={"Idempotency-Key": f"rl-{i}"},
            environ_overrides=env,
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429]


def test_a_plain_html_form_from_a_listed_site_is_sent_back(app: Flask, client: FlaskClient) -> None:
    form = {
        "type": "problem",
        "subject": "Card charged twice",
        "description": "Two charges today.",
        "email": "bob@example.com",
        "order": "B-2",
        "idempotency_key": "form-key-1",
        "redirect": f"{HOST}/thanks",
    }
    response = client.post("/api/v1/requests", data=form, headers={"Origin": HOST})
    assert response.status_code == 303
    (row,) = filed(app, "form-key-1")
    assert response.headers["Location"] == f"{HOST}/thanks?request={row.reference}"
    assert json.loads(row.fields)["order"] == "B-2"
    # A redirect to anywhere else is ignored: the answer is JSON.
    elsewhere = {**form, "idempotency_key": "form-key-2", "redirect": f"{OTHER}/x"}
    assert client.post("/api/v1/requests", data=elsewhere).status_code == 201


def test_an_unlisted_site_cannot_file(app: Flask, client: FlaskClient) -> None:
    response = post(client, GOOD, "key-other", Origin=OTHER)
    assert response.status_code == 403 and filed(app, "key-other") == []


def test_types_for_the_form(client: FlaskClient) -> None:
    body = client.get("/api/v1/requests/types?locale=en").get_json()
    assert [t["name"] for t in body["types"]] == ["question", "problem"]
    question = body["types"][0]
    # The checklist item linking to an internal article is left out.
    assert question["checklist"] == [
        {"text": "Read about refunds", "url": "/en/articles/billing/refunds#refund-timing"}
    ]
    order = body["types"][1]["fields"][0]
    assert order == {
        "name": "order",
        "kind": "text",
        "label": "Order number",
        "help": "",
        "required": True,
        "required_if": None,
        "options": [],
    }
    assert body["key"] and body["token"]


def test_suggest_is_scoped_by_type(client: FlaskClient) -> None:
    body = client.get("/api/v1/suggest?q=refund+card&type=question&locale=en").get_json()
    assert body["type"] == "question" and body["suggestions"]
    unknown = client.get("/api/v1/suggest?q=refund&type=nonsense")
    assert unknown.status_code == 400 and "question" in unknown.get_json()["fields"]["type"]


def test_answers_match_the_openapi_document(client: FlaskClient) -> None:
    from jsonschema import Draft202012Validator
    from test_widget_openapi import schema_for

    filed_now = post(client, GOOD, "key-schema")
    Draft202012Validator(schema_for("/api/v1/requests", "post", 201)).validate(filed_now.get_json())
    bad = post(client, {**GOOD, "email": "x"}, "key-schema-bad")
    Draft202012Validator(schema_for("/api/v1/requests", "post", 400)).validate(bad.get_json())
    types = client.get("/api/v1/requests/types?locale=ru").get_json()
    Draft202012Validator(schema_for("/api/v1/requests/types", "get", 200)).validate(types)
    assert types["types"][0]["label"] == "Вопрос"


def test_beacons_count_on_the_form_session_and_a_request_ends_it(
    app: Flask, client: FlaskClient
) -> None:
    from kbportal.support.models import FormSession

    key, visitor = "team-form-key-0001", "visitor-0001"
    beacons = [
        {"type": "exposure", "articles": ["billing/refunds"], "query": "refund card money"},
        {"type": "click", "article": "billing/refunds"},
        {"type": "deflection", "article": "billing/refunds"},
    ]
    for beacon in beacons:
        body = {**beacon, "form": key, "session": visitor, "request_type": "question"}
        assert client.post("/api/v1/events", json=body).status_code == 202
    with get_database(app).session() as session:
        form = session.scalar(select(FormSession).where(FormSession.form_key == key))
        assert form is not None
        assert (form.surface, form.type, form.session_id) == ("api", "question", visitor)
        assert form.shown == 1 and form.clicks == 1
        assert form.solved_article == "/en/articles/billing/refunds"
        assert form.submitted_at is None
    # The customer wrote anyway, with the same key: the form session ends as submitted.
    filed_now = post(client, {**GOOD, "type": "question", "session": visitor}, key)
    assert filed_now.status_code == 201
    with get_database(app).session() as session:
        form = session.scalar(select(FormSession).where(FormSession.form_key == key))
        assert form is not None and form.submitted_at is not None and form.request_id

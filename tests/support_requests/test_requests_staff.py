"""/staff/requests: the list, a request's deliveries and attempts, retry, files, deflection."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standins import SECRET, Fault, WebhookReceiver, running
from support import PNG, TEST_PASSWORD, app_config, cheap_password_hashing, close_app, sign_in

from kbportal import create_app, publish
from kbportal.accounts import services as accounts
from kbportal.db import get_database
from kbportal.support.runtime import get_relay

SAMPLE = Path(__file__).resolve().parents[2] / "articles"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    with running(server):
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("staff")
    config = app_config(
        root,
        ARTICLES_DIR=str(SAMPLE),
        REQUESTS_MIN_SECONDS=0,
        REQUESTS_RATE_LIMIT=1000,
        REQUESTS_WEBHOOK_URL=receiver.url,
        REQUESTS_WEBHOOK_SECRET=SECRET,
    )
    app = create_app(config)
    with cheap_password_hashing(), get_database(app).session() as session:
        accounts.create_user(session, "agent@example.com", TEST_PASSWORD)
    yield app
    close_app(app)
    publish.close_all()


@pytest.fixture(scope="module")
def staff(app: Flask) -> FlaskClient:
    client = app.test_client()
    with cheap_password_hashing():
        sign_in(client, "agent@example.com", TEST_PASSWORD)
    return client


def file_one(app: Flask, subject: str, with_file: bool = False) -> str:
    client = app.test_client()
    html = client.get("/en/requests/new?type=problem&q=sms").text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    data: dict[str, object] = {
        **hidden,
        "subject": subject,
        "description": "It broke",
        "email": "ann@example.com",
        "send_anyway": "1",
    }
    if with_file:
        data["screenshot"] = (io.BytesIO(PNG), "Снимок экрана.png")
    response = client.post("/en/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    return response.headers["Location"].split("/")[3].split("?")[0]


def test_staff_see_requests_with_delivery_state(
    app: Flask, staff: FlaskClient, receiver: WebhookReceiver
) -> None:
    reference = file_one(app, "Staff list check")
    listing = staff.get("/staff/requests")
    assert listing.status_code == 200 and reference in listing.text
    assert "webhook created: pending" in listing.text
    assert listing.headers["Cache-Control"] == "private, no-store"
    receiver.fail(Fault(500))
    get_relay(app).drain()
    page = staff.get(f"/staff/requests/{reference}").text
    assert "500" in page and "Retry now" in page and "pending" in page
    assert "Came from a search for" in page and "sms" in page  # what they already tried
    message_id = re.search(rf"/staff/requests/{reference}/retry/(\d+)", page)
    assert message_id
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    retried = staff.post(
        f"/staff/requests/{reference}/retry/{message_id.group(1)}",
        data={"csrf_token": token.group(1)},
    )
    assert retried.status_code == 303
    get_relay(app).drain()
    assert "delivered" in staff.get(f"/staff/requests/{reference}").text
    assert f"{reference}.created" in receiver.processed
    delivered = staff.get("/staff/requests?state=delivered").text
    assert reference in delivered


def test_attachments_are_downloads_for_staff_only(app: Flask, staff: FlaskClient) -> None:
    reference = file_one(app, "With a screenshot", with_file=True)
    page = staff.get(f"/staff/requests/{reference}").text
    link = re.search(rf'href="(/staff/requests/{reference}/attachments/\d+)"', page)
    assert link
    response = staff.get(link.group(1))
    assert response.data == PNG and response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    public = app.test_client().get(link.group(1))
    assert public.status_code == 302 and public.data != PNG


def test_deflection_page(staff: FlaskClient) -> None:
    page = staff.get("/staff/requests/deflection?days=30")
    assert page.status_code == 200
    assert "Explicit deflection" in page.text and "Searches followed by a request" in page.text


def test_what_they_already_tried_comes_from_the_visit(app: Flask, staff: FlaskClient) -> None:
    from kbportal.analytics import get_analytics

    customer = app.test_client()
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    customer.get("/en/search?q=calendar+not+syncing", headers=headers)
    html = customer.get("/en/requests/new?type=problem", headers=headers).text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    data = {
        **hidden,
        "subject": "Calendar still not syncing",
        "description": "Tried the article, no luck",
        "email": "cal@example.com",
        "send_anyway": "1",
    }
    sent = customer.post("/en/requests/new", data=data, headers=headers)
    assert sent.status_code == 303
    reference = sent.headers["Location"].split("/")[3].split("?")[0]
    get_analytics(app).recorder.flush()
    page = staff.get(f"/staff/requests/{reference}").text
    assert "Searched for" in page and "calendar not syncing" in page


def test_requests_after_reading_count_the_search_result_opened(
    app: Flask, staff: FlaskClient
) -> None:
    """Through the real pages: a search, a result opened at its section, then a request."""
    import html as htmllib

    from kbportal.analytics import get_analytics

    customer = app.test_client()
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    results = customer.get("/en/search?q=refund", headers=headers).text
    links = re.findall(r'href="(/en/articles/[^"]*\?click=[^"]*sec=[^"]+)"', results)
    assert links, "a result pointing at a section"
    link = htmllib.unescape(links[0])
    slug = link.split("?")[0].removeprefix("/en/articles/")
    section = re.search(r"sec=([^&#]+)", link).group(1)  # type: ignore[union-attr]
    assert customer.get(link, headers=headers).status_code == 302
    html = customer.get("/en/requests/new?type=problem", headers=headers).text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    data = {
        **hidden,
        "subject": "Refund has not arrived",
        "description": "Read the article, still waiting",
        "email": "refund@example.com",
        "send_anyway": "1",
    }
    assert customer.post("/en/requests/new", data=data, headers=headers).status_code == 303
    get_analytics(app).recorder.flush()
    page = staff.get("/staff/requests/deflection?days=30").text
    part = page.split("Requests filed after reading an article")[1].split("Searches followed")[0]
    assert f"en/{slug}</a>: 1" in part and f"#{section}</a>: 1" in part

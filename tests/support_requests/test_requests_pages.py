"""The request form over the sample site: with and without script, errors, spam, closing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support import PNG, app_config, close_app

from kbportal import create_app, publish
from kbportal.db import get_database
from kbportal.support.models import FormSession, SupportRequest

SAMPLE = Path(__file__).resolve().parents[2] / "articles"
SMS = "SMS reminders are not arriving to my clients"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("requests")
    config = app_config(
        root,
        ARTICLES_DIR=str(SAMPLE),
        WTF_CSRF_ENABLED=False,
        REQUESTS_MIN_SECONDS=0,
        REQUESTS_RATE_LIMIT=1000,
    )
    app = create_app(config)
    yield app
    close_app(app)
    publish.close_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def form_of(html: str) -> dict[str, str]:
    """The hidden fields of the request form."""
    form = html[html.index('class="request-form"') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def good(html: str, **values: str) -> dict[str, str]:
    return {
        **form_of(html),
        "subject": "My invoice for October",
        "description": "Where do I find the invoice?",
        "email": "ann@example.com",
        "send_anyway": "1",
        **values,
    }


def requests_in(app: Flask) -> list[SupportRequest]:
    with get_database(app).session() as session:
        return list(session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


def test_the_form_has_types_checklist_and_defences(client: FlaskClient) -> None:
    html = client.get("/en/requests/new?type=problem").text
    assert "Something doesn&#39;t work" in html or "Something doesn't work" in html
    assert "Before you write, try these" in html
    assert "/en/requests/open?" in html and "sms-not-arriving" in html
    assert 'name="website"' in html and 'name="token"' in html and 'name="key"' in html
    assert 'enctype="multipart/form-data"' in html
    ru = client.get("/ru/requests/new").text
    assert "Вопрос" in ru and "Что-то не работает" in ru


def test_links_lead_to_the_form(client: FlaskClient) -> None:
    assert "/en/requests/new" in client.get("/en/").text
    article = client.get("/en/articles/billing/refunds").text
    assert "/en/requests/new?article=en%2Fbilling%2Frefunds" in article
    empty = client.get("/en/search?q=zzzqqqxxx").text
    assert "/en/requests/new?q=zzzqqqxxx" in empty


def test_submit_confirms_with_a_reference(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new?article=en/billing/refunds").text
    response = client.post("/en/requests/new", data=good(html))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    request = requests_in(app)[-1]
    assert request.reference in page.text
    assert request.source_article == "en/billing/refunds"
    assert page.headers["Cache-Control"] == "private, no-store"
    # Only the link given after sending opens it.
    assert client.get(f"/en/requests/{request.reference}").status_code == 404


def test_a_double_click_files_one_request(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new").text
    before = len(requests_in(app))
    first = client.post("/en/requests/new", data=good(html))
    second = client.post("/en/requests/new", data=good(html))
    assert first.headers["Location"] == second.headers["Location"]
    assert len(requests_in(app)) == before + 1


def test_errors_beside_fields_and_text_kept(client: FlaskClient) -> None:
    html = client.get("/en/requests/new").text
    data = good(html, subject="", email="nope", description="My <b>words</b> stay")
    response = client.post("/en/requests/new", data=data)
    assert response.status_code == 400
    page = response.text
    assert 'id="e-subject"' in page and "Please fill this in." in page
    assert 'id="e-email"' in page and "does not look like an e-mail" in page
    assert "My &lt;b&gt;words&lt;/b&gt; stay" in page and 'value="nope"' in page
    assert 'aria-invalid="true"' in page


def test_spam_defences(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new").text
    before = len(requests_in(app))
    trap = client.post("/en/requests/new", data=good(html, website="http://spam"))
    assert trap.status_code == 400 and "leave the last field empty" in trap.text
    forged = client.post("/en/requests/new", data=good(html, token="forged"))
    assert forged.status_code == 400 and "expired" in forged.text
    app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 60
    try:
        fast = client.post("/en/requests/new", data=good(html))
    finally:
        app.config["KBPORTAL_REQUESTS_MIN_SECONDS"] = 0
    assert fast.status_code == 400 and "very fast" in fast.text
    assert "My invoice for October" in fast.text  # kept
    assert len(requests_in(app)) == before


def test_without_script_suggestions_come_first(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new?type=problem").text
    data = {
        **good(html, subject=SMS, description="None of the reminders arrive"),
        "send_anyway": "",
    }
    before = len(requests_in(app))
    step = client.post("/en/requests/new", data=data)
    assert step.status_code == 200
    assert "These articles may answer your request" in step.text
    assert "/en/articles/troubleshooting/sms-not-arriving" in step.text
    assert "Send my request anyway" in step.text and "This solved my problem" in step.text
    assert len(requests_in(app)) == before
    sent = client.post("/en/requests/new", data=good(step.text, subject=SMS, description="x y z"))
    assert sent.status_code == 303 and len(requests_in(app)) == before + 1


def test_suggestions_api_is_confident_and_scoped(app: Flask, client: FlaskClient) -> None:
    data = client.get(f"/en/requests/suggestions?type=problem&q={SMS}").json
    assert data["suggestions"], data
    first = data["suggestions"][0]
    assert first["url"].startswith("/en/articles/troubleshooting/sms-not-arriving")
    assert first["confidence"] >= 0.5
    assert client.get("/en/requests/suggestions?q=ab").json["suggestions"] == []
    assert client.get("/xx/requests/suggestions?q=abc").status_code == 404


def test_solved_and_clicks_are_recorded(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new?type=problem").text
    key = form_of(html)["key"]
    client.get(f"/en/requests/suggestions?type=problem&form={key}&q={SMS}")
    url = "/en/articles/troubleshooting/sms-not-arriving"
    opened = client.get(f"/en/requests/open?form={key}&type=problem&to={url}")
    assert opened.status_code == 303 and opened.headers["Location"] == url
    assert client.get("/en/requests/open?to=https://evil.example/").status_code == 404
    done = client.post("/en/requests/solved", data={"key": key, "article": url, "type": "problem"})
    assert done.status_code == 200 and "Your draft was not sent" in done.text
    with get_database(app).session() as session:
        form = session.scalar(select(FormSession).where(FormSession.form_key == key))
        assert form is not None
        assert form.typed_chars >= 10 and form.shown == 1 and form.clicks == 1
        assert form.solved_at is not None and form.solved_article == url


def test_close_link_is_signed_and_single_use(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new").text
    confirmation = client.get(client.post("/en/requests/new", data=good(html)).headers["Location"])
    close_url = re.search(r'href="(/en/requests/[^"]+/close\?t=[^"]+)"', confirmation.text)
    if close_url is None:  # no related article for this text: the link is in the e-mail only
        reference = requests_in(app)[-1].reference
        from kbportal.support import glue

        with app.test_request_context():
            close_url_text = f"/en/requests/{reference}/close?t={glue.close_token(reference)}"
    else:
        close_url_text = close_url.group(1).replace("&amp;", "&")
    ask = client.get(close_url_text)
    assert ask.status_code == 200 and "Yes, this solved it" in ask.text
    assert requests_in(app)[-1].closed_at is None  # a GET (a mail scanner) closes nothing
    token = close_url_text.split("t=", 1)[1]
    path = close_url_text.split("?", 1)[0]
    assert "request is closed" in client.post(path, data={"t": token}).text
    assert "already closed" in client.post(path, data={"t": token}).text
    assert requests_in(app)[-1].closed_at is not None
    assert client.post(path, data={"t": "forged"}).status_code == 404


def test_attachment_checked_by_content(app: Flask, client: FlaskClient) -> None:
    html = client.get("/en/requests/new?type=problem").text
    data = good(html, subject="Screenshot of the error", description="See the picture")
    fake = {**data, "screenshot": (__import__("io").BytesIO(b"MZ" + b"\0" * 50), "shot.png")}
    bad = client.post("/en/requests/new", data=fake, content_type="multipart/form-data")
    assert bad.status_code == 400 and "cannot be attached" in bad.text
    real = {**data, "screenshot": (__import__("io").BytesIO(PNG), "shot.png")}
    ok = client.post("/en/requests/new", data=real, content_type="multipart/form-data")
    assert ok.status_code == 303
    with get_database(app).session() as session:
        request = session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()
        assert request is not None
        (attachment,) = request.attachments
        assert attachment.content_type == "image/png" and attachment.data == PNG

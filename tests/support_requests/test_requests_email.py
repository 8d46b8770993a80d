"""With e-mail configured: the support copy and the customer's confirmation with a close link."""

from __future__ import annotations

import re
from pathlib import Path

from standins import smtp_server
from support import app_config, close_app

from kbportal import create_app, publish
from kbportal.support.runtime import destinations, get_relay

SAMPLE = Path(__file__).resolve().parents[2] / "articles"


def test_confirmation_mail_carries_a_working_close_link(tmp_path: Path) -> None:
    with smtp_server() as (handler, url):
        config = app_config(
            tmp_path,
            ARTICLES_DIR=str(SAMPLE),
            WTF_CSRF_ENABLED=False,
            REQUESTS_MIN_SECONDS=0,
            SMTP_URL=url,
            REQUESTS_EMAIL_TO="support@example.com",
            REQUESTS_EMAIL_FROM="help@orbita.example",
            PUBLIC_URL="https://help.orbita.example",
        )
        app = create_app(config)
        try:
            with app.app_context():
                assert destinations() == ["email", "confirmation"]
            client = app.test_client()
            html = client.get("/ru/requests/new").text
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
            data = {
                **hidden,
                "subject": "Счёт за октябрь",
                "description": "Где найти счёт?",
                "email": "ann@example.com",
                "name": "Анна",
                "send_anyway": "1",
            }
            assert client.post("/ru/requests/new", data=data).status_code == 303
            get_relay(app).drain()
            by_to = {str(m["To"]): m for m in handler.messages}
            to_support = by_to["support@example.com"]
            to_customer = next(m for to, m in by_to.items() if "ann@example.com" in to)
            assert to_support["To"] == "support@example.com"
            assert "ann@example.com" in str(to_customer["To"])
            assert to_customer["Auto-Submitted"] == "auto-generated"
            reference = str(to_support["X-Kbportal-Request"])
            body = to_customer.get_content()
            assert reference in body and "Здравствуйте, Анна" in body
            link = re.search(r"https://help\.orbita\.example(/ru/requests/\S+/close\?t=\S+)", body)
            assert link, body
            path, token = link.group(1).split("?t=")
            assert "закрыто" in client.post(path, data={"t": token}).text
            get_relay(app).drain()
            closed = [m for m in handler.messages if str(m["Subject"]).startswith("Closed:")]
            assert len(closed) == 1 and closed[0]["To"] == "support@example.com"
            assert len(handler.messages) == 3  # no second mail to the customer
        finally:
            close_app(app)
            publish.close_all()

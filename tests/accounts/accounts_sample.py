"""Sample data and helpers shared by the account tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from support import TEST_PASSWORD as PASSWORD
from werkzeug.test import TestResponse

PUBLIC_TITLE = "Resetting your password"
INTERNAL_TITLE = "Escalation runbook"
L2_TITLE = "Database failover for L2"
ARTICLES = {
    "en/account/reset.md": f"# {PUBLIC_TITLE}\n\nOpen settings and press reset password.\n",
    "en/staff/escalation.md": (
        f"---\ntitle: {INTERNAL_TITLE}\nvisibility: internal\n---\n"
        "When a customer reports an outage, escalate the outage to the duty engineer.\n"
    ),
    "en/staff/failover.md": (
        f"---\ntitle: {L2_TITLE}\nvisibility: internal\naudience: [l2]\n---\n"
        "During an outage, the L2 engineer runs the failover.\n"
    ),
}


GENERIC = "Wrong e-mail or password, or the account is disabled."


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(
    client: FlaskClient, email: str, password: str = PASSWORD, next_url: str = ""
) -> TestResponse:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


def error_text(html: str) -> str:
    match = re.search(r'<p class="form-error"[^>]*>(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""

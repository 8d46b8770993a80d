"""Sample articles and helpers shared by the agents' workspace tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from support import TEST_PASSWORD as PASSWORD
from werkzeug.test import TestResponse

RUNBOOK_TITLE = "Outage runbook for agents"
FAILOVER_TITLE = "Database failover steps"
TEMPLATE_SLUG = "internal/templates/refund-ok"
ARTICLES = {
    "en/billing/_category.yml": "title: Billing\n",
    "en/billing/refunds.md": (
        "---\ntitle: Getting a refund\nsummary: How refunds work.\n---\n"
        "Refunds go back to the card you paid with.\n\n"
        "## Refund timing\n\nA refund takes five working days after the outage of payments.\n"
    ),
    "en/billing/invoices.md": "# Downloading invoices\n\nEach invoice is a PDF.\n",
    "en/internal/_category.yml": "title: Team wiki\nvisibility: internal\n",
    "en/internal/runbook.md": (
        f"---\ntitle: {RUNBOOK_TITLE}\nvisibility: internal\n---\n"
        "When a customer reports an outage, check the status page first.\n\n"
        "## Paging the duty engineer\n\nPage the duty engineer when the outage lasts 10 minutes.\n"
    ),
    "en/internal/failover.md": (
        f"---\ntitle: {FAILOVER_TITLE}\nvisibility: internal\naudience: [l2]\n---\n"
        "During an outage the L2 engineer runs the failover.\n"
    ),
    "en/internal/templates/refund-ok.md": (
        "---\ntitle: 'Template: refund approved'\nvisibility: internal\ntemplate: true\n---\n"
        "Hello {{customer_name}},\n\n"
        "We have refunded {{amount}}. It reaches your card within ten working days, depending\n"
        "on your bank.\n\n"
        "1. Open **Billing**.\n2. Check the refund of {{amount}}.\n\n"
        "Best regards,\n{{agent_name}}\nSupport\n"
    ),
    "ru/billing/refunds.md": "# Возврат денег\n\nДеньги вернутся на карту за пять дней.\n",
}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page carries (a form field or the staff pages' meta tag)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the real login form."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response

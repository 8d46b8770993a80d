"""Helpdesk destinations: Zendesk (Requests API, Idempotency-Key) and Freshdesk (Tickets API).

Freshdesk has no idempotency key, so a retry first looks for the ticket by its reference tag;
its files go in the same (multipart) call that makes the ticket.
Zendesk gets the customer's files as a second comment (uploads API, then the upload tokens in
the comment): the request itself is always the same payload under its Idempotency-Key, and a
retry looks for the attachments comment before adding it, so files arrive once.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from kbportal.support.channels.base import Delivery, DeliveryError
from kbportal.support.channels.http import call, client
from kbportal.support.channels.payload import text_body

log = logging.getLogger(__name__)

ZENDESK_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
FRESHDESK_PRIORITY = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}
FRESHDESK_OPEN, FRESHDESK_RESOLVED = 2, 4


def _need_id(delivery: Delivery) -> str:
    """The helpdesk's id of the request, which a close needs (created is delivered first)."""
    if not delivery.external_id:
        raise DeliveryError("waiting for the request itself to be delivered", status="waiting")
    return delivery.external_id


class ZendeskChannel:
    """Files a request through Zendesk's Requests API; retries carry the same Idempotency-Key."""

    name = "zendesk"

    def __init__(self, url: str, email: str = "", token: str = "", timeout: float = 10.0):
        self.base = url.rstrip("/")
        self.auth = (f"{email}/token", token) if email and token else None
        self.http = client(timeout)

    def deliver(self, delivery: Delivery) -> str | None:
        doc = delivery.request
        headers = {"Idempotency-Key": delivery.key}
        if delivery.event == "closed":
            ticket = _need_id(delivery)
            body = {"request": {"solved": True, "comment": {"body": text_body(delivery)}}}
            url = f"{self.base}/api/v2/requests/{ticket}.json"
            call(self.http, "PUT", url, json=body, headers=headers, auth=self.auth)
            return ticket
        body = {
            "request": {
                "subject": doc.subject,
                "comment": {"body": text_body(delivery)},
                "priority": ZENDESK_PRIORITY.get(doc.priority, "normal"),
                "requester": {"name": doc.name or doc.email, "email": doc.email},
                "tags": ["kbportal", f"kbportal_{doc.type}"],
            }
        }
        url = f"{self.base}/api/v2/requests.json"
        response = call(self.http, "POST", url, json=body, headers=headers, auth=self.auth)
        try:
            ticket = str(response.json()["request"]["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryError(
                "Zendesk answered without a request id", status="bad answer"
            ) from exc
        if doc.attachments:
            self.attach(ticket, delivery)
        return ticket

    def attach(self, ticket: str, delivery: Delivery) -> None:
        """Upload the files and add them in one comment, unless an earlier try already did."""
        doc = delivery.request
        marker = f"Attachments of {doc.reference}"
        comments_url = f"{self.base}/api/v2/requests/{ticket}/comments.json"
        response = call(self.http, "GET", comments_url, auth=self.auth)
        try:
            comments = response.json().get("comments") or []
            if any(marker in str(c.get("body", "")) for c in comments):
                return  # a lost answer last time: the files are there already
        except (ValueError, AttributeError) as exc:
            raise DeliveryError("Zendesk comments answered nonsense", status="bad answer") from exc
        tokens = []
        for f in doc.attachments:
            answer = call(
                self.http,
                "POST",
                f"{self.base}/api/v2/uploads.json",
                params={"filename": f.filename},
                content=f.data,
                headers={"Content-Type": f.content_type},
                auth=self.auth,
            )
            try:
                tokens.append(str(answer.json()["upload"]["token"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise DeliveryError("Zendesk upload gave no token", status="bad answer") from exc
        names = "\n".join(
            f"- {f.filename} ({f.content_type}, {len(f.data)} bytes)" for f in doc.attachments
        )
        comment = {"body": f"{marker}:\n{names}", "uploads": tokens}
        url = f"{self.base}/api/v2/requests/{ticket}.json"
        call(self.http, "PUT", url, json={"request": {"comment": comment}}, auth=self.auth)


class FreshdeskChannel:
    """Creates a Freshdesk ticket tagged with the reference; looks it up before any retry."""

    name = "freshdesk"

    def __init__(self, url: str, api_key: str, timeout: float = 10.0):
        self.base = url.rstrip("/")
        self.auth = (api_key, "X")
        self.http = client(timeout)

    def find(self, reference: str) -> str | None:
        """The ticket already made for a reference (an earlier try may have got through)."""
        query = f"\"tag:'{reference}'\""
        url = f"{self.base}/api/v2/search/tickets"
        response = call(self.http, "GET", url, params={"query": query}, auth=self.auth)
        try:
            results = response.json().get("results") or []
        except (ValueError, AttributeError) as exc:
            raise DeliveryError("Freshdesk search answered nonsense", status="bad answer") from exc
        return str(results[0]["id"]) if results else None

    def deliver(self, delivery: Delivery) -> str | None:
        doc = delivery.request
        if delivery.event == "closed":
            ticket = _need_id(delivery)
            url = f"{self.base}/api/v2/tickets/{ticket}"
            call(self.http, "PUT", url, json={"status": FRESHDESK_RESOLVED}, auth=self.auth)
            return ticket
        if delivery.attempt > 1:
            found = self.find(doc.reference)
            if found is not None:
                return found
        body = {
            "email": doc.email,
            "name": doc.name or doc.email,
            "subject": f"[{doc.reference}] {doc.subject}",
            "description": "<pre>" + escape(text_body(delivery)) + "</pre>",
            "status": FRESHDESK_OPEN,
            "priority": FRESHDESK_PRIORITY.get(doc.priority, 2),
            "tags": ["kbportal", doc.reference],
        }
        url = f"{self.base}/api/v2/tickets"
        if doc.attachments:  # one multipart call: the ticket and its files arrive together
            form: dict[str, Any] = {k: str(v) for k, v in body.items() if k != "tags"}
            form["tags[]"] = body["tags"]
            files = [
                ("attachments[]", (f.filename, f.data, f.content_type)) for f in doc.attachments
            ]
            response = call(self.http, "POST", url, data=form, files=files, auth=self.auth)
        else:
            response = call(self.http, "POST", url, json=body, auth=self.auth)
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryError(
                "Freshdesk answered without a ticket id", status="bad answer"
            ) from exc

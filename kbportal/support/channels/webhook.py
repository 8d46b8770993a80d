"""A generic webhook destination, signed per the Standard Webhooks specification."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from kbportal.support.channels.base import Delivery
from kbportal.support.channels.http import call, client
from kbportal.support.channels.payload import document

log = logging.getLogger(__name__)


def signer(secret: str) -> Webhook:
    """The spec's reference signer; a secret not in whsec_<base64> form is used as raw bytes."""
    if secret.startswith("whsec_"):
        return Webhook(secret)
    return Webhook(secret.encode("utf-8"))


class WebhookChannel:
    """POSTs the request as JSON with webhook-id/-timestamp/-signature headers."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signer = signer(secret) if secret else None
        self.http = client(timeout)

    def deliver(self, delivery: Delivery) -> str | None:
        body = json.dumps(document(delivery), ensure_ascii=False, separators=(",", ":"))
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            # The same id on every retry: the receiver's idempotency key (per the spec).
            "webhook-id": delivery.key,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if self.signer is not None:
            headers["webhook-signature"] = self.signer.sign(delivery.key, now, body)
        call(self.http, "POST", self.url, content=body.encode("utf-8"), headers=headers)
        return None

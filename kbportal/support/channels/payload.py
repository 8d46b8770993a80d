"""The request as JSON (webhook body) and as text (e-mail and helpdesk ticket body)."""

from __future__ import annotations

import base64
import logging
from typing import Any

from kbportal.support.channels.base import Delivery, RequestDoc

log = logging.getLogger(__name__)

SCHEMA = "kbportal.request/1"


def _iso(doc: RequestDoc) -> str:
    return doc.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def document(delivery: Delivery, with_files: bool = True) -> dict[str, Any]:
    """The webhook body (documented in docs/requests.md): flat, stable keys."""
    doc = delivery.request
    body: dict[str, Any] = {
        "schema": SCHEMA,
        "event": f"request.{delivery.event}",
        "id": doc.reference,
        "type": doc.type,
        "priority": doc.priority,
        "subject": doc.subject,
        "description": doc.description,
        "email": doc.email,
        "name": doc.name,
        "locale": doc.locale,
        "fields": doc.fields,
        "created_at": _iso(doc),
        "closed_at": doc.closed_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        if doc.closed_at
        else None,
        "surface": doc.surface,
        "source_article": doc.source_article,
        "source_query": doc.source_query,
        "attachments": [
            {
                "filename": f.filename,
                "content_type": f.content_type,
                "size": len(f.data),
                "sha256": f.sha256,
                **({"data_base64": base64.b64encode(f.data).decode()} if with_files else {}),
            }
            for f in doc.attachments
        ],
    }
    return body


def text_body(delivery: Delivery) -> str:
    """A plain-text rendering for people: e-mail bodies and helpdesk ticket descriptions."""
    doc = delivery.request
    if delivery.event == "closed":
        return (
            f"The customer closed request {doc.reference} with "
            f"“Yes, this solved it, close my request”.\n\nSubject: {doc.subject}\n"
        )
    lines = [doc.description, "", "—", f"Reference: {doc.reference}"]
    lines.append(f"Type: {doc.type_label} ({doc.type}), priority {doc.priority}")
    lines.append(f"From: {doc.name + ' ' if doc.name else ''}<{doc.email}>, locale {doc.locale}")
    for name, value in doc.fields.items():
        if value:
            lines.append(f"{name}: {value}")
    if doc.source_article:
        lines.append(f"Came from the article: {doc.source_article}")
    if doc.source_query:
        lines.append(f"Came from the search: {doc.source_query}")
    for f in doc.attachments:
        lines.append(f"Attachment: {f.filename} ({f.content_type}, {len(f.data)} bytes)")
    return "\n".join(lines) + "\n"

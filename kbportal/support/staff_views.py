"""/staff/requests: every request, its delivery per destination, and what the customer tried."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from kbportal.accounts.auth import staff_required
from kbportal.db import get_session
from kbportal.support import glue, runtime, staffing
from kbportal.support.models import Attachment, Destination, SupportRequest
from kbportal.support.relay import retry_now, set_destination
from kbportal.web.params import lenient_int

log = logging.getLogger(__name__)

bp = Blueprint("support_staff", __name__, url_prefix="/staff/requests")
PER_PAGE = 50
STAFF_CACHE = "private, no-store"


@bp.after_request
def never_stored(response: Any) -> Any:
    """Customers' requests are personal data: no cache keeps them."""
    response.headers["Cache-Control"] = STAFF_CACHE
    response.vary.add("Cookie")
    return response


@bp.get("")
@staff_required()
def index() -> ResponseReturnValue:
    """The list, newest first, filterable by type and delivery state."""
    db = get_session()
    page = lenient_int(request.args.get("page"), 1, 1, 10_000)
    kind = request.args.get("type", "")[:64]
    state = request.args.get("state", "")[:16]
    rows, total = staffing.listing(db, kind=kind, state=state, page=page, per_page=PER_PAGE)
    switches = db.scalars(select(Destination).order_by(Destination.name)).all()
    return render_template(
        "support/staff_list.html",
        rows=rows,
        total=total,
        page=page,
        last=max(1, -(-total // PER_PAGE)),
        kind=kind,
        state=state,
        types=glue.request_types().types,
        destinations=runtime.destinations(),
        switches=switches,
    )


@bp.get("/deflection")
@staff_required()
def deflection_page() -> ResponseReturnValue:
    """Deflection per type, locale and surface, the holdout comparison, where requests came from."""
    days = lenient_int(request.args.get("days"), 30, 1, 365)
    return render_template("support/deflection.html", days=days)


@bp.get("/<reference>")
@staff_required()
def detail(reference: str) -> ResponseReturnValue:
    """One request: fields, attachments, each delivery and its attempts, what they tried."""
    db = get_session()
    found = db.scalar(select(SupportRequest).where(SupportRequest.reference == reference))
    if found is None:
        abort(404)
    rtype = glue.request_types().get(found.type)
    return render_template(
        "support/staff_detail.html",
        req=found,
        rtype=rtype,
        fields=json.loads(found.fields or "{}"),
        tried=staffing.already_tried(db, found),
    )


@bp.post("/<reference>/retry/<int:message_id>")
@staff_required()
def retry(reference: str, message_id: int) -> ResponseReturnValue:
    """Retry now: due at once (a dead letter gets one more try; its destination re-enabled)."""
    db = get_session()
    found = db.scalar(select(SupportRequest).where(SupportRequest.reference == reference))
    if found is None or message_id not in {m.id for m in found.outbox}:
        abort(404)
    retry_now(db, message_id)
    runtime.wake()
    return redirect(f"/staff/requests/{reference}", code=303)


@bp.post("/destinations/<name>/enable")
@staff_required()
def enable(name: str) -> ResponseReturnValue:
    """Turn a destination that answered 410 back on."""
    db = get_session()
    if db.get(Destination, name[:32]) is None:
        abort(404)
    set_destination(db, name[:32], disabled=False, reason=None)
    db.commit()
    runtime.wake()
    return redirect("/staff/requests", code=303)


def disposition(filename: str) -> str:
    """A download header for any file name (an ASCII stand-in plus the UTF-8 name, RFC 6266)."""
    plain = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


@bp.get("/<reference>/attachments/<int:attachment_id>")
@staff_required()
def attachment(reference: str, attachment_id: int) -> ResponseReturnValue:
    """A customer's file, as a download only: never rendered by the browser on our origin."""
    db = get_session()
    found = db.get(Attachment, attachment_id)
    if found is None or found.request.reference != reference:
        abort(404)
    headers = {
        "Content-Type": found.content_type,
        "Content-Disposition": disposition(found.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": STAFF_CACHE,
    }
    return found.data, 200, headers

"""The request form: /<locale>/requests/new, its confirmation, "solved", and closing by link."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue

from kbportal.content.request_types import RequestType
from kbportal.db import get_session
from kbportal.support import formsessions, glue, runtime, services
from kbportal.support.suggest import suggest
from kbportal.support.templating import checklist_url
from kbportal.support.validation import Upload
from kbportal.viewer import PUBLIC
from kbportal.web.kb import current_kb
from kbportal.web.params import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("support", __name__)

HONEYPOT = "website"  # hidden from people; bots fill every field
NO_STORE = "private, no-store"


def _rtype(name: str | None) -> RequestType:
    return glue.request_types().pick(name)


def _source() -> dict[str, str]:
    """Where the customer came from: an article ("locale/slug") or a search, kept on the form."""
    article = clean_text(request.values.get("article"), 300).strip("/")
    return {"article": article, "q": clean_text(request.values.get("q"))}


def _values(rtype: RequestType) -> dict[str, str]:
    names = ["subject", "description", "email", "name", *(f.name for f in rtype.fields)]
    return {n: request.form.get(n, "") for n in names if n not in _file_fields(rtype)}


def _file_fields(rtype: RequestType) -> set[str]:
    return {f.name for f in rtype.fields if f.kind == "file"}


def _uploads(rtype: RequestType) -> list[Upload]:
    limit = int(glue.setting("REQUESTS_MAX_ATTACHMENT_MB")) * 1024 * 1024
    found = []
    for name in _file_fields(rtype):
        storage = request.files.get(name)
        if storage is not None and storage.filename:
            found.append(Upload(name, storage.filename, storage.stream.read(limit + 1)))
    return found


def _render(
    locale: str,
    rtype: RequestType,
    *,
    key: str,
    token: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    suggestions: list[Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    holdout = formsessions.in_holdout(key, int(glue.setting("REQUESTS_HOLDOUT")))
    kb = current_kb()
    checklist = []
    for item in rtype.checklist:  # only items whose article a customer may open
        url = checklist_url(item, locale)
        slug = url.partition("#")[0].removeprefix(f"/{locale}/articles/")
        if url and kb.article(locale, unquote(slug), PUBLIC) is not None:
            checklist.append((item, url))
    html = render_template(
        "support/new.html",
        locale=locale,
        types=glue.request_types().types,
        rtype=rtype,
        key=key,
        token=token,
        values=values or {},
        errors={k: glue.error_text(v) for k, v in (errors or {}).items()},
        suggestions=suggestions,
        source=_source(),
        holdout=holdout,
        honeypot=HONEYPOT,
        checklist=checklist,
    )
    return html, status, {"Cache-Control": NO_STORE}


@bp.get("/<locale:locale>/requests/new")
def new(locale: str) -> ResponseReturnValue:
    """The empty form for a type (the first type when none is chosen)."""
    rtype = _rtype(request.args.get("type"))
    key = services.new_key()
    return _render(locale, rtype, key=key, token=glue.form_token(key))


@bp.post("/<locale:locale>/requests/new")
def submit(locale: str) -> ResponseReturnValue:
    """Check and file the request; errors re-show the form with the customer's text kept."""
    rtype = _rtype(request.form.get("type"))
    values = _values(rtype)
    opened = glue.read_form_token(request.form.get("token"))
    key = opened[0] if opened else services.new_key()
    token = glue.form_token(key)

    def again(errors: dict[str, str], status: int = 400, **extra: Any) -> ResponseReturnValue:
        return _render(
            locale,
            rtype,
            key=key,
            token=token,
            values=values,
            errors=errors,
            status=status,
            **extra,
        )

    if opened is None or opened[0] != request.form.get("key"):
        return again({"form": "expired"})
    if request.form.get(HONEYPOT):
        return again({"form": "spam"})
    least = int(glue.setting("REQUESTS_MIN_SECONDS"))
    if least and time.time() - opened[1] < least:
        return again({"form": "too_fast"})
    session_id = glue.visitor_session_id()
    db = get_session()
    uploads = _uploads(rtype)
    if not request.form.get("send_anyway") and not uploads:
        # Without script the customer has not seen suggestions yet: show them once, first.
        text = f"{values.get('subject', '')} {values.get('description', '')}"
        found = (
            []
            if formsessions.in_holdout(key, int(glue.setting("REQUESTS_HOLDOUT")))
            else (suggest(current_kb(), text, locale, rtype))
        )
        if found:
            _note(db, key, rtype, locale, session_id, len(text), len(found))
            return again({}, status=200, suggestions=found)
    source = _source()
    sub = services.Submission(
        type=rtype.name,
        locale=locale,
        values=values,
        idempotency_key=key,
        uploads=uploads,
        session_id=session_id,
        client_hash=glue.client_hash(),
        source_article=source["article"] or None,
        source_query=source["q"] or None,
        site_url=glue.site_url(),
    )
    try:
        done = glue.file_request(db, sub)
    except services.SubmitError as exc:
        return again(exc.errors, status=429 if isinstance(exc, services.RateLimited) else 400)
    reference = done.request.reference
    target = f"/{locale}/requests/{reference}?t={glue.view_token(reference)}"
    return redirect(target, code=303)


def _note(
    db: Any, key: str, rtype: RequestType, locale: str, sid: str | None, chars: int, shown: int
) -> None:
    """Record typing and shown suggestions on the form session (customers only)."""
    if not glue.is_counted_visitor():
        return
    formsessions.open_form(
        db,
        key,
        type=rtype.name,
        locale=locale,
        session_id=sid,
        holdout_percent=int(glue.setting("REQUESTS_HOLDOUT")),
    )
    formsessions.note_typed(db, key, chars=chars, shown=shown, type=rtype.name)


@bp.get("/<locale:locale>/requests/<reference>")
def confirmation(locale: str, reference: str) -> ResponseReturnValue:
    """ "We have your request": the reference, what happens next, articles that may close it."""
    if glue.read_view_token(request.args.get("t")) != reference:
        abort(404)  # only the link given after sending opens it
    found = services.find(get_session(), reference)
    if found is None:
        abort(404)
    rtype = glue.request_types().get(found.type)
    related = suggest(current_kb(), f"{found.subject} {found.description}", locale, rtype)
    html = render_template(
        "support/confirmation.html",
        locale=locale,
        request_=found,
        rtype=rtype,
        related=related,
        close_url=f"/{locale}/requests/{reference}/close?t={glue.close_token(reference)}",
    )
    return html, 200, {"Cache-Control": NO_STORE, "Referrer-Policy": "no-referrer"}


@bp.route("/<locale:locale>/requests/<reference>/close", methods=["GET", "POST"])
def close(locale: str, reference: str) -> ResponseReturnValue:
    """The signed, single-use "this solved it, close my request" link (GET asks, POST closes)."""
    if glue.read_close_token(request.values.get("t")) != reference:
        abort(404)
    db = get_session()
    found = services.find(db, reference)
    if found is None:
        abort(404)
    state = "ask"
    if request.method == "POST":
        state = "closed" if services.close(db, reference) else "already"
        runtime.wake()
    elif found.closed_at is not None:
        state = "already"
    html = render_template(
        "support/close.html",
        locale=locale,
        reference=reference,
        state=state,
        token=request.values.get("t", ""),
    )
    return html, 200, {"Cache-Control": NO_STORE, "Referrer-Policy": "no-referrer"}


@bp.get("/<locale:locale>/requests/open")
def open_suggestion(locale: str) -> ResponseReturnValue:
    """Count a click on a suggestion or checklist item, then go to the article."""
    target = request.args.get("to", "")
    if not target.startswith(f"/{locale}/articles/") or any(
        s in target for s in ("//", "\\", "..")
    ):
        abort(404)
    key = request.args.get("form", "")[:64]
    if key and glue.is_counted_visitor():
        db = get_session()
        rtype = _rtype(request.args.get("type"))
        sid = glue.visitor_session_id()
        formsessions.open_form(db, key, type=rtype.name, locale=locale, session_id=sid)
        formsessions.note_click(db, key, target)
    glue.record_form_click(target)
    return redirect(target, code=303)


@bp.post("/<locale:locale>/requests/solved")
def solved(locale: str) -> ResponseReturnValue:
    """ "This solved my problem": confirmed deflection; the draft is not sent."""
    key = request.form.get("key", "")[:64]
    article = clean_text(request.form.get("article"), 512)
    if key and glue.is_counted_visitor():
        db = get_session()
        rtype = _rtype(request.form.get("type"))
        sid = glue.visitor_session_id()
        formsessions.open_form(db, key, type=rtype.name, locale=locale, session_id=sid)
        formsessions.note_solved(db, key, article)
    if request.accept_mimetypes.best == "application/json":
        return {"ok": True}
    html = render_template("support/solved.html", locale=locale, article=article)
    return html, 200, {"Cache-Control": NO_STORE}

"""GET /api/v1/requests/suggestions: articles for a request being typed (public, confident)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from kbportal.db import get_session
from kbportal.support import formsessions, glue
from kbportal.support.suggest import suggest
from kbportal.web.errors import json_error
from kbportal.web.kb import current_kb
from kbportal.web.params import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("support_api", __name__, url_prefix="/api/v1/requests")


@bp.get("/suggestions")
def suggestions() -> Response:
    """{"query", "type", "holdout", "suggestions": [{title, section, url, snippet, confidence}]}."""
    text = clean_text(request.args.get("q"), 300)
    locale = request.args.get("locale", "") or str(current_app.config["KBPORTAL_DEFAULT_LOCALE"])
    if locale not in current_app.config["KBPORTAL_LOCALES"]:
        return json_error(
            400, f"locale must be one of: {', '.join(current_app.config['KBPORTAL_LOCALES'])}"
        )  # noqa: E501
    rtype = glue.request_types().pick(request.args.get("type"))
    key = request.args.get("form", "")[:64]
    holdout = bool(key) and formsessions.in_holdout(key, int(glue.setting("REQUESTS_HOLDOUT")))
    found = [] if holdout else suggest(current_kb(), text, locale, rtype)
    if key and glue.is_counted_visitor():
        db = get_session()
        formsessions.open_form(
            db,
            key,
            type=rtype.name,
            locale=locale,
            surface=clean_text(request.args.get("surface"), 16) or "form",
            session_id=glue.visitor_session_id(),
            holdout_percent=int(glue.setting("REQUESTS_HOLDOUT")),
        )
        chars = min(
            int(request.args.get("chars", "0") or 0)
            if request.args.get("chars", "").isdigit()
            else len(text),
            100_000,
        )  # noqa: E501
        formsessions.note_typed(db, key, chars=chars, shown=len(found), type=rtype.name)
    response = jsonify(
        {
            "query": text,
            "type": rtype.name,
            "holdout": holdout,
            "suggestions": [
                {
                    "title": s.title,
                    "section": s.section,
                    "url": s.url,
                    "snippet": s.snippet,
                    "confidence": s.confidence,
                }
                for s in found
            ],
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

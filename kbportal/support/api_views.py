"""GET /<locale>/requests/suggestions: the form's own JSON of articles for a request being typed.

Not part of the public API (the widget has /api/v1/suggest): it belongs to the form's script and
records the form session's typing for the deflection figures.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from kbportal.db import get_session
from kbportal.support import formsessions, glue
from kbportal.support.suggest import suggest
from kbportal.web.kb import current_kb
from kbportal.web.params import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("support_api", __name__)


@bp.get("/<locale:locale>/requests/suggestions")
def suggestions(locale: str) -> Response:
    """{"query", "type", "holdout", "suggestions": [{title, section, url, snippet, confidence}]}."""
    text = clean_text(request.args.get("q"), 300)
    rtype = glue.request_types().pick(request.args.get("type"))
    key = request.args.get("form", "")[:64]
    holdout = bool(key) and formsessions.in_holdout(key, int(glue.setting("REQUESTS_HOLDOUT")))
    found = [] if holdout else suggest(current_kb(), text, locale, rtype)
    if text:
        shown = [(s.key, s.url.partition("#")[2]) for s in found]
        glue.record_form_search(locale, text, shown)
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
        raw = request.args.get("chars", "")[:7]
        chars = int(raw) if raw.isdigit() else len(text)  # the script counts the whole draft
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

"""/staff/insights gaps: merge and split groups, download a draft for one."""

from __future__ import annotations

import logging

from flask import Response, abort, redirect, request
from flask.typing import ResponseReturnValue

from kbportal.accounts.auth import current_staff_user, staff_required
from kbportal.analytics import gaps as gap_service
from kbportal.analytics.grouping import by_id
from kbportal.analytics.staff import EDITORS, bp, current_scope
from kbportal.analytics.tracking import get_analytics
from kbportal.db import get_session
from kbportal.freetext import clean_text

log = logging.getLogger(__name__)


def _back() -> ResponseReturnValue:
    return redirect(
        "/staff/insights?" + request.query_string.decode("ascii", "replace") + "#gaps", 303
    )


@bp.post("/gaps/merge")
@staff_required(*EDITORS)
def merge() -> ResponseReturnValue:
    """Merge the checked groups into one; the decision persists."""
    scope = current_scope()
    analytics = get_analytics()
    db = get_session()
    groups = (analytics.gaps.get(scope) or analytics.gaps.compute_now(scope)).groups
    ids = [clean_text(value, 20) for value in request.form.getlist("group")][:100]
    user = current_staff_user()
    gap_service.merge(db, groups, ids, user.id if user else None)
    analytics.gaps.forget()
    return _back()


@bp.post("/gaps/split")
@staff_required(*EDITORS)
def split() -> ResponseReturnValue:
    """Take one phrasing's normalised query out of its group; the decision persists."""
    normalized = clean_text(request.form.get("normalized"), 500)
    if normalized:
        user = current_staff_user()
        gap_service.split(get_session(), normalized, user.id if user else None)
        get_analytics().gaps.forget()
    return _back()


@bp.get("/gaps/<group_id>/draft.md")
@staff_required(*EDITORS)
def draft(group_id: str) -> ResponseReturnValue:
    """The draft `kbportal gaps scaffold` would write, as a download."""
    from kbportal.analytics.cli import suggested_category

    cache = get_analytics().gaps
    scope = current_scope()
    found = by_id((cache.get(scope) or cache.compute_now(scope)).groups, group_id[:20])
    if found is None:
        abort(404)
    text = gap_service.draft_text(found, suggested_category(found))
    name = gap_service.slug_for(found.title, f"draft-{found.id}")
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}.md"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")

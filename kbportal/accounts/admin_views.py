"""/staff/admin: admins manage users, roles, groups and API tokens in the browser (audited)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kbportal.accounts import admin, audit, services, tokens
from kbportal.accounts.auth import staff_required, staff_user
from kbportal.accounts.models import ROLES, User
from kbportal.accounts.services import AccountError
from kbportal.db import get_session

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")

PAGE = "/staff/admin/users"
NO_STORE = "private, no-store"


def _actor() -> User:
    """The acting admin as a row of this request's session (for audit and self-checks)."""
    return admin.user_by_id(get_session(), staff_user().id)


def _page(status: int = 200, new_token: str | None = None) -> Response:
    session = get_session()
    response = make_response(
        render_template(
            "accounts/admin.html",
            users=services.list_users(session),
            tokens=tokens.list_tokens(session),
            entries=audit.recent(session),
            roles=ROLES,
            me=staff_user(),
            new_token=new_token,
        ),
        status,
    )
    response.headers["Cache-Control"] = NO_STORE  # a new token is on this page once
    return response


def _done(message: str) -> ResponseReturnValue:
    """Post/redirect/get: the change is made; the page shows it and says so."""
    flash(message, "done")
    return redirect(PAGE, code=303)


def _failed(error: AccountError) -> Response:
    get_session().rollback()
    flash(str(error), "error")
    return _page(status=400)


@bp.get("/")
@bp.get("/users")
@staff_required("admin")
def users() -> ResponseReturnValue:
    """Users with their roles, groups and state; tokens; the latest changes."""
    return _page()


@bp.post("/users")
@staff_required("admin")
def create_user() -> ResponseReturnValue:
    """Add a staff member (CSRF-checked like every form)."""
    form = request.form
    try:
        user = admin.create_user(
            get_session(),
            _actor(),
            form.get("email", ""),
            form.get("password", ""),
            form.get("role", ""),
            admin.split_groups(form.get("groups")),
        )
    except AccountError as error:
        return _failed(error)
    return _done(_("Created %(email)s.", email=user.email))


@bp.post("/users/<int:user_id>/role")
@staff_required("admin")
def change_role(user_id: int) -> ResponseReturnValue:
    """Change a user's role and audience groups."""
    form = request.form
    try:
        user = admin.change_role(
            get_session(),
            _actor(),
            user_id,
            form.get("role", ""),
            admin.split_groups(form.get("groups")),
        )
    except AccountError as error:
        return _failed(error)
    return _done(_("Saved the role and groups of %(email)s.", email=user.email))


@bp.post("/users/<int:user_id>/active")
@staff_required("admin")
def set_active(user_id: int) -> ResponseReturnValue:
    """Disable (sessions and tokens stop at once) or enable a user."""
    active = request.form.get("active") == "1"
    try:
        user = admin.set_active(get_session(), _actor(), user_id, active)
    except AccountError as error:
        return _failed(error)
    if active:
        return _done(_("Enabled %(email)s.", email=user.email))
    return _done(_("Disabled %(email)s.", email=user.email))


@bp.post("/users/<int:user_id>/password")
@staff_required("admin")
def set_password(user_id: int) -> ResponseReturnValue:
    """Set a new password (the user's sessions end)."""
    try:
        user = admin.set_password(
            get_session(), _actor(), user_id, request.form.get("password", "")
        )
    except AccountError as error:
        return _failed(error)
    return _done(_("Set a new password for %(email)s.", email=user.email))


@bp.post("/tokens")
@staff_required("admin")
def create_token() -> ResponseReturnValue:
    """A new read-only API token: shown once, on this response only."""
    form = request.form
    try:
        _token, raw = admin.create_token(
            get_session(), _actor(), form.get("email", ""), form.get("name", "").strip()
        )
    except AccountError as error:
        return _failed(error)
    return _page(new_token=raw)


@bp.post("/tokens/<int:token_id>/revoke")
@staff_required("admin")
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke a token for good."""
    try:
        token = admin.revoke_token(get_session(), _actor(), token_id)
    except AccountError as error:
        return _failed(error)
    return _done(_("Revoked token %(id)s.", id=token.id))

"""Sign-in pages: /login and /logout."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
)
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from kbportal.accounts.auth import bind_session, end_session, safe_next
from kbportal.accounts.forms import LoginForm, LogoutForm
from kbportal.accounts.services import authenticate
from kbportal.db import get_session

log = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)

NO_STORE = "private, no-store"
# Where staff land after signing in without a `next`: their workspace, not the public home.
WORKSPACE = "/staff/"


def _render(template: str, status: int = 200, **context: object) -> Response:
    # The page locale comes from the template context (kbportal.web): no import upwards.
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign in on a correct e-mail and password."""
    form = LoginForm()
    target = safe_next(form.next.data or request.args.get("next"))
    form.next.data = target or ""
    error = None
    status = 200
    retry_after = 0
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(target or WORKSPACE)
    if form.validate_on_submit():
        result = authenticate(
            get_session(),
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "",
        )
        if result.user is not None:
            cookie_session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(result.user)
            bind_session(result.user.id)
            return redirect(target or WORKSPACE)
        retry_after = result.retry_after
        if retry_after:
            minutes = max(1, round(retry_after / 60))
            error = _("Too many failed attempts. Try again in %(n)d min.", n=minutes)
            status = 429
        else:
            error = _("Wrong e-mail or password, or the account is disabled.")
    elif request.method == "POST":
        error = _("Enter your e-mail and password.")
    response = _render("accounts/login.html", status, form=form, error=error)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """GET asks to confirm (no state changes on GET); POST signs out."""
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        end_session()
        logout_user()
        cookie_session.clear()
        return redirect("/")
    return _render("accounts/logout.html", form=form)


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> Response:
    """A form without a valid CSRF token: say so plainly, change nothing."""
    return _render("accounts/csrf.html", 400, reason=error.description)

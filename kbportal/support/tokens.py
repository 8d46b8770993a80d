"""Signed links for a request's customer, made and read without Flask (the relay mails them)."""

from __future__ import annotations

import logging

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

log = logging.getLogger(__name__)

VIEW_SALT = "kbportal.support.view"
CLOSE_SALT = "kbportal.support.close"
VIEW_MAX_AGE = 90 * 24 * 3600


def view_token(secret: str, reference: str) -> str:
    """Lets the customer who filed a request (and only them) see its confirmation page."""
    return URLSafeTimedSerializer(secret, salt=VIEW_SALT).dumps(reference)


def read_view_token(secret: str, token: str | None) -> str | None:
    try:
        value = URLSafeTimedSerializer(secret, salt=VIEW_SALT).loads(
            token or "", max_age=VIEW_MAX_AGE
        )
    except BadData:
        return None
    return str(value)


def close_token(secret: str, reference: str) -> str:
    """The signed "close my request" token; single use because a request closes once."""
    return URLSafeSerializer(secret, salt=CLOSE_SALT).dumps(reference)


def read_close_token(secret: str, token: str | None) -> str | None:
    try:
        return str(URLSafeSerializer(secret, salt=CLOSE_SALT).loads(token or ""))
    except BadData:
        return None


def close_url(secret: str, site_url: str, locale: str, reference: str) -> str:
    """The absolute close link for e-mails."""
    token = close_token(secret, reference)
    return f"{site_url.rstrip('/')}/{locale}/requests/{reference}/close?t={token}"

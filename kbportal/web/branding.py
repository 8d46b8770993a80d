"""The brand stylesheet: the accent colour as CSS, since the policy allows no inline styles."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app

from kbportal.brand import Brand, brand_of

log = logging.getLogger(__name__)

bp = Blueprint("branding", __name__)
BRAND_KEYS = ("LOGO_URL", "ACCENT_COLOR", "FOOTER_LINKS")


def current_brand() -> Brand:
    """This app's branding settings."""
    config = current_app.config
    return brand_of({key: config.get(f"KBPORTAL_{key}") for key in BRAND_KEYS})


@bp.get("/brand.css")
def brand_css() -> Response:
    """Custom properties that override kbportal.css's defaults (the colour is validated)."""
    accent = current_brand().accent
    css = f":root {{ --accent: {accent}; --link: {accent}; }}\n" if accent else ""
    return Response(css, mimetype="text/css")  # cached like any public page (web.headers)

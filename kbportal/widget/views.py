"""The widget's own pages: widget.js for host pages and the panel they frame."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from werkzeug.wrappers import Response

from kbportal.widget.cors import allowed_origins, own_origins
from kbportal.widget.origins import frame_ancestors, request_origin
from kbportal.widget.strings import strings_for

log = logging.getLogger(__name__)

bp = Blueprint(
    "widget",
    __name__,
    static_folder="static",
    static_url_path="/widget/static",
    template_folder="templates",
)

SCRIPT_MAX_AGE = 300  # a fixed URL on other sites: a new release reaches them within minutes
COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def panel_policy() -> str:
    """The panel's CSP: the portal's own strict policy, framable by the listed origins only."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors(allowed_origins())}"
    )


@bp.get("/widget.js")
def script() -> Response:
    """The embeddable script: cacheable for minutes, revalidated by ETag, loadable anywhere."""
    response = Response(widget_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    # Host pages with Cross-Origin-Embedder-Policy may load it too.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.add_etag()
    return response.make_conditional(request)


@lru_cache(maxsize=1)
def widget_source() -> bytes:
    """widget.js as shipped (read once: it changes only with a release)."""
    return (Path(bp.static_folder or "") / "widget.js").read_bytes()


@bp.get("/widget/panel")
def panel() -> Response:
    """The panel a host page frames: search, suggestions, articles and the request form."""
    locales = tuple(current_app.config["KBPORTAL_LOCALES"])
    locale = request.args.get("locale", "")
    if locale not in locales:
        locale = request.accept_languages.best_match(locales) or locales[0]
    host = request_origin(request.args.get("origin"))
    # Messages go only to a host the portal trusts; anything else gets a panel that stays mute.
    if host not in allowed_origins() and host not in own_origins():
        host = None
    colour = request.args.get("color", "")
    html = render_template(
        "widget/panel.html",
        locale=locale,
        host_origin=host or "",
        colour=colour if COLOUR.match(colour) else "",
        strings=strings_for(locale),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = panel_policy()
    # The panel is the public view whoever is signed in: no staff cookie changes it.
    response.headers["Cache-Control"] = "no-store"
    return response

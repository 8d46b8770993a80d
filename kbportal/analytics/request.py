"""What analytics views read from a request: the KB, the reader, the article (no kbportal.web).

kbportal.web records through this package, so this package must not import kbportal.web.
"""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from kbportal.accounts.auth import viewer_for_request
from kbportal.publish import get_kb
from kbportal.publish.view import PublishedKB
from kbportal.viewer import PUBLIC, Viewer


def current_kb() -> PublishedKB:
    """The published KB this worker serves now."""
    return get_kb()


def current_viewer() -> Viewer:
    """Who is reading: a staff Viewer or PUBLIC."""
    return viewer_for_request()


def public_article(key: str) -> bool:
    """Whether a customer can reach the article with this "locale/slug" key at all."""
    locale, _, slug = key.partition("#")[0].partition("/")
    return current_kb().article(locale, slug, PUBLIC) is not None


def json_error(status: int, message: str) -> Response:
    """An API error, {"error": message}, as the rest of the API answers."""
    response = jsonify({"error": message})
    response.status_code = status
    return response

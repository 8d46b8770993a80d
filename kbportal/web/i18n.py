"""UI language: the locale URL converter and the locale Flask-Babel translates into."""

from __future__ import annotations

import logging
import re

from flask import Flask, current_app, g, request
from flask_babel import Babel
from werkzeug.routing import BaseConverter

from kbportal.web.kb import current_kb
from kbportal.web.viewer import current_viewer

log = logging.getLogger(__name__)


def configured_locales() -> tuple[str, ...]:
    """The locales this portal serves, default first."""
    return tuple(current_app.config["KBPORTAL_LOCALES"])


def default_locale() -> str:
    """The locale of the UI when nothing else says."""
    return str(current_app.config["KBPORTAL_DEFAULT_LOCALE"])


def offered_locales() -> tuple[str, ...]:
    """The configured locales that have articles this reader may open, default first.

    A browser asking for Russian is not sent to an empty /ru/; with nothing published yet
    (or the KB unreadable), every configured locale is offered.
    """
    configured = configured_locales()
    try:
        present = current_kb().locales_with_articles(current_viewer())
    except Exception:  # an error page (KB or database down) must still list its languages
        return configured
    offered = tuple(code for code in configured if code in present)
    return offered or configured


def best_locale() -> str:
    """The offered locale the browser prefers (Accept-Language), else the default."""
    offered = offered_locales()
    match = request.accept_languages.best_match(offered)
    if match:
        return match
    return default_locale() if default_locale() in offered else offered[0]


def request_locale() -> str:
    """This request's UI locale: URL prefix, then ?locale=, then Accept-Language, then default."""
    locales = configured_locales()
    if request.view_args and request.view_args.get("locale") in locales:
        return str(request.view_args["locale"])
    # Unknown pages (404s) have no view args; their first segment may still name a locale.
    first = request.path.lstrip("/").split("/", 1)[0]
    if first in locales:
        return first
    arg = request.args.get("locale", "")
    if arg in locales:
        return arg
    g.kbportal_locale_from_header = True  # the response varies by Accept-Language (headers.py)
    return best_locale()


def _locale_converter(locales: tuple[str, ...]) -> type[BaseConverter]:
    """A URL converter matching only the configured locales, so /xx/... is a plain 404."""
    pattern = "|".join(re.escape(locale) for locale in locales)

    class LocaleConverter(BaseConverter):
        """The locale prefix of a page URL."""

        regex = f"(?:{pattern})"

    return LocaleConverter


def init_app(app: Flask) -> None:
    """Install the locale converter and Flask-Babel with the URL-driven locale selector."""
    app.url_map.converters["locale"] = _locale_converter(tuple(app.config["KBPORTAL_LOCALES"]))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["KBPORTAL_DEFAULT_LOCALE"])
    Babel(app, locale_selector=request_locale)

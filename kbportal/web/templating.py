"""What templates may call: URL builders, the snippet filter, locale names and site settings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cache

import nh3
from babel import Locale
from babel.support import Translations
from flask import Flask, current_app, g, has_request_context
from flask_babel import get_translations, gettext
from markupsafe import Markup

from kbportal.config import SETTINGS
from kbportal.content.models import Article
from kbportal.urls import article_path, category_path, click_path
from kbportal.web.branding import current_brand
from kbportal.web.i18n import configured_locales, default_locale, offered_locales, request_locale

log = logging.getLogger(__name__)


def snippet_html(snippet: str) -> Markup:
    """A search snippet as HTML: the engine's escaped text, with only <mark> allowed through."""
    # The engine already escapes; this second pass keeps one bug there from becoming XSS here.
    return Markup(nh3.clean(snippet, tags={"mark"}, attributes={}))


def as_utc(moment: datetime) -> datetime:
    """A datetime with a time zone; naive values are taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """A timestamp as Atom wants it: with an explicit offset."""
    return as_utc(moment).isoformat(timespec="seconds")


def article_url(article: Article, anchor: str = "") -> str:
    """The page URL of an article."""
    return article_path(article.locale, article.slug, anchor)


@cache
def locale_name(code: str) -> str:
    """A locale's name in its own language, e.g. "Русский"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def _translations() -> Translations:
    """This request's catalog, looked up once: templates ask for ~20 strings a page."""
    found = g.get("_kbportal_translations")
    if found is None:
        found = g._kbportal_translations = get_translations()
    return found


def _gettext(message: str) -> str:
    """Translate one UI string (Jinja's newstyle wrapper escapes and formats it)."""
    return _translations().ugettext(message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a UI string with plural forms."""
    return _translations().ungettext(singular, plural, count)


def site_name() -> str:
    """The site's name; the built-in default speaks the reader's language, a chosen one is kept."""
    name = str(current_app.config["KBPORTAL_SITE_NAME"])
    if name == SETTINGS["SITE_NAME"][0]:
        return gettext("Help Center")
    return name


def site_context() -> dict[str, object]:
    """Values every template sees; a view's own `locale` argument wins over this one."""
    return {
        "site_name": site_name(),
        "brand": current_brand(),
        # Only languages with articles to read are offered in the switcher.
        "locales": offered_locales() if has_request_context() else configured_locales(),
        "locale": request_locale() if has_request_context() else default_locale(),
    }


def init_app(app: Flask) -> None:
    """Register the template globals, filters and context."""
    app.jinja_env.globals.update(
        article_url=article_url,
        article_path=article_path,
        click_path=click_path,
        category_url=category_path,
        locale_name=locale_name,
    )
    app.jinja_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.filters["snippet"] = snippet_html
    app.jinja_env.filters["rfc3339"] = rfc3339
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(site_context)

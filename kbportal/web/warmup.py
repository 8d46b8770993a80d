"""Warming a fresh worker: open the served version and search once before the first reader."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from flask import Flask
from flask_babel import format_date, get_translations

from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC
from kbportal.web.templating import locale_name

log = logging.getLogger(__name__)

# A made-up word takes the typo path too, so the spelling vocabulary is loaded as well.
WARM_QUERY = "install kbportalwarmup"
# Compiled once per worker by Jinja on first use (~30 ms each): do it before readers come.
PAGE_TEMPLATES = (
    "base.html",
    "_macros.html",
    "home.html",
    "category.html",
    "article.html",
    "search.html",
    "404.html",
)


def warm_up(app: Flask) -> float:
    """Open the KB, search once per locale, load translations, compile the page templates.

    A worker's first requests otherwise wait for these: on tldr ~150 ms to open the build,
    ~80 ms for the first search's caches, ~90 ms for the spelling words, ~100 ms for
    templates and catalogs. Nothing is recorded (no page is requested). Returns the seconds
    taken, 0 if it failed; never raises: a worker with nothing published yet still starts
    and serves its 503 page.
    """
    from kbportal.publish import get_kb  # late: importing publish loads content and search

    start = time.perf_counter()
    try:
        for name in PAGE_TEMPLATES:
            app.jinja_env.get_template(name)
        for locale in app.config["KBPORTAL_LOCALES"]:
            with app.test_request_context(f"/{locale}/"):
                get_translations()
                locale_name(locale)  # Babel's locale data, loaded from disk on first use
                format_date(datetime.now(UTC), "long")
        with app.app_context():
            kb = get_kb()
            for locale in app.config["KBPORTAL_LOCALES"]:
                kb.categories(locale, PUBLIC)  # the per-viewer category counts
                kb.search(SearchQuery(WARM_QUERY, PUBLIC, locale))
    except Exception:  # a worker must come up even when the KB cannot be opened yet
        log.warning("could not warm up the worker", exc_info=True)
        return 0.0
    took = time.perf_counter() - start
    log.info("worker warmed up in %.2f s", took)
    return took

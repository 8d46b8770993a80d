"""The sample help center in a real narrow browser: no page scrolls sideways.

Debian's chromium + chromedriver, as in tests/agents; skipped where they are not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve
from e2e_portal import Portal

from kbportal.publish import get_kb
from kbportal.viewer import PUBLIC
from kbportal.web.services import public_articles

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The repository's articles/ served on loopback, and every public page's path."""
    one = Portal(tmp_path_factory.mktemp("browser"), ARTICLES_DIR=str(ROOT / "articles"))
    app = one.app()
    with app.app_context():
        kb = get_kb()
        # Wide content is what pushes a page sideways: every article with a table or code.
        paths = []
        for locale in ("en", "ru"):
            for listed in public_articles(kb, locale):
                article = kb.article(locale, listed.slug, PUBLIC)  # listings carry no html
                if article and ("<table" in article.html or "<pre" in article.html):
                    paths.append(f"/{locale}/articles/{article.slug}")
    paths += ["/en/", "/ru/", "/en/search?q=payment", "/ru/categories/integrations", "/en/nope"]
    with serve(app) as base:
        yield base, paths
    one.close()


@pytest.fixture(scope="module")
def narrow() -> Iterator[Any]:
    """Headless chromium as narrow as it goes (a phone-sized layout)."""
    with chromium("--window-size=375,800") as driver:
        yield driver


def test_no_page_scrolls_sideways_on_a_phone(site: tuple[str, list[str]], narrow: Any) -> None:
    base, paths = site
    wide = []
    for path in paths:
        narrow.get(base + path)
        scroll, client = narrow.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
        )
        if scroll > client:
            wide.append((path, scroll, client))
    assert not wide

"""The sample help center in a real narrow browser: no page scrolls sideways.

Debian's chromium + chromedriver, as in tests/agents; skipped where they are not installed.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_portal import Portal
from werkzeug.serving import make_server

from kbportal.publish import get_kb
from kbportal.viewer import PUBLIC
from kbportal.web.services import public_articles

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
ROOT = Path(__file__).resolve().parents[2]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip("chromium is not installed", allow_module_level=True)


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
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", paths
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()
    one.close()


@pytest.fixture(scope="module")
def narrow() -> Iterator[Any]:
    """Headless chromium as narrow as it goes (a phone-sized layout)."""
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, "--window-size=375,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


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

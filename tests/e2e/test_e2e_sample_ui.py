"""The sample help center as a customer sees it: both languages, accessible on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from e2e_portal import Portal
from flask.testing import FlaskClient

from kbportal.publish import get_kb
from kbportal.viewer import PUBLIC
from kbportal.web.services import flatten, public_articles

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "kbportal" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"


class Page(HTMLParser):
    """What an accessibility check needs from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.landmarks: set[str] = set()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
        elif tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        elif tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.fields.append(found)
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "img":
            self.images.append(found)
        elif tag in ("script", "style", "pre", "code"):
            self._skip += 1
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)
        for name in ("aria-label", "placeholder", "title", "alt"):
            if found.get(name):
                self.text.append(str(found[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "pre", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(" ".join(data.split()))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, list[str]]]:
    """The repository's own articles/, built once, and every URL a customer can reach."""
    one = Portal(tmp_path_factory.mktemp("sample"), ARTICLES_DIR=str(ROOT / "articles"))
    app = one.app()
    urls = []
    with app.app_context():
        kb = get_kb()
        for locale in ("en", "ru"):
            urls += [f"/{locale}/", f"/{locale}/search?q=payment", f"/{locale}/nope"]
            urls += [f"/{locale}/search?q=zzzqqqxx"]
            for _depth, node in flatten(kb.categories(locale, PUBLIC)):
                urls.append(f"/{locale}/categories/{node.category.path}")
            urls += [f"/{locale}/articles/{a.slug}" for a in public_articles(kb, locale)]
    yield app.test_client(), urls
    one.close()


def parse(client: FlaskClient, url: str) -> Page:
    """A page fetched and parsed."""
    response = client.get(url)
    assert response.status_code == (404 if url.endswith("/nope") else 200), url
    page = Page()
    page.feed(response.text)
    return page


def test_every_page_is_accessible(sample: tuple[FlaskClient, list[str]]) -> None:
    client, urls = sample
    assert len(urls) > 60
    for url in urls:
        page = parse(client, url)
        assert page.lang == url.split("/")[1], url
        assert {"header", "nav", "main", "footer"} <= page.landmarks, url
        assert page.headings.count(1) == 1, url
        jumps = [
            (a, b) for a, b in zip(page.headings, page.headings[1:], strict=False) if b > a + 1
        ]
        assert not jumps, (url, jumps)
        assert all("alt" in image for image in page.images), url
        for field in page.fields:
            named = field.get("aria-label") or field.get("aria-labelledby")
            assert named or field.get("id") in page.labels, (url, field)


def test_russian_pages_show_no_english_ui_text(sample: tuple[FlaskClient, list[str]]) -> None:
    client, urls = sample
    with CATALOG.open("rb") as handle:
        english = {
            message.id
            for message in read_po(handle)
            if isinstance(message.id, str) and len(message.id) > 4 and "%" not in message.id
        }
    for url in (url for url in urls if url.startswith("/ru/")):
        text = set(parse(client, url).text)
        assert not text & english, (url, text & english)

"""Structural accessibility checks on every page: ids, labels, headings, alt text, landmarks."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

PAGES = [
    "/en/",
    "/ru/",
    "/en/categories/billing",
    "/en/articles/billing/refunds",
    "/ru/articles/billing/refunds",
    "/en/search?q=refund",
    "/en/search?q=zzzqqq",
    "/en/search",
    "/en/articles/nope",
]


class Outline(HTMLParser):
    """What the checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_targets: list[str] = []
        self.tags: Counter[str] = Counter()
        self.images_without_alt = 0
        self.unlabelled_navs = 0
        self.html_lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        self.tags[tag] += 1
        if attr.get("id"):
            self.ids[attr["id"] or ""] += 1
        if tag == "label" and attr.get("for"):
            self.label_targets.append(attr["for"] or "")
        if tag == "img" and "alt" not in attr:
            self.images_without_alt += 1
        if tag == "nav" and not (attr.get("aria-label") or attr.get("aria-labelledby")):
            self.unlabelled_navs += 1
        if tag == "html":
            self.html_lang = attr.get("lang") or ""


@pytest.mark.parametrize("url", PAGES)
def test_page_structure(client: FlaskClient, url: str) -> None:
    outline = Outline()
    outline.feed(client.get(url).get_data(as_text=True))
    assert outline.html_lang in ("en", "ru")
    assert [i for i, n in outline.ids.items() if n > 1] == []  # ids are unique
    assert all(target in outline.ids for target in outline.label_targets)  # labels point somewhere
    assert outline.tags["h1"] == 1
    assert outline.tags["main"] == 1 and outline.tags["header"] >= 1 and outline.tags["footer"] == 1
    assert outline.images_without_alt == 0
    assert outline.unlabelled_navs == 0
    assert outline.tags["input"] == 0 or outline.tags["label"] >= 1

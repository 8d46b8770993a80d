"""Rendering safety end to end: hostile markdown never runs script on any page that shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from e2e_portal import Portal
from support import PNG, write_tree

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE = f"""---
title: "Evil {XSS} title"
summary: "Sum <svg onload=alert(3)> mary"
tags: ["<b onmouseover=alert(4)>tag</b>", "javascript:alert(5)"]
---
# Heading {XSS}

Body {XSS} <iframe src="javascript:alert(6)"></iframe>

[plain js](javascript:alert(7)) [mixed](JaVaScRiPt:alert(8)) [spaced]( javascript:alert(9))
[entity](&#106;avascript:alert(10)) [tab](java\tscript:alert(11)) [vb](vbscript:msgbox(12))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMyk8L3NjcmlwdD4=) [nl](java&#10;script:alert(14))
[<img src=x onerror=alert(15)>](https://example.com "t\\" onmouseover=\\"alert(16)")
[ok](https://example.com/a?b=<script>)

![js image](javascript:alert(17)) ![data image](data:image/svg+xml,<svg onload=alert(18)>)
![outside](../../../../etc/passwd) ![abs](/etc/passwd)
![ok](../../img/pic.png "x\\" onerror=\\"alert(19)")

```js" onmouseover="alert(20)
code <script>alert(21)</script>
```

```"><script>alert(22)</script>
fence
```

Note[^evil].

[^evil]: Footnote {XSS} [fn link](javascript:alert(23))

!!! warning "Admonition <script>alert(24)</script> title"
    Inside {XSS}

- [ ] task <script>alert(25)</script>

| a <script>alert(26)</script> | b |
|---|---|
| <img src=x onerror=alert(27)> | [t](javascript:alert(28)) |

## <a href="javascript:alert(29)">raw</a> heading
"""
FILES: dict[str, str | bytes] = {
    "en/help/evil.md": HOSTILE,
    "en/help/plain.md": "# Plain\n\nSee [evil](evil.md).\n",
    "img/pic.png": PNG,
}


class Collect(HTMLParser):
    """Every element and attribute a browser would build from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    """No script element, no event handler, no script URL: as the browser parses it."""
    parser = Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("iframe", "object", "embed", "svg"), tag
        if tag == "script":
            assert dict(attrs).get("src", "").startswith("/static/"), attrs  # ours only
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                url = re.sub(r"[\x00-\x20]", "", (value or "")).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:text")), (tag, value)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The hostile tree, indexed once."""
    one = Portal(tmp_path_factory.mktemp("xss"))
    write_tree(one.articles, FILES)
    result = one.run("index")
    assert result.exit_code == 0, result.output
    yield one
    one.close()


URLS = [
    "/en/articles/help/evil",
    "/en/articles/help/plain",
    "/en/categories/help",
    "/en/",
    "/en/search?q=evil+title",
    "/en/search?q=footnote",
    "/en/search?q=inside",
    "/en/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "/en/nope-%3Cscript%3Ealert(1)%3C%2Fscript%3E",
]


@pytest.mark.parametrize("url", URLS)
def test_pages_are_inert(built: Portal, url: str) -> None:
    response = built.app().test_client().get(url)
    assert response.status_code in (200, 404), url
    assert_inert(response.text)


def test_the_article_keeps_its_words_as_text(built: Portal) -> None:
    page = built.app().test_client().get("/en/articles/help/evil").text
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, escaped, not run
    assert "Admonition" in page and "Footnote" in page


@pytest.mark.parametrize(
    "url", ["/en/feed.xml", "/sitemap.xml", "/api/v1/articles/help/evil", "/api/v1/search?q=evil"]
)
def test_feeds_and_api_carry_no_live_markup(built: Portal, url: str) -> None:
    response = built.app().test_client().get(url)
    assert response.status_code == 200
    if url.startswith("/api/v1/articles"):
        assert_inert(response.json["html"])
    elif url.startswith("/api/v1/search"):
        for hit in response.json["results"]:
            assert_inert(hit["snippet"])
            assert hit["title"] in (f"Evil {XSS} title", "Plain")  # plain text; callers escape
    else:
        assert "<script" not in response.text.replace("&lt;script", "")


def test_autocomplete_titles_are_data_not_markup(built: Portal) -> None:
    response = built.app().test_client().get("/api/v1/autocomplete?q=evi")
    assert response.status_code == 200
    assert response.mimetype == "application/json"

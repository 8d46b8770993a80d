"""Reply templates: internal articles with `template: true` and {{placeholders}} to fill in."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from kbportal.content.models import Article
from kbportal.publish.view import PublishedKB
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
MAX_VALUE_CHARS = 2000
# Source lines shorter than this inside a paragraph were broken on purpose (a signature,
# "Best regards,"); longer ones are the editor's hard wrap and join into one line.
_INTENDED_BREAK = 60
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "div"}


class TemplateCopyError(ValueError):
    """A template copy report that cannot be recorded; the message is fit for the client."""


@dataclass(frozen=True)
class ReplyTemplate:
    """A reply template: its article, plain text with placeholders, and their names in order."""

    article: Article
    text: str
    fields: tuple[str, ...]


def placeholders(text: str) -> tuple[str, ...]:
    """The placeholder names of a text, each once, in order of first use."""
    return tuple(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(text)))


def field_label(name: str) -> str:
    """A form label for a placeholder: "customer_name" -> "Customer name"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def clean_value(value: str | None) -> str:
    """A form value: control characters dropped (newlines kept), length capped."""
    if not value:
        return ""
    text = value.replace("\r\n", "\n")[:MAX_VALUE_CHARS]
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32 and ord(ch) != 127)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder that has a non-empty value replaced, in one pass.

    One pass, so a value that itself looks like "{{x}}" stays as typed.
    """

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return value if value else match.group(0)

    return PLACEHOLDER.sub(replace, text)


class _TextOf(HTMLParser):
    """Plain reply text from rendered article HTML: paragraphs, list items, line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [ordered, counter]
        self.pre = 0

    def flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        if self.pre:
            self.blocks.append(text.strip("\n"))
            return
        if text.strip():
            self.blocks.append(_join_wrapped(text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.flush()
            self.lists.append([1 if tag == "ol" else 0, 0])
        elif tag == "br":
            self.current.append("\n")
        elif tag in _BLOCKS:
            self.flush()
            if tag == "pre":
                self.pre += 1
            if tag == "li" and self.lists:
                ordered = self.lists[-1]
                ordered[1] += 1
                self.current.append(f"{ordered[1]}. " if ordered[0] else "- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag in _BLOCKS:
            self.flush()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def text(self) -> str:
        self.flush()
        out = ""
        previous = ""
        for block in self.blocks:
            # List items sit on consecutive lines; other blocks are separated by a blank line.
            tight = _is_item(previous) and _is_item(block)
            out += (("\n" if tight else "\n\n") + block) if out else block
            previous = block
        return out


def _is_item(block: str) -> bool:
    return block.startswith("- ") or bool(re.match(r"\d+\. ", block))


def _join_wrapped(text: str) -> str:
    """Join an editor's hard-wrapped lines, keep short lines that were broken on purpose."""
    lines = [line.strip() for line in text.strip().split("\n")]
    out = lines[0]
    for previous, line in zip(lines, lines[1:], strict=False):
        out += (" " if len(previous) >= _INTENDED_BREAK else "\n") + line
    return out


def template_text(article: Article) -> str:
    """The plain text of a template article, placeholders kept as {{name}}."""
    parser = _TextOf()
    parser.feed(article.html)
    parser.close()
    return parser.text()


def as_template(article: Article) -> ReplyTemplate:
    """A template article as a ReplyTemplate."""
    text = template_text(article)
    return ReplyTemplate(article, text, placeholders(text))


def is_template(article: Article) -> bool:
    """Whether an article is a reply template: internal and marked `template: true`."""
    return article.template and article.visibility == "internal"


_cache_lock = threading.Lock()
_listed: dict[tuple[str, str, Viewer], list[Article]] = {}


def list_templates(kb: PublishedKB, locale: str, viewer: Viewer) -> list[Article]:
    """Every template article of a locale the viewer may see, in editorial order."""
    key = (kb.build_id, locale, viewer)
    with _cache_lock:
        cached = _listed.get(key)
    if cached is not None:
        return cached
    found: list[Article] = []
    stack = list(kb.categories(locale, viewer))
    paths = [""]
    while stack:
        node = stack.pop(0)
        paths.append(node.category.path)
        stack.extend(node.children)
    for path in paths:
        # Listings carry no body: read each template in full (there are a handful).
        for listed in kb.articles_in(locale, path, viewer):
            full = kb.article(locale, listed.slug, viewer) if is_template(listed) else None
            if full is not None:
                found.append(full)
    with _cache_lock:
        if len(_listed) > 64:  # builds and audience groups come and go: keep it small
            _listed.clear()
        _listed[key] = found
    return found


def check_template_copy(kb: PublishedKB, viewer: Viewer, payload: Any) -> Article:
    """The template a copy report names; TemplateCopyError unless the viewer can see it."""
    if not isinstance(payload, dict):
        raise TemplateCopyError("send a JSON object: {template}")
    key = payload.get("template")
    if not isinstance(key, str) or "/" not in key or len(key) > 512:
        raise TemplateCopyError('template must be "locale/slug"')
    locale, _, slug = key.partition("/")
    article = kb.article(locale, slug, viewer)
    if article is None or not is_template(article):
        # Missing, not a template and not-yours look the same, as everywhere else.
        raise TemplateCopyError("no such template")
    return article

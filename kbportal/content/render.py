"""Markdown body -> HTML, title, table of contents, sections, links and summary, in one pass."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from threading import local
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kbportal.content.limits import DEFAULT_LIMITS, Limits, check_tokens
from kbportal.content.links import LinkTargets, reaches, resolve, resolve_image
from kbportal.content.markdown import make_markdown, sanitize
from kbportal.content.models import Heading, Link, Problem, Section, Severity
from kbportal.content.placement import file_audience, internal_file

log = logging.getLogger(__name__)

SUMMARY_LENGTH = 200
_NOT_ANCHOR = re.compile(r"[^\w\- ]+")
_DASHES = re.compile(r"[\s\-]+")
_threads = local()


def _md() -> MarkdownIt:
    """This thread's parser (markdown-it instances keep per-render state)."""
    md: MarkdownIt | None = getattr(_threads, "md", None)
    if md is None:
        md = _threads.md = make_markdown()
    return md


def slugify_anchor(text: str) -> str:
    """A heading's anchor: lowercase words joined by '-', any script ("Оплата картой")."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NOT_ANCHOR.sub("", text).strip()
    return _DASHES.sub("-", text).strip("-") or "section"


@dataclass
class Rendered:
    """Everything rendering one article's body produced."""

    html: str
    title: str
    anchors: frozenset[str]
    toc: tuple[Heading, ...]
    sections: tuple[Section, ...]
    links: tuple[Link, ...]
    summary: str
    problems: list[Problem] = field(default_factory=list)


def plain_text(inline: Token) -> str:
    """The readable text of an inline token (code spans and image alt text included)."""
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(plain_text(child))
    return "".join(parts)


def shorten(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """Text on one line, cut at a word boundary near `limit` with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass
class _Context:
    """What link rewriting needs to know about the article being rendered."""

    path: str
    locale: str
    public: bool
    known: LinkTargets
    body_line: int
    audience: tuple[str, ...] = ()
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)  # heading ids of this article

    def problem(self, line: int, code: str, message: str, severity: Severity = "error") -> None:
        """Record a problem of this article."""
        self.problems.append(Problem(self.path, line, code, message, severity))


def render_body(
    body: str,
    *,
    path: str,
    locale: str,
    known: LinkTargets,
    body_line: int = 1,
    title: str | None = None,
    public: bool = True,
    audience: tuple[str, ...] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> Rendered:
    """Render an article body; a leading H1 becomes the title unless front matter gave one."""
    md = _md()
    env: dict[str, object] = {}
    tokens = md.parse(body, env)
    check_tokens(tokens, limits)  # raises TooLarge before the costly rest
    ctx = _Context(path, locale, public, known, body_line, tuple(audience))
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        h1 = " ".join(plain_text(tokens[1]).split())
        if title is None or title == h1:
            title = h1
            del tokens[0:3]  # the page prints the title; the body must not repeat it
    title = title or ""
    toc, sections, ctx.anchors = _headings_and_sections(tokens, title)
    for token in tokens:
        if token.type == "inline" and token.children:
            line = body_line + (token.map[0] if token.map else 0)
            _rewrite_inline(token.children, line, ctx)
    env["locale"] = locale  # task list checkboxes name their state in the article's language
    html = sanitize(md.renderer.render(tokens, md.options, env))
    return Rendered(
        html=html,
        title=title,
        anchors=frozenset(ctx.anchors),
        toc=tuple(toc),
        sections=tuple(sections),
        links=tuple(ctx.links),
        summary=_summary(tokens),
        problems=ctx.problems,
    )


def _headings_and_sections(
    tokens: list[Token], title: str
) -> tuple[list[Heading], list[Section], set[str]]:
    """Give every heading a unique anchor; cut the text into sections at h1..h4."""
    used: set[str] = set()
    counters: dict[str, int] = {}
    toc: list[Heading] = []
    sections: list[Section] = []
    current = Section(anchor="", title=title, text="", level=1)
    parts: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1])
            text = " ".join(plain_text(tokens[index + 1]).split())
            anchor = base = slugify_anchor(text)
            while anchor in used:  # remembering the last number keeps 5,000 repeats linear
                counters[base] = counters.get(base, 1) + 1
                anchor = f"{base}-{counters[base]}"
            used.add(anchor)
            token.attrSet("id", anchor)
            if level in (2, 3):
                toc.append(Heading(level, text, anchor))
            if level <= 4:
                sections.append(_finish(current, parts))
                current, parts = Section(anchor=anchor, title=text, text="", level=level), []
            else:
                parts.append(text)
        elif token.type == "inline" and not (index and tokens[index - 1].type == "heading_open"):
            parts.append(plain_text(token))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.rstrip("\n"))
    sections.append(_finish(current, parts))
    return toc, sections, used


def _finish(section: Section, parts: list[str]) -> Section:
    """The section with its collected text joined."""
    text = "\n".join(part.strip() for part in parts if part.strip())
    return Section(section.anchor, section.title, text, section.level)


def _summary(tokens: list[Token]) -> str:
    """Plain text of the first top-level paragraph or blockquote."""
    for index, token in enumerate(tokens):
        if token.level != 0 or token.type not in ("paragraph_open", "blockquote_open"):
            continue
        close = token.type.replace("_open", "_close")
        parts: list[str] = []
        for inner in tokens[index + 1 :]:
            if inner.type == close and inner.level == 0:
                break
            if inner.type == "inline":
                parts.append(plain_text(inner))
        return shorten(" ".join(parts))
    return ""


def _rewrite_inline(children: list[Token], line: int, ctx: _Context) -> None:
    """Rewrite links and images in place; what may not be a link becomes plain text."""
    unlink_close = False
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            unlink_close = not _rewrite_link(child, line, ctx)
        elif child.type == "link_close" and unlink_close:
            _to_text(child, "")
            unlink_close = False
        elif child.type == "image":
            _rewrite_image(child, line, ctx)


def _to_text(token: Token, content: str) -> None:
    """Turn a token into plain text (escaped by the renderer)."""
    token.type, token.tag, token.nesting, token.attrs = "text", "", 0, {}
    token.content, token.children = content, None


def _rewrite_link(token: Token, line: int, ctx: _Context) -> bool:
    """Point a link at its portal URL; False when it must render as plain text."""
    href = str(token.attrGet("href") or "")
    found = resolve(href, source_path=ctx.path, locale=ctx.locale, known=ctx.known)
    if found.kind == "outside":
        ctx.problem(line, "link-outside-tree", f"link '{href}' points outside the articles folder")
    elif found.kind == "unsafe":
        ctx.problem(line, "unsafe-link", f"link '{href}' uses a scheme that is not allowed")
    elif found.kind == "missing":
        ctx.links.append(Link(href, line, "article", None))
    elif found.kind == "external":
        ctx.links.append(Link(href, line, "external", href))
        token.attrSet("href", found.url or "")
        token.attrSet("rel", "noopener nofollow")
        return True
    elif found.kind == "media" and not _shown(found.path, ctx, line):
        pass  # a file from an internal folder on a public page: its words stay, no link
    elif found.kind == "media":
        ctx.links.append(Link(href, line, "media", found.path))
        token.attrSet("href", found.url or "")
        return True
    elif found.kind == "article" and found.target is not None:
        target = found.target
        ctx.links.append(Link(href, line, "article", target.key))
        # A link a reader of this page could follow only to a 404 is not rendered as a link:
        # for a public page, a link to an internal article would reveal that it exists; for
        # an all-staff page, so would one to an article only some groups may open.
        visibility = "public" if ctx.public else "internal"
        if target.draft or not reaches(visibility, ctx.audience, target):
            _to_text(token, "")
            return False
        token.attrSet("href", found.url or "")
        return True
    elif found.kind == "category" and found.category is not None:
        if ctx.public and found.category.visibility != "public":
            message = f"public article links to internal category '{found.category.path}'"
            ctx.problem(line, "internal-link", message + " (shown as plain text)")
        else:
            token.attrSet("href", found.url or "")
            return True
    else:  # in-page anchors and portal URLs stay as written
        anchor = unquote(href[1:]) if found.kind == "anchor" else ""
        if anchor and anchor not in ctx.anchors and not anchor.startswith("fn"):
            ctx.problem(line, "missing-anchor", f"no heading '#{anchor}' here", "warning")
        token.attrSet("href", found.url or href)
        return True
    _to_text(token, "")
    return False


def _shown(relpath: str | None, ctx: _Context, line: int) -> bool:
    """Whether a page may show a tree file: only if everyone who reads the page may see it.

    A public page never shows one from an internal folder; a staff page one from a group's
    folder only when the page is for those groups alone.
    """
    if relpath is None:
        return True
    category = internal_file(ctx.known.categories, ctx.known.locales, relpath)
    if category is None:
        return True
    if ctx.public:
        message = (
            f"public article shows '{relpath}' from internal folder '{category.path}' (not shown)"
        )
        ctx.problem(line, "internal-media", message)
        return False
    groups = file_audience(ctx.known.categories, ctx.known.locales, relpath)
    if groups is None or (ctx.audience and set(ctx.audience) <= set(groups)):
        return True
    # Not named: every staff member who may read this article sees its problems.
    message = "the article shows a file from a folder of other staff groups (not shown)"
    ctx.problem(line, "internal-media", message)
    return False


def _rewrite_image(token: Token, line: int, ctx: _Context) -> None:
    """Serve a tree image from /media/; an image that may not be shown becomes its alt text."""
    src = str(token.attrGet("src") or "")
    found = resolve_image(src, source_path=ctx.path, known=ctx.known)
    if found.kind == "media" and not _shown(found.path, ctx, line):
        _to_text(token, plain_text(token))
    elif found.kind in ("media", "missing"):
        ctx.links.append(Link(src, line, "image", found.path))
        token.attrSet("src", found.url or "")
    elif found.kind == "external":
        ctx.links.append(Link(src, line, "external", src))
    else:
        outside = found.kind == "outside"
        what = "outside the articles folder" if outside else "to a disallowed scheme"
        code = "image-outside-tree" if outside else "unsafe-link"
        ctx.problem(line, code, f"image '{src}' points {what}")
        _to_text(token, plain_text(token))

"""Content problems as text, JSON or GitHub Actions annotations."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from kbportal.content.models import Problem
from kbportal.content.request_file import REQUEST_PROBLEM_CODES

log = logging.getLogger(__name__)

FORMATS = ("text", "json", "github")


def counted(n: int, noun: str) -> str:
    """ "1 article", "2 articles": the command line's English counts (nouns with a plain -s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# Every problem code the pipeline reports, with what it means (docs/content.md lists them all).
PROBLEM_CODES: dict[str, str] = {
    "unreadable": "the file could not be read (or is not an article file of the folder)",
    "not-utf8": "the file is not valid UTF-8; it is skipped",
    "bad-front-matter": "front matter YAML is invalid, unclosed, or a key has a wrong value; "
    "the file is skipped",
    "unknown-key": "a front matter or category key the portal does not know (ignored)",
    "bad-category-file": "a _category.yml cannot be used; its folder is hidden as internal",
    "duplicate-slug": "another file earlier in path order has this slug; this file is skipped",
    "duplicate-alias": "another article already claims this alias",
    "alias-is-slug": "an alias equals an existing article's slug (the alias is ignored)",
    "missing-link": "a link to an article, file or slug that does not exist",
    "link-to-skipped": "a link to an article file that is skipped for its own problems",
    "missing-image": "an image that is not in the articles folder",
    "missing-file": "a linked file (e.g. a PDF) that is not in the articles folder",
    "missing-anchor": "a link to a heading (#anchor) that does not exist",
    "missing-related": "a `related` slug that does not exist",
    "link-outside-tree": "a link that leaves the articles folder (shown as plain text)",
    "image-outside-tree": "an image that leaves the articles folder (not shown)",
    "unsafe-link": "a link with a scheme that is not allowed, e.g. javascript: (plain text)",
    "internal-link": "a public article links to an internal one (shown as plain text)",
    "link-to-draft": "a link to a draft (shown as plain text until it is published)",
    "unknown-category": "front matter names a category with no folder or category file",
    "locale-mismatch": "front matter locale differs from the locale folder or file name",
    "visibility-conflict": "an article says public inside an internal category (it stays internal)",
    "visibility-escape": "front matter `category` or `locale` would list a file from an internal "
    "folder in a public place; it stays internal",
    "audience-escape": "an `audience` names staff groups outside its folder's audience (they "
    "are dropped; an article left with none is skipped)",
    "unsafe-symlink": "a symlink that leaves the articles folder, leads to an internal file or "
    "is a folder; it is not followed and the file is skipped",
    "duplicate-key": "front matter gives the same key twice; the file is skipped",
    "too-large": "the article file is larger than KBPORTAL_MAX_ARTICLE_BYTES; it is skipped",
    "too-many-headings": "the article has more headings than KBPORTAL_MAX_HEADINGS; skipped",
    "too-deeply-nested": "lists, quotes, emphasis or links nested too deeply; skipped",
    "internal-media": "an article shows an image or file its readers may not see: from an internal "
    "folder on a public page, or from a group's folder on a page for others (not shown)",
    "render-failed": "the markdown could not be rendered; the file is skipped",
    "empty-article": "the file has no text (empty, or front matter only); it is skipped",
}
PROBLEM_CODES.update(REQUEST_PROBLEM_CODES)  # `_requests.yml`, the support form's types


def format_text(problems: Iterable[Problem], prefix: str = "") -> str:
    """One line per problem: `path:line: severity [code] message`."""
    return "".join(
        f"{prefix}{p.path}:{p.line}: {p.severity} [{p.code}] {p.message}\n" for p in problems
    )


def format_json(problems: Iterable[Problem]) -> str:
    """A JSON list of {path, line, code, message, severity} objects."""
    return json.dumps([asdict(p) for p in problems], ensure_ascii=False, indent=2) + "\n"


def _escape_data(value: str) -> str:
    """Escape a workflow command's message (GitHub's rules)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """Escape a workflow command's property value (GitHub's rules)."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: Iterable[Problem], prefix: str = "") -> str:
    """GitHub Actions annotations: `::error file=...,line=...,title=code::message`."""
    lines = []
    for p in problems:
        level = "error" if p.severity == "error" else "warning"
        file = _escape_property(prefix + p.path)
        title = _escape_property(p.code)
        message = _escape_data(p.message)
        lines.append(f"::{level} file={file},line={p.line},title={title}::{message}\n")
    return "".join(lines)


def repository_prefix(articles_dir: Path) -> str:
    """The articles folder's path inside its git repository, e.g. "articles/" ("" if none)."""
    folder = Path(articles_dir).resolve()
    for parent in (folder, *folder.parents):
        if (parent / ".git").exists():  # a folder, or a file in worktrees and submodules
            inner = folder.relative_to(parent).as_posix()
            return "" if inner == "." else f"{inner}/"
    return ""


def format_problems(problems: Iterable[Problem], fmt: str = "text", prefix: str = "") -> str:
    """Problems in one of FORMATS; `prefix` is prepended to paths (e.g. "articles/")."""
    items = list(problems)
    if fmt == "json":
        return format_json(items)
    if fmt == "github":
        return format_github(items, prefix)
    if fmt == "text":
        return format_text(items, prefix)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")

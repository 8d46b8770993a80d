"""Reading the articles tree (articles, media, category files) and placing one article file."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from kbportal.content import frontmatter
from kbportal.content.categories import CATEGORY_FILE
from kbportal.content.limits import DEFAULT_LIMITS, Limits
from kbportal.content.links import MEDIA_SUFFIXES
from kbportal.content.models import Problem
from kbportal.content.placement import SymlinkRefused, real_relpath, refusal

log = logging.getLogger(__name__)

_BAD_SLUG = re.compile(r"[\s#?\\%<>\"'`\x00-\x1f]|//|^\.{1,2}(/|$)|/\.{1,2}(/|$)")


@dataclass
class Tree:
    """The files of an articles folder, as posix paths relative to it, in path order."""

    articles: list[str] = field(default_factory=list)
    media: set[str] = field(default_factory=set)
    category_files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)  # symlinks that are not followed


# Files a git repository keeps at its top for people browsing the repository, not customers.
REPOSITORY_FILES = frozenset(
    {
        "readme.md",
        "license.md",
        "contributing.md",
        "changelog.md",
        "code_of_conduct.md",
        "security.md",
    }
)


def hidden(name: str) -> bool:
    """Files and folders starting with '_' or '.' are never articles."""
    return name.startswith(("_", "."))


def repository_file(relpath: str) -> bool:
    """A README, LICENSE and the like at the top of the articles folder."""
    return "/" not in relpath and relpath.lower() in REPOSITORY_FILES


def scan(root: Path) -> Tree:
    """List the articles tree once; symlinks out of it (or to folders) are refused."""
    tree = Tree()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        linked = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
        for name in linked:  # os.walk does not enter them; say so rather than lose files quietly
            if not hidden(name):
                tree.refused.append(refusal(prefix + name, "symlinked folder is not followed"))
        dirnames[:] = sorted(name for name in dirnames if not hidden(name) and name not in linked)
        if prefix:
            tree.folders.append(rel)
        for name in sorted(filenames):
            if hidden(name) and not CATEGORY_FILE.match(name):
                continue
            if os.path.islink(os.path.join(dirpath, name)):
                try:
                    real_relpath(root, prefix + name)
                except SymlinkRefused as error:
                    log.warning("skipping %s%s: %s", prefix, name, error)
                    tree.refused.append(refusal(prefix + name, str(error)))
                    continue
            if CATEGORY_FILE.match(name):
                tree.category_files.append(prefix + name)
            elif hidden(name) or repository_file(prefix + name):
                continue
            elif name.endswith(".md"):
                tree.articles.append(prefix + name)
            elif os.path.splitext(name)[1].lower() in MEDIA_SUFFIXES:
                tree.media.add(prefix + name)
    tree.articles.sort()
    return tree


def classify(relpath: str) -> Literal["article", "media", "category", "other"]:
    """What a path in the tree is to the pipeline, by the same rules as `scan`."""
    parts = relpath.split("/")
    if not relpath or any(part in ("", ".", "..") or hidden(part) for part in parts[:-1]):
        return "other"
    name = parts[-1]
    if CATEGORY_FILE.match(name):
        return "category"
    if hidden(name) or repository_file(relpath):
        return "other"
    if name.endswith(".md"):
        return "article"
    if os.path.splitext(name)[1].lower() in MEDIA_SUFFIXES:
        return "media"
    return "other"


def split_locale(relpath: str, locales: tuple[str, ...]) -> tuple[str | None, str]:
    """(locale folder or None, path below it) for a path in the tree."""
    first, sep, rest = relpath.partition("/")
    if sep and first in locales:
        return first, rest
    return None, relpath


@dataclass
class Source:
    """One article file read and placed: front matter checked, locale, category and slug known."""

    path: str
    locale: str
    category: str
    slug: str
    meta: dict[str, Any]
    body: str
    body_line: int
    updated: datetime | None
    folder_locale: str | None = None
    problems: list[Problem] = field(default_factory=list)
    real_path: str = ""  # the file the path really is: differs for a symlink

    @property
    def key(self) -> str:
        """The article's "locale/slug"."""
        return f"{self.locale}/{self.slug}"


def valid_slug(slug: str) -> bool:
    """A slug usable in a URL path: no spaces, '..', '#', '?', or empty segments."""
    return bool(slug) and not _BAD_SLUG.search(slug)


def _size(count: int) -> str:
    """A byte count for people: 50.0 MB, 256 KB."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} bytes"


def _place(relpath: str, locales: tuple[str, ...]) -> tuple[str | None, str | None, str, str]:
    """(locale folder, file-name locale, folder below the locale folder, file stem) of a path."""
    folder_locale, inner = split_locale(relpath, locales)
    folder, _, filename = inner.rpartition("/")
    stem = filename[: -len(".md")] if filename.endswith(".md") else filename
    base, dot, suffix = stem.rpartition(".")
    suffix_locale = suffix if dot and base and suffix in locales else None
    return folder_locale, suffix_locale, folder, base if suffix_locale else stem


def disk_place(relpath: str, locales: tuple[str, ...], default_locale: str) -> tuple[str, str]:
    """(locale, folder below the locale folder) that a file's place on disk gives it."""
    folder_locale, suffix_locale, folder, _stem = _place(relpath, locales)
    return folder_locale or suffix_locale or default_locale, folder


def read_source(
    root: Path,
    relpath: str,
    *,
    locales: tuple[str, ...],
    default_locale: str,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Source | None, list[Problem]]:
    """Read one article file; None (with the reason as a problem) when it cannot publish."""
    file = root / relpath
    if classify(relpath) != "article":
        return None, [Problem(relpath, 1, "unreadable", "not an article file of this folder")]
    try:
        real_path = real_relpath(root, relpath)
    except SymlinkRefused as error:
        return None, [refusal(relpath, str(error))]
    if classify(real_path) != "article":
        return None, [refusal(relpath, f"symlink to '{real_path}', which is not an article file")]
    try:
        stat = file.stat()
        if stat.st_size > limits.article_bytes:  # never read (or render) it: seconds per MB
            message = (
                f"the file is {_size(stat.st_size)}; an article may be at most "
                f"{_size(limits.article_bytes)} (KBPORTAL_MAX_ARTICLE_BYTES); file skipped"
            )
            return None, [Problem(relpath, 1, "too-large", message)]
        raw = file.read_bytes()
        mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
    except OSError as error:
        return None, [Problem(relpath, 1, "unreadable", f"cannot read file: {error.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [Problem(relpath, line, "not-utf8", "file is not valid UTF-8")]
    try:
        parsed = frontmatter.parse(text)
    except frontmatter.FrontMatterError as error:
        return None, [Problem(relpath, error.line, error.code, str(error))]
    problems = [
        Problem(relpath, line, "unknown-key", message, "warning")
        for line, message in parsed.warnings
    ]
    meta = parsed.data
    folder_locale, suffix_locale, folder, stem = _place(relpath, locales)
    locale = meta.get("locale") or folder_locale or suffix_locale or default_locale
    if locale not in locales:
        line = parsed.key_lines.get("locale", 1)
        message = f"locale '{locale}' is not one of {', '.join(locales)}"
        return None, [*problems, Problem(relpath, line, "bad-front-matter", message)]
    placed = folder_locale or suffix_locale
    if "locale" in meta and placed and placed != meta["locale"]:
        where = "folder" if folder_locale else "file name"
        message = f"front matter locale '{meta['locale']}' differs from the {where} ('{placed}')"
        problems.append(
            Problem(relpath, parsed.key_lines["locale"], "locale-mismatch", message, "warning")
        )
    category = meta.get("category", folder).strip("/")
    default_slug = "-".join(f"{folder}/{stem}".strip("/").lower().split())
    slug = meta.get("slug", default_slug).strip("/")
    # Default slugs come from file names and are unique by construction; only the ones an
    # editor wrote are checked.
    for key, values in (("slug", [meta.get("slug", "")]), ("aliases", meta.get("aliases", ()))):
        for value in values:
            if key in meta and not valid_slug(value.strip("/")):
                line = parsed.key_lines.get(key, 1)
                message = f"front matter '{key}' has an unusable slug '{value}'"
                return None, [*problems, Problem(relpath, line, "bad-front-matter", message)]
    source = Source(
        path=relpath,
        locale=locale,
        category=category,
        slug=slug,
        meta=meta,
        body=parsed.body,
        body_line=parsed.body_line,
        updated=meta.get("updated", mtime),
        folder_locale=folder_locale,
        problems=problems,
        real_path=real_path,
    )
    source.meta["_key_lines"] = parsed.key_lines
    return source, problems

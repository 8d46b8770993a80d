"""Link targets of a knowledge base, and how a link or image in an article resolves to a URL."""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, unquote

from kbportal.content.models import Category
from kbportal.urls import article_path, category_path

log = logging.getLogger(__name__)

# Files served from the articles tree under /media/; anything else there is never served.
MEDIA_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".pdf"}
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_DATA_IMAGE = re.compile(r"^data:image/(gif|png|jpeg|webp);")  # never svg: it can script
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")

Kind = Literal[
    "anchor", "external", "article", "category", "media", "site", "missing", "outside", "unsafe"
]


@dataclass(frozen=True)
class Target:
    """What a link needs to know about an article it may point at."""

    key: str  # "locale/slug"
    path: str
    visibility: str = "public"
    draft: bool = False
    anchors: frozenset[str] = frozenset()  # heading ids; empty = unknown, not checked
    audience: tuple[str, ...] = ()  # staff groups of an internal target; () = all staff

    @property
    def locale(self) -> str:
        """The target's locale."""
        return self.key.partition("/")[0]

    @property
    def slug(self) -> str:
        """The target's slug."""
        return self.key.partition("/")[2]


@dataclass
class LinkTargets:
    """Everything in a KB a link can resolve to, without reading the KB again."""

    locales: tuple[str, ...] = ("en", "ru")
    # Mappings, not dicts: a publish reads them from the build store on demand (publish.targets)
    by_path: MutableMapping[str, Target] = field(default_factory=dict)  # source relpath -> target
    by_key: MutableMapping[str, Target] = field(default_factory=dict)  # "locale/slug" -> target
    aliases: dict[str, str] = field(default_factory=dict)  # "locale/old" -> "locale/slug"
    skipped: set[str] = field(default_factory=set)  # article files that did not publish
    media: set[str] = field(default_factory=set)  # relpaths of servable files
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)  # (locale, path)
    folders: set[tuple[str | None, str]] = field(default_factory=set)  # (locale folder, path)

    def add(self, target: Target) -> None:
        """Register (or replace) an article as a link target."""
        self.by_path[target.path] = target
        self.by_key[target.key] = target

    def remove(self, path: str) -> None:
        """Forget the article read from `path` (deleted or renamed)."""
        target = self.by_path.pop(path, None)
        if target is not None and self.by_key.get(target.key) == target:
            del self.by_key[target.key]

    def lookup(self, key: str) -> Target | None:
        """The article with this key or with it as an alias."""
        return self.by_key.get(key) or self.by_key.get(self.aliases.get(key, ""))


def reaches(visibility: str, audience: tuple[str, ...], target: Target) -> bool:
    """Whether everyone who may read an article (visibility, audience) may open the target.

    A link that some of its readers could follow only to a 404 is shown as plain text: it
    would tell them the target exists, and its slug.
    """
    if target.visibility == "public":
        return True
    if visibility == "public":
        return False
    if not target.audience:
        return True
    return bool(audience) and set(audience) <= set(target.audience)


@dataclass(frozen=True)
class Resolution:
    """Where a link goes: a URL to render, or why it is not a link."""

    kind: Kind
    url: str | None = None
    target: Target | None = None
    path: str | None = None  # the normalized relpath in the tree, for files
    category: Category | None = None


def media_url(relpath: str) -> str:
    """The site URL an articles-tree file is served from."""
    return "/media/" + quote(relpath)


def _scheme(href: str) -> str | None:
    """The URL scheme as a browser would see it (control characters and case ignored)."""
    cleaned = _CONTROL.sub("", unquote(href)).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def normalize_link(source_path: str, path: str) -> str | None:
    """A link path made relative to the articles root, or None if it leaves the tree."""
    path = unquote(path).replace("\\", "/")
    if "\x00" in path:
        return None
    joined = (
        path.lstrip("/")
        if path.startswith("/")
        else posixpath.join(posixpath.dirname(source_path), path)
    )
    normal = posixpath.normpath(joined) if joined else "."
    if normal == ".." or normal.startswith("../") or normal.startswith("/"):
        return None
    return normal


def resolve(href: str, *, source_path: str, locale: str, known: LinkTargets) -> Resolution:
    """Resolve a link written in the article at `source_path` against the known targets."""
    href = href.strip()
    if not href or href.startswith("#"):
        return Resolution("anchor", href)
    scheme = _scheme(href)
    if scheme is not None:
        return Resolution("external", href) if scheme in SAFE_SCHEMES else Resolution("unsafe")
    if href.startswith("//"):
        return Resolution("external", href)
    path, _, anchor = href.partition("#")
    path = path.partition("?")[0]
    anchor = unquote(anchor)
    if not path:
        return Resolution("anchor", "#" + anchor)
    if (
        href.startswith("/")
        and not path.endswith(".md")
        and (
            path.startswith("/media/")
            or path.count("/") > 1
            and path.split("/")[1] in known.locales
        )
    ):
        return _portal_url(href, path, anchor, known)
    normal = normalize_link(source_path, path)
    if normal is None:
        return Resolution("outside")
    target = known.by_path.get(normal)
    if target is None and not normal.endswith(".md"):
        target = known.by_path.get(normal + ".md")
    if target is None and normal in known.media:
        return Resolution("media", media_url(normal), path=normal)
    if target is None and not path.endswith(".md"):
        target = _by_slug(unquote(path).strip("/"), locale, known)
    if target is None and not path.endswith(".md"):
        category = _category(normal, locale, known)
        if category is not None:
            url = category_path(category.locale, category.path)
            return Resolution("category", url, category=category)
    if target is None:
        return Resolution("missing", path=normal)
    return Resolution("article", article_path(target.locale, target.slug, anchor), target=target)


def skipped_target(known: LinkTargets, source_path: str, href: str) -> str | None:
    """The skipped file a link points at, if it does (else None: it is simply missing)."""
    skipped = getattr(known, "skipped", None)  # builds from before this field have none
    if not skipped:
        return None
    path = href.partition("#")[0].partition("?")[0]
    normal = normalize_link(source_path, path) if path else None
    if normal is None:
        return None
    for candidate in (normal, normal + ".md"):
        if candidate in skipped:
            return candidate
    return None


def _portal_url(href: str, path: str, anchor: str, known: LinkTargets) -> Resolution:
    """A link written as a portal URL; article URLs are checked like any other article link."""
    _, locale, kind, slug = (path.split("/", 3) + ["", "", ""])[:4]
    if kind != "articles" or not slug:
        return Resolution("site", href)
    target = known.lookup(f"{locale}/{unquote(slug).strip('/')}")
    if target is None:
        return Resolution("missing", path=path)
    return Resolution("article", article_path(target.locale, target.slug, anchor), target=target)


def _category(normal: str, locale: str, known: LinkTargets) -> Category | None:
    """A link to a folder ("../billing/"): the category page in the folder's or article's locale."""
    first, _, rest = normal.partition("/")
    if first in known.locales:
        return known.categories.get((first, rest)) if rest else None
    return known.categories.get((locale, normal))


def _by_slug(slug: str, locale: str, known: LinkTargets) -> Target | None:
    """A slug link: "billing/refunds" in the article's locale, or "ru/billing/refunds"."""
    if not slug:
        return None
    found = known.lookup(f"{locale}/{slug}")
    if found is None and slug.partition("/")[0] in known.locales:
        found = known.lookup(slug)
    return found


def resolve_image(src: str, *, source_path: str, known: LinkTargets) -> Resolution:
    """Resolve an image source: a tree file becomes /media/..., remote ones stay as they are."""
    src = src.strip()
    scheme = _scheme(src)
    if scheme in ("http", "https") or src.startswith("//"):
        return Resolution("external", src)
    if scheme == "data" and _DATA_IMAGE.match(src.lower()):
        return Resolution("external", src)
    if scheme is not None:
        return Resolution("unsafe")
    normal = normalize_link(source_path, src.partition("#")[0].partition("?")[0])
    if normal is None:
        return Resolution("outside")
    if normal not in known.media:
        return Resolution("missing", media_url(normal), path=normal)
    return Resolution("media", media_url(normal), path=normal)

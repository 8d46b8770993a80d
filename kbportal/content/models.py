"""Values that flow through the content pipeline: articles, categories, problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Visibility = Literal["public", "internal"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Heading:
    """One heading of an article, as listed in its table of contents."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Section:
    """A heading-delimited part of an article: one search index entry each."""

    anchor: str  # "" for the part before the first heading
    title: str  # the heading text; the article title for the intro
    text: str  # plain text for indexing and snippets
    level: int = 1


@dataclass(frozen=True)
class Link:
    """A link from an article to another article or image, kept for checks."""

    target: str  # as written in the markdown
    line: int
    kind: Literal["article", "image", "external", "media"] = "article"
    resolved: str | None = None  # "locale/slug" for articles, relative path for images/media


@dataclass(frozen=True)
class Problem:
    """Something wrong with the content, reported with its file and line."""

    path: str  # relative to the articles folder, posix
    line: int
    code: str  # short machine name, e.g. "bad-front-matter", "duplicate-slug"
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Category:
    """A folder of articles, with the optional title, description and order from its file."""

    locale: str
    path: str  # e.g. "billing/invoices"; "" is the root
    title: str
    description: str = ""
    order: int | None = None
    visibility: Visibility = "public"
    # Staff groups that may see what is below (an internal folder); () = all staff. Narrowed
    # from the parent folder's down, never widened.
    audience: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        """The parent category's path, or None for the root."""
        if not self.path:
            return None
        return self.path.rpartition("/")[0]


# Slots: a serving worker keeps a listing record of every article (~7 MB less at 100k).
@dataclass(frozen=True, slots=True)
class Article:
    """One rendered article: everything a page, the index and the checks need."""

    locale: str
    slug: str  # unique within its locale
    path: str  # source file relative to the articles folder, posix
    title: str
    html: str
    category: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    visibility: Visibility = "public"
    audience: tuple[str, ...] = ()  # agent groups that may see an internal article; () = all staff
    draft: bool = False
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    order: int | None = None
    updated: datetime | None = None
    publish_at: datetime | None = None
    template: bool = False  # an internal reply template with {{placeholders}}
    toc: tuple[Heading, ...] = ()
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    authors: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()  # customers' phrasings the article answers (front matter)
    id: str = ""  # front matter `id`: a stable permalink key that survives slug changes
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """The article's identity across the system: "locale/slug"."""
        return f"{self.locale}/{self.slug}"

    @property
    def is_public(self) -> bool:
        """Whether a customer may see it (public and not a draft)."""
        return self.visibility == "public" and not self.draft

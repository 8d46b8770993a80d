"""The content pipeline as publishing calls it: whole-KB loads, one-file loads, link targets."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from kbportal.content import loader
from kbportal.content.limits import DEFAULT_LIMITS, Limits
from kbportal.content.links import LinkTargets, Target
from kbportal.content.models import Article, Problem
from kbportal.content.request_file import read_request_types
from kbportal.content.request_types import RequestTypes

log = logging.getLogger(__name__)


def _locales(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The configured locales as a tuple."""
    value = config["LOCALES"]
    return tuple(value.split(",")) if isinstance(value, str) else tuple(value)


class Metadata(Protocol):
    """Where dates and authors come from besides the files (e.g. git history)."""

    def updated_for(self, relpath: str) -> datetime | None:
        """When the file last changed; None falls back to front matter or file time."""

    def enrich(self, article: Article) -> Article:
        """The article with anything else known about it (e.g. its authors)."""


def limits_of(config: Mapping[str, Any]) -> Limits:
    """The content size limits a deployment set (defaults for settings made elsewhere)."""
    return Limits(
        article_bytes=int(config.get("MAX_ARTICLE_BYTES") or DEFAULT_LIMITS.article_bytes),
        headings=int(config.get("MAX_HEADINGS") or DEFAULT_LIMITS.headings),
    )


def load_kb(
    config: Mapping[str, Any], metadata: Metadata | None = None, procs: int = 1
) -> loader.KnowledgeBase:
    """Load and check every article of the configured folder (rendered in `procs` processes)."""
    kb = loader.load_knowledge_base(
        Path(config["ARTICLES_DIR"]),
        locales=_locales(config),
        default_locale=config["DEFAULT_LOCALE"],
        updated_for=metadata.updated_for if metadata else None,
        limits=limits_of(config),
        procs=procs,
    )
    if metadata is not None:
        kb.articles = {key: metadata.enrich(a) for key, a in kb.articles.items()}
    kb.problems.extend(load_request_types(config, kb)[1])  # `kbportal check` reports them too
    return kb


def load_request_types(
    config: Mapping[str, Any], kb: loader.KnowledgeBase
) -> tuple[RequestTypes, list[Problem]]:
    """The request form's types from `_requests.yml`, checked against the loaded articles."""
    return read_request_types(
        Path(config["ARTICLES_DIR"]),
        locales=_locales(config),
        articles=kb.articles,
        categories={f"{locale}/{path}" for locale, path in kb.categories},
    )


def load_one(
    config: Mapping[str, Any],
    relpath: str,
    known: LinkTargets,
    metadata: Metadata | None = None,
) -> tuple[Article | None, list[Problem]]:
    """Load one article file, resolving its links against the rest of the KB."""
    article, problems = loader.load_article(
        Path(config["ARTICLES_DIR"]),
        relpath,
        known=known,
        locales=_locales(config),
        default_locale=config["DEFAULT_LOCALE"],
        updated_for=metadata.updated_for if metadata else None,
        limits=limits_of(config),
    )
    if article is not None and metadata is not None:
        article = metadata.enrich(article)
    return article, problems


def targets_of(kb: loader.KnowledgeBase) -> LinkTargets:
    """The link targets of a whole KB, kept in the build for later incremental updates."""
    return kb.targets


def target_of(article: Article) -> Target:
    """An article as a link target."""
    return Target(
        article.key, article.path, article.visibility, article.draft, audience=article.audience
    )


def alias_redirects(aliases: Mapping[str, str], published: Iterable[Article]) -> dict[str, str]:
    """Alias redirects ("locale/old" -> "locale/slug") whose target is published."""
    live = {a.key for a in published}
    return {old: new for old, new in aliases.items() if new in live and old not in live}


def article_aliases(article: Article) -> dict[str, str]:
    """One article's front-matter aliases as redirects to it."""
    return {
        f"{article.locale}/{alias.strip('/')}": article.key
        for alias in article.aliases
        if alias.strip("/")
    }

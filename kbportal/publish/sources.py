"""The content pipeline as publishing calls it: whole-KB loads, one-file loads, link targets."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kbportal.content import loader
from kbportal.content.links import LinkTargets, Target
from kbportal.content.models import Article, Problem

log = logging.getLogger(__name__)


def _locales(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The configured locales as a tuple."""
    value = config["LOCALES"]
    return tuple(value.split(",")) if isinstance(value, str) else tuple(value)


def load_kb(config: Mapping[str, Any]) -> loader.KnowledgeBase:
    """Load and check every article of the configured folder."""
    return loader.load_knowledge_base(
        Path(config["ARTICLES_DIR"]),
        locales=_locales(config),
        default_locale=config["DEFAULT_LOCALE"],
    )


def load_one(
    config: Mapping[str, Any], relpath: str, known: LinkTargets
) -> tuple[Article | None, list[Problem]]:
    """Load one article file, resolving its links against the rest of the KB."""
    return loader.load_article(
        Path(config["ARTICLES_DIR"]),
        relpath,
        known=known,
        locales=_locales(config),
        default_locale=config["DEFAULT_LOCALE"],
    )


def targets_of(kb: loader.KnowledgeBase) -> LinkTargets:
    """The link targets of a whole KB, kept in the build for later incremental updates."""
    return kb.targets


def target_of(article: Article) -> Target:
    """An article as a link target."""
    return Target(article.key, article.path, article.visibility, article.draft)


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

"""Checks across articles: links, images, related articles, aliases, categories."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import unquote

from kbportal.content.links import LinkTargets, reaches, skipped_target
from kbportal.content.models import Article, Problem, Severity

log = logging.getLogger(__name__)


def _line(article: Article, key: str) -> int:
    """The file line of a front matter key (1 when unknown)."""
    lines = article.extra.get("lines")
    return lines.get(key, 1) if isinstance(lines, dict) else 1


def _anchor(href: str) -> str:
    """The fragment of a link as written, decoded."""
    return unquote(href.partition("#")[2])


def check_article(article: Article, known: LinkTargets) -> list[Problem]:
    """Problems of one article measured against the rest of the knowledge base."""
    problems: list[Problem] = []

    def report(line: int, code: str, message: str, severity: Severity = "error") -> None:
        problems.append(Problem(article.path, line, code, message, severity))

    public = article.visibility == "public"
    for link in article.links:
        if link.kind == "article":
            target = known.lookup(link.resolved) if link.resolved else None
            skipped = skipped_target(known, article.path, link.target) if not target else None
            if skipped:
                message = f"link to '{link.target}': {skipped} is skipped (see its own problems)"
                report(link.line, "link-to-skipped", message)
            elif target is None:
                report(link.line, "missing-link", f"link to a missing article '{link.target}'")
            elif public and target.visibility != "public":
                report(
                    link.line,
                    "internal-link",
                    f"public article links to internal '{target.key}' (shown as plain text)",
                )
            elif not reaches(article.visibility, article.audience, target):
                # Not naming the target: this article's readers see its problems on
                # /staff/problems, and the target is one some of them may not open.
                message = "links to an article fewer staff groups may open (shown as plain text)"
                report(link.line, "internal-link", message)
            elif target.anchors and _anchor(link.target) not in ("", *target.anchors):
                message = f"'{target.key}' has no heading '#{_anchor(link.target)}'"
                report(link.line, "missing-anchor", message, "warning")
            elif target.draft and not article.draft:
                report(
                    link.line,
                    "link-to-draft",
                    f"link to draft '{target.key}' (shown as plain text)",
                    "warning",
                )
        elif link.kind in ("image", "media") and link.resolved not in known.media:
            what = "image" if link.kind == "image" else "file"
            report(link.line, f"missing-{what}", f"{what} '{link.target}' does not exist")
    for related in article.related:
        slug = related.strip("/")
        found = known.lookup(f"{article.locale}/{slug}")
        if found is None and slug.partition("/")[0] in known.locales:
            found = known.lookup(slug)
        if found is None:
            report(
                _line(article, "related"),
                "missing-related",
                f"related article '{related}' does not exist",
                "warning",
            )
    lines = article.extra.get("lines")
    if isinstance(lines, dict) and "category" in lines and article.category:
        folder = (article.locale, article.category) in known.folders or (
            None,
            article.category,
        ) in known.folders
        if not folder:
            message = f"category '{article.category}' has no folder or category file"
            report(_line(article, "category"), "unknown-category", message, "warning")
    return problems


def check_knowledge_base(articles: Mapping[str, Article], known: LinkTargets) -> list[Problem]:
    """Every cross-article problem: each article's links, plus alias conflicts."""
    problems: list[Problem] = []
    claimed: dict[str, Article] = {}
    for article in sorted(articles.values(), key=lambda item: item.path):
        problems.extend(check_article(article, known))
        for alias in article.aliases:
            key = f"{article.locale}/{alias}"
            line = _line(article, "aliases")
            holder = claimed.get(key)
            if key in articles:
                owner = articles[key].path
                message = f"alias '{alias}' is the slug of {owner} (alias ignored)"
                problems.append(Problem(article.path, line, "alias-is-slug", message))
            elif holder is not None and holder.key != article.key:
                message = f"alias '{alias}' is already an alias of {holder.path} (ignored here)"
                problems.append(Problem(article.path, line, "duplicate-alias", message))
            else:
                claimed[key] = article
    return problems

"""Load an articles folder into a KnowledgeBase: articles, categories, aliases and problems."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from kbportal.content import parallel, skipped
from kbportal.content.categories import CATEGORY_FILE, build_categories, read_category_file
from kbportal.content.checks import check_article, check_knowledge_base
from kbportal.content.limits import DEFAULT_LIMITS, Limits, TooLarge
from kbportal.content.links import LinkTargets, Target
from kbportal.content.models import Article, Category, Problem, Section
from kbportal.content.placement import folder_audience, internal_folder, refusal
from kbportal.content.render import render_body
from kbportal.content.source import Source, disk_place, read_source, scan, split_locale

log = logging.getLogger(__name__)

UpdatedFor = Callable[[str], datetime | None]
"""Gives a file's last-changed time by relpath (e.g. from git); None falls back to mtime."""


@dataclass
class KnowledgeBase:
    """Every article that parsed (drafts included), its categories, aliases and problems."""

    articles: dict[str, Article] = field(default_factory=dict)  # by "locale/slug"
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # "locale/old" -> "locale/slug"
    targets: LinkTargets = field(default_factory=LinkTargets)  # for load_article later

    def by_path(self, relpath: str) -> Article | None:
        """The article read from a file, if it published."""
        target = self.targets.by_path.get(relpath)
        return self.articles.get(target.key) if target else None

    def backlinks(self, key: str) -> list[str]:
        """Keys of articles linking to `key` (to re-render when it changes visibility or goes)."""
        return sorted(
            article.key
            for article in self.articles.values()
            if any(link.resolved == key for link in article.links if link.kind == "article")
        )


def target_for(article: Article) -> Target:
    """The link target an article offers to the rest of the KB (with its heading anchors)."""
    anchors = article.extra.get("anchors")  # a list once an article went through JSON
    known = anchors if isinstance(anchors, list | tuple | set | frozenset) else ()
    return Target(
        article.key,
        article.path,
        article.visibility,
        article.draft,
        frozenset(known),
        tuple(article.audience),
    )


def load_knowledge_base(
    articles_dir: Path,
    *,
    locales: tuple[str, ...] = ("en", "ru"),
    default_locale: str = "en",
    updated_for: UpdatedFor | None = None,
    limits: Limits = DEFAULT_LIMITS,
    procs: int = 1,
) -> KnowledgeBase:
    """Read, validate and render the whole articles folder; broken files become problems.

    `procs` > 1 renders the articles in that many processes (content.parallel), with the
    same outcome.
    """
    root = Path(articles_dir)
    locales = tuple(locales) if default_locale in locales else (default_locale, *locales)
    tree = scan(root)
    kb = KnowledgeBase(targets=LinkTargets(locales=locales, media=set(tree.media)))
    problems: list[Problem] = list(tree.refused)
    sources: list[Source] = []
    bad_front_matter: list[str] = []
    for relpath in tree.articles:
        source, found = read_source(
            root, relpath, locales=locales, default_locale=default_locale, limits=limits
        )
        problems.extend(found)
        if source is not None:
            sources.append(source)
        elif any(p.code in skipped.FRONT_MATTER_CODES for p in found):
            bad_front_matter.append(relpath)

    files, needed = _category_files(root, tree.category_files, locales, problems, limits)
    for folder in tree.folders:
        locale, inner = _folder_locale(folder, locales)
        if inner:  # a folder of images only is not a category: only article folders are
            kb.targets.folders.add((locale, inner))
    needed.update((source.locale, source.category) for source in sources if source.category)
    kb.targets.folders.update(key for key in files if key[1])
    kb.categories = kb.targets.categories = build_categories(needed, files, locales, problems)

    kept: list[Source] = []
    for source in sources:
        holder = kb.targets.by_key.get(source.key)
        if holder is not None:
            line = source.meta["_key_lines"].get("slug", 1)
            message = f"slug '{source.slug}' is already used by {holder.path}; file skipped"
            problems.append(Problem(source.path, line, "duplicate-slug", message))
            continue
        if not _place_visibility(source, kb.targets, default_locale, problems):
            continue
        kb.targets.add(_target(source))
        kept.append(source)
    for source in kept:
        for alias in source.meta.get("aliases", ()):
            alias_key = f"{source.locale}/{alias.strip('/')}"
            if alias_key not in kb.targets.by_key:
                kb.aliases.setdefault(alias_key, source.key)
    kb.targets.aliases = dict(kb.aliases)

    render = partial(_render, known=kb.targets, updated_for=updated_for, limits=limits)
    for article, found in _render_all(kept, kb.targets, render, procs):
        problems.extend(found)
        if article is not None:
            kb.articles[article.key] = article
    for article in kb.articles.values():  # now that every article's headings are known
        kb.targets.add(target_for(article))
    kb.targets.skipped = skipped.skipped_files(tree.articles, kb.articles.values())
    problems.extend(check_knowledge_base(kb.articles, kb.targets))
    for relpath in bad_front_matter:  # one pass: their links and images too, not later
        problems.extend(skipped.body_problems(root, relpath, kb.targets, locales, default_locale))
    kb.problems = sorted(problems, key=lambda p: (p.path, p.line, p.code))
    log.info("loaded %d articles, %d problems from %s", len(kb.articles), len(problems), root)
    return kb


def load_article(
    articles_dir: Path,
    relpath: str,
    *,
    known: LinkTargets,
    locales: tuple[str, ...] = ("en", "ru"),
    default_locale: str = "en",
    updated_for: UpdatedFor | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Article | None, list[Problem]]:
    """Read and render one changed file against the rest of the KB (`known` is not modified).

    A new or changed `_category.yml` needs a full load_knowledge_base; so does a file that
    takes a slug from one earlier in path order.
    """
    root = Path(articles_dir)
    locales = tuple(locales)
    source, problems = read_source(
        root, relpath, locales=locales, default_locale=default_locale, limits=limits
    )
    if source is None:
        return None, problems
    holder = known.by_key.get(source.key)
    if holder is not None and holder.path != relpath and holder.path < relpath:
        line = source.meta["_key_lines"].get("slug", 1)
        message = f"slug '{source.slug}' is already used by {holder.path}; file skipped"
        return None, [*problems, Problem(relpath, line, "duplicate-slug", message)]
    if not _place_visibility(source, known, default_locale, problems):
        return None, sorted(problems, key=lambda p: (p.line, p.code))
    article, found = _render(source, known, updated_for, limits)
    problems.extend(found)
    if article is not None:
        problems.extend(check_article(article, known))
    return article, sorted(problems, key=lambda p: (p.line, p.code))


def _folder_locale(folder: str, locales: tuple[str, ...]) -> tuple[str | None, str]:
    """(locale, path below the locale folder) of a folder; a bare locale folder is the root."""
    if folder in locales:
        return folder, ""
    return split_locale(folder, locales)


def _category_files(
    root: Path,
    relpaths: list[str],
    locales: tuple[str, ...],
    problems: list[Problem],
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[dict[tuple[str | None, str], dict[str, Any]], set[tuple[str, str]]]:
    """Category file settings by (locale or None, folder path), and the categories named."""
    files: dict[tuple[str | None, str], dict[str, Any]] = {}
    needed: set[tuple[str, str]] = set()
    for relpath in relpaths:
        folder, _, name = relpath.rpartition("/")
        folder_locale, path = _folder_locale(folder, locales)
        match = CATEGORY_FILE.match(name)
        name_locale = match.group(1) if match else None
        if name_locale and (name_locale not in locales or folder_locale not in (None, name_locale)):
            message = f"category file for locale '{name_locale}' does not apply here (ignored)"
            problems.append(Problem(relpath, 1, "locale-mismatch", message, "warning"))
            continue
        data, found = read_category_file(root, relpath, limits.category_bytes)
        problems.extend(found)
        locale = name_locale or folder_locale
        files[(locale, path)] = {**files.get((locale, path), {}), **data}
        if path:  # the articles root (or a locale folder) is no category, but may be internal
            needed.update((one, path) for one in ([locale] if locale else locales))
    return files, needed


def _place_visibility(
    source: Source, known: LinkTargets, default_locale: str, problems: list[Problem]
) -> bool:
    """Make the article internal wherever its file or its listing is; False: skip the file.

    Where the file is on disk (and where a symlink leads) decides; front matter can only
    narrow: `category:` and `locale:` move the listing, never the visibility.
    """
    meta, locales = source.meta, known.locales
    lines: dict[str, int] = meta["_key_lines"]
    if source.real_path and source.real_path != source.path:
        locale, folder = disk_place(source.real_path, locales, default_locale)
        target_internal = internal_folder(known.categories, (locale, source.locale), folder)
        if target_internal or meta.get("visibility") == "internal" or meta.get("audience"):
            reason = "symlink to an internal file"  # not named: all staff see this problem
            problems.append(refusal(source.path, reason))
            return False
    locale, folder = disk_place(source.path, locales, default_locale)
    on_disk = internal_folder(known.categories, (locale, source.locale), folder)
    listed = internal_folder(known.categories, (source.locale,), source.category)
    said_public = meta.get("visibility") == "public"
    if on_disk is not None and listed is None:
        key = next((k for k in ("category", "locale") if k in lines), "visibility")
        message = (
            f"the file is in internal folder '{on_disk.path}': front matter '{key}' cannot list "
            "it in a public place; it stays internal"
        )
        problems.append(Problem(source.path, lines.get(key, 1), "visibility-escape", message))
    elif (on_disk or listed) is not None and said_public:
        category = on_disk or listed
        assert category is not None
        message = f"category '{category.path}' is internal, so this article is too"
        line = lines.get("visibility", 1)
        problems.append(Problem(source.path, line, "visibility-conflict", message, "warning"))
    if on_disk is not None or listed is not None:
        meta["visibility"] = "internal"
    if not _place_audience(source, known, (locale, folder), problems):
        return False
    if meta.get("audience") and meta.get("visibility") != "internal":
        # An audience names the staff groups who may read it: never a public page.
        if said_public:
            message = "an article with an audience is internal to those groups"
            line = lines.get("visibility", 1)
            problems.append(Problem(source.path, line, "visibility-conflict", message, "warning"))
        meta["visibility"] = "internal"
    return True


def _place_audience(
    source: Source, known: LinkTargets, disk: tuple[str, str], problems: list[Problem]
) -> bool:
    """Give the article the staff groups of its folders (on disk and listed); False: skip it.

    Front matter may narrow a folder's audience, never widen it: groups outside it are an
    error and dropped; none left means no one may read it as written, so it is skipped.
    """
    meta, (locale, folder) = source.meta, disk
    restrictions = [
        found
        for found in (
            folder_audience(known.categories, (locale, source.locale), folder),
            folder_audience(known.categories, (source.locale,), source.category),
        )
        if found is not None
    ]
    if not restrictions:
        return True
    allowed = [g for g in restrictions[0] if all(g in other for other in restrictions[1:])]
    said: tuple[str, ...] = tuple(meta.get("audience", ()))
    kept = tuple(g for g in said if g in allowed) if said else tuple(allowed)
    line = meta["_key_lines"].get("audience") or meta["_key_lines"].get("category", 1)
    if not kept:
        message = (
            f"its folders are for {', '.join(allowed) or 'no group in common'} and its front "
            f"matter for {', '.join(said) or 'all staff'}: no one may read it; file skipped"
        )
        problems.append(Problem(source.path, line, "audience-escape", message))
        return False
    if len(kept) < len(said):
        wider = ", ".join(g for g in said if g not in kept)
        message = (
            f"audience {wider} is not in its folder's audience ({', '.join(allowed)}): "
            "front matter may only narrow it; those groups cannot read it"
        )
        problems.append(Problem(source.path, line, "audience-escape", message))
    meta["audience"], meta["visibility"] = kept, "internal"
    return True


def _render_all(
    kept: list[Source],
    known: LinkTargets,
    render: Callable[[Source], tuple[Article | None, list[Problem]]],
    procs: int,
) -> list[tuple[Article | None, list[Problem]]]:
    """Render every placed source; a file that fails to render is no link target after all.

    Every article is first rendered against all placed files, in any order or process; an
    article that linked to one that then failed is rendered again without it, so its link
    is reported missing whichever file came first (and however the work was split).
    """
    results = parallel.map_in_order(render, kept, procs)
    again = list(range(len(kept)))
    while True:
        failed = {s.key for s, (a, _) in zip(kept, results, strict=True) if a is None}
        failed &= known.by_key.keys()
        if not failed:
            return results
        for source in kept:
            if source.key in failed:
                known.remove(source.path)  # nothing to link to after all
        again = [i for i in again if (a := results[i][0]) is not None and _links_to(a, failed)]
        for i in again:
            results[i] = render(kept[i])


def _links_to(article: Article, keys: set[str]) -> bool:
    """Whether the article links to one of the keys (directly or by an alias)."""
    return any(link.kind == "article" and link.resolved in keys for link in article.links)


def _target(source: Source) -> Target:
    """The link target a source will become."""
    meta = source.meta
    visibility = meta.get("visibility", "public")
    audience = tuple(meta.get("audience", ()))
    return Target(source.key, source.path, visibility, meta.get("draft", False), audience=audience)


def _render(
    source: Source,
    known: LinkTargets,
    updated_for: UpdatedFor | None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Article | None, list[Problem]]:
    """Render a placed source into its Article; a renderer failure skips only this file."""
    if not source.body.strip():
        # An empty file, or front matter alone: a page with nothing to read helps no customer.
        message = "the article has no text (only front matter, or an empty file); file skipped"
        line = max(1, source.body_line - 1)  # the closing `---` of front matter alone
        return None, [Problem(source.path, line, "empty-article", message)]
    try:
        return _render_article(source, known, updated_for, limits)
    except TooLarge as error:
        line = source.body_line + error.line
        return None, [Problem(source.path, line, error.code, str(error))]
    except Exception as error:  # one odd file (or a plugin bug) must not stop the whole KB
        log.exception("rendering %s failed", source.path)
        message = f"could not render: {type(error).__name__}: {error}"
        return None, [Problem(source.path, source.body_line, "render-failed", message)]


def _render_article(
    source: Source,
    known: LinkTargets,
    updated_for: UpdatedFor | None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Article, list[Problem]]:
    """Render a placed source into its Article."""
    meta = source.meta
    visibility = meta.get("visibility", "public")
    rendered = render_body(
        source.body,
        path=source.path,
        locale=source.locale,
        known=known,
        body_line=source.body_line,
        title=meta.get("title"),
        public=visibility == "public",
        audience=tuple(meta.get("audience", ())),
        limits=limits,
    )
    title = rendered.title or source.slug.rpartition("/")[2]
    sections = rendered.sections
    if sections and not sections[0].title:
        intro = sections[0]
        sections = (Section(intro.anchor, title, intro.text, intro.level), *sections[1:])
    updated = source.updated
    if "updated" not in meta and updated_for is not None:
        updated = updated_for(source.path) or updated
    article = Article(
        locale=source.locale,
        slug=source.slug,
        path=source.path,
        title=title,
        html=rendered.html,
        category=source.category,
        summary=meta.get("summary") or rendered.summary,
        tags=meta.get("tags", ()),
        visibility=visibility,
        audience=meta.get("audience", ()),
        draft=meta.get("draft", False),
        aliases=tuple(alias.strip("/") for alias in meta.get("aliases", ())),
        related=meta.get("related", ()),
        order=meta.get("order"),
        updated=updated,
        publish_at=meta.get("publish_at"),
        template=meta.get("template", False),
        toc=rendered.toc,
        sections=sections,
        links=rendered.links,
        authors=meta.get("authors", ()),
        questions=meta.get("questions", ()),
        id=meta.get("id", ""),
        extra={
            "lines": meta["_key_lines"],
            "body_line": source.body_line,
            "anchors": rendered.anchors,
        },
    )
    return article, rendered.problems

"""Applying changed source files to a copied build: articles, links, redirects, problems."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from kbportal.content.categories import folder_title
from kbportal.content.links import LinkTargets
from kbportal.content.models import Article, Category, Problem
from kbportal.publish import records, sources, store
from kbportal.publish import targets as targets_store
from kbportal.publish.bodies import BodyWriter
from kbportal.publish.manifest import file_hash, status_of, utc

log = logging.getLogger(__name__)


class Changes:
    """The article-level effect of a set of file changes on one build being assembled."""

    def __init__(
        self,
        config: Mapping[str, Any],
        conn: sqlite3.Connection,
        now: datetime,
        metadata: sources.Metadata | None,
    ) -> None:
        self.config = config
        self.conn = conn
        self.now = now
        self.metadata = metadata
        self.root = Path(config["ARTICLES_DIR"])
        # Read on demand, never whole: a publish costs what it touches, not the KB's size.
        self.files: dict[str, records.FileEntry | None] = {}  # entries before this change
        targets = targets_store.load(conn)
        if targets is None:
            raise RuntimeError("the current build has no link targets; run a full build")
        self.targets: LinkTargets = targets
        self.live: set[str] = set()  # of the changed keys, those published before (see write)
        self.gone: set[str] = set()  # keys to delete from the store and the index
        self.upserts: dict[str, Article] = {}
        self.problems: dict[str, list[Problem]] = {}  # by path: a re-load replaces them
        self.redirects: dict[str, str] = {}  # old key -> new key from renames and slug changes

    def _entry(self, path: str) -> records.FileEntry | None:
        """A file's manifest entry as it was before this change."""
        if path not in self.files:
            self.files[path] = records.file_entry(self.conn, path)
        return self.files[path]

    def key_of(self, path: str) -> str | None:
        """The article key a file has now (the manifest is updated as files are applied)."""
        return records.key_of(self.conn, path)

    def remove(self, path: str) -> None:
        """A deleted file (or the old side of a rename)."""
        entry = self._entry(path)
        key = entry.key if entry else None
        if key:
            self.gone.add(key)
        self.targets.remove(path)
        self.targets.media.discard(path)
        self.problems[path] = []
        records.delete_files(self.conn, [path])

    def media(self, path: str) -> None:
        """A new or changed image: it becomes a link target."""
        self.targets.media.add(path)
        records.put_files(
            self.conn, [records.FileEntry(path, file_hash(self.root / path), None, "media")]
        )

    def load(self, path: str) -> None:
        """Read and render one article file, and record what became of it."""
        article, found = sources.load_one(self.config, path, self.targets, self.metadata)
        self.problems[path] = list(found)
        digest = file_hash(self.root / path)
        self._entry(path)
        previous = self.key_of(path)
        if article is None:
            self._skip(path, digest, previous)
            return
        owner = self.targets.by_key.get(article.key)
        if owner is not None and owner.path != path and (self.root / owner.path).is_file():
            if owner.path < path:  # the earlier path keeps the slug, as in a full build
                message = f"slug '{article.slug}' is already used by {owner.path}; file skipped"
                self.problems[path].append(Problem(path, 1, "duplicate-slug", message))
                self._skip(path, digest, previous)
                return
            message = f"slug '{article.slug}' is now taken by {path}; file skipped"
            self.problems.setdefault(owner.path, []).append(
                Problem(owner.path, 1, "duplicate-slug", message)
            )
            self._entry(owner.path)
            records.put_files(self.conn, [records.FileEntry(owner.path, "", None, "skipped")])
            self.targets.remove(owner.path)
        if previous and previous != article.key:
            self.gone.add(previous)
            self.redirects[previous] = article.key
        self.targets.remove(path)
        self.targets.add(sources.target_of(article))
        status = status_of(article, self.now)
        when = utc(article.publish_at).isoformat() if article.publish_at else None
        records.put_files(self.conn, [records.FileEntry(path, digest, article.key, status, when)])
        if status == "published":
            self.upserts[article.key] = article
            self.gone.discard(article.key)
        else:
            self.upserts.pop(article.key, None)
            self.gone.add(article.key)

    def _skip(self, path: str, digest: str, previous: str | None) -> None:
        """A file that did not become an article (broken or a duplicate)."""
        self.targets.remove(path)
        if previous and previous not in self.targets.by_key:  # not taken over by another file
            self.gone.add(previous)
            self.upserts.pop(previous, None)
        records.put_files(self.conn, [records.FileEntry(path, digest, None, "skipped")])

    def rename(self, old_path: str, new_path: str) -> None:
        """Record old key -> new key for a moved file (its old URL keeps working)."""
        old = self._entry(old_path)
        new_key = self.key_of(new_path)
        if old and old.key and new_key and old.key != new_key and new_key in self.upserts:
            self.redirects[old.key] = new_key

    def backlinks(self) -> list[str]:
        """Unchanged articles to re-render: they link to one that went or changed visibility.

        A public article's link to an article that became internal must turn into plain text,
        and a link to a removed article is now broken; new articles may mend broken links.
        """
        touched = set(self.gone)
        before = records.visibilities(self.conn, list(self.upserts))
        touched.update(  # who may follow a link to it changed: visibility or audience
            k
            for k, a in self.upserts.items()
            if before.get(k, (a.visibility, a.audience)) != (a.visibility, a.audience)
        )
        keys = records.linking_keys(self.conn, touched)
        paths = records.paths_of(self.conn, keys)
        if store.missing_keys(self.conn, self.upserts):
            paths.update(records.paths_with_problem(self.conn, "missing-link"))
        loaded = {a.path for a in self.upserts.values()} | set(self.problems)
        return sorted(p for p in paths if p not in loaded and (self.root / p).is_file())

    def write(self, writer: BodyWriter) -> None:
        """Store the changed articles (their bodies appended by `writer`) and what derives."""
        self.gone -= self.upserts.keys()
        conn, upserts = self.conn, list(self.upserts.values())
        before = records.visibilities(conn, sorted(self.gone | self.upserts.keys()))
        self.live = set(before)
        total, public, _ = store.all_counts(conn)
        total += len(upserts) - len(before)
        public += sum(a.visibility == "public" for a in upserts)
        public -= sum(visibility == "public" for visibility, _ in before.values())
        store.set_counts(conn, total, public)
        _, live = store.bodies_of(conn)
        live -= store.body_bytes(conn, self.gone | self.upserts.keys())
        start = writer.end
        store.delete_articles(conn, self.gone)
        records.delete_refs(conn, self.gone | self.upserts.keys())
        store.put_articles(conn, upserts, writer)
        store.set_bodies(conn, writer.end, live + writer.end - start)
        records.put_refs(conn, upserts)
        records.delete_redirects_to(conn, self.upserts.keys(), "alias")
        for article in upserts:
            records.put_redirects(conn, sources.article_aliases(article), "alias")
        for old_key, new_key in self.redirects.items():
            records.repoint_redirects(conn, old_key, new_key)
        records.put_redirects(conn, self.redirects, "rename")
        self._add_categories(upserts)
        records.delete_problems(conn, self.problems)
        records.put_problems(conn, [p for found in self.problems.values() for p in found])
        targets_store.write(conn, self.targets)

    def _add_categories(self, articles: list[Article]) -> None:
        """Add folders that new articles brought with them (titled from the folder name)."""
        known = {(c.locale, c.path) for c in store.categories(self.conn)}
        new: list[Category] = []
        for article in articles:
            parts = article.category.split("/") if article.category else []
            for depth in range(1, len(parts) + 1):
                path = "/".join(parts[:depth])
                if (article.locale, path) not in known:
                    known.add((article.locale, path))
                    new.append(Category(article.locale, path, folder_title(path)))
        for category in new:
            self.targets.categories.setdefault((category.locale, category.path), category)
        store.add_categories(self.conn, new)

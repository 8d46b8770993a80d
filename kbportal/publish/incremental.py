"""Incremental updates: re-render and re-index only the changed files, on a copy, then swap."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbportal.content.models import Category, Problem
from kbportal.publish import layout, sources, store
from kbportal.publish.builder import full_build
from kbportal.publish.manifest import (
    BuildReport,
    EmptyBuildError,
    file_hash,
    kind_of,
    normalize,
    status_of,
    utc,
)
from kbportal.search import update_index

log = logging.getLogger(__name__)


def update(
    config: Mapping[str, Any],
    changed: Iterable[str],
    removed: Iterable[str],
    renamed: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> BuildReport:
    """Publish changed, removed and renamed source files (paths relative to the articles folder).

    Renamed old slugs become redirects. Falls back to a full build when there is no build yet
    or a category file changed (it can change the title, order or visibility of a whole folder).
    """
    renamed = dict(renamed or {})
    changed_paths = _clean([*changed, *renamed.values()])
    removed_paths = _clean([*removed, *renamed.keys()]) - changed_paths
    data_dir = Path(config["DATA_DIR"])
    with layout.writer_lock(data_dir):
        current = layout.current_build(data_dir)
        touched = changed_paths | removed_paths
        if current is None or any(kind_of(p) == "category" for p in touched):
            return full_build(config, now=now)
        return _update(config, current, changed_paths, removed_paths, renamed, now)


def publish_due(config: Mapping[str, Any], now: datetime | None = None) -> BuildReport | None:
    """Publish scheduled articles whose `publish_at` has come; None if none is due."""
    now = now or datetime.now(UTC)
    current = layout.current_build(Path(config["DATA_DIR"]))
    if current is None:
        return None
    conn = store.open_readonly(current / "content.sqlite")
    try:
        due = [
            e.path
            for e in store.files(conn).values()
            if e.status == "scheduled"
            and e.publish_at
            and datetime.fromisoformat(e.publish_at) <= now
        ]
    finally:
        conn.close()
    return update(config, due, [], now=now) if due else None


def _clean(paths: Iterable[str]) -> set[str]:
    """Usable relative paths (anything escaping the tree is dropped with a warning)."""
    result = set()
    for path in paths:
        rel = normalize(path)
        if rel is None:
            log.warning("ignoring unusable changed path %r", path)
        else:
            result.add(rel)
    return result


def copy_build(source: Path, target: Path) -> None:
    """Copy a build: the SQLite file by value, the index files by hard link.

    Whoosh never rewrites an existing file (a commit writes new segment and TOC files and
    deletes unused ones), so linked files stay correct for the build they came from.
    """
    shutil.copyfile(source / "content.sqlite", target / "content.sqlite")
    (target / "index").mkdir()
    for entry in os.scandir(source / "index"):
        if entry.is_file() and not entry.name.endswith(".lock") and "LOCK" not in entry.name:
            try:
                os.link(entry.path, target / "index" / entry.name)
            except OSError:  # another filesystem or no link support: copy instead
                shutil.copyfile(entry.path, target / "index" / entry.name)


def _update(
    config: Mapping[str, Any],
    current: Path,
    changed: set[str],
    removed: set[str],
    renamed: Mapping[str, str],
    now: datetime | None,
) -> BuildReport:
    """The update itself, under the writer lock."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    data_dir = Path(config["DATA_DIR"])
    articles_dir = Path(config["ARTICLES_DIR"])
    target = layout.new_build_dir(data_dir)
    report = BuildReport(build_id=target.name, full=False)
    try:
        copy_build(current, target)
        conn = store.create(target / "content.sqlite")
        conn.execute("BEGIN")
        files = store.files(conn)
        targets = store.get_blob(conn, "link_targets")
        if targets is None:
            raise RuntimeError("build has no link targets")
        live = store.article_keys(conn)
        old_keys = {p: e.key for p, e in files.items() if e.key}
        gone: set[str] = set()  # keys to delete from the store and the index
        upserts = {}
        problems: list[Problem] = []

        for path in sorted(removed | {p for p in changed if not (articles_dir / p).is_file()}):
            entry = files.get(path)
            if entry and entry.key:
                gone.add(entry.key)
            targets.remove(path)
            targets.media.discard(path)
            store.delete_files(conn, [path])
        # Register new targets first, so changed files can link to each other.
        present = sorted(p for p in changed if (articles_dir / p).is_file())
        for path in present:
            if kind_of(path) == "media":
                targets.media.add(path)
                store.put_files(
                    conn, [store.FileEntry(path, file_hash(articles_dir / path), None, "media")]
                )
        for path in (p for p in present if kind_of(p) == "article"):
            article, found = sources.load_one(config, path, targets)
            problems.extend(found)
            digest = file_hash(articles_dir / path)
            previous_key = old_keys.get(path)
            if article is None:
                targets.remove(path)
                if previous_key:
                    gone.add(previous_key)
                store.put_files(conn, [store.FileEntry(path, digest, None, "skipped")])
                continue
            owner = targets.by_key.get(article.key)
            if owner is not None and owner.path != path and owner.path not in removed:
                problems.append(
                    Problem(
                        path,
                        1,
                        "duplicate-slug",
                        f"slug {article.slug!r} is already used by {owner.path}",
                    )
                )
                if previous_key:
                    gone.add(previous_key)
                store.put_files(conn, [store.FileEntry(path, digest, None, "skipped")])
                continue
            if previous_key and previous_key != article.key:
                gone.add(previous_key)
                report.redirects[previous_key] = article.key
            targets.remove(path)
            targets.add(sources.target_of(article))
            status = status_of(article, now)
            publish_at = utc(article.publish_at).isoformat() if article.publish_at else None
            store.put_files(conn, [store.FileEntry(path, digest, article.key, status, publish_at)])
            if status == "published":
                upserts[article.key] = article
                gone.discard(article.key)
            else:
                gone.add(article.key)
        for old_path, new_path in renamed.items():
            old_key = old_keys.get(normalize(old_path) or "")
            new_key = next((a.key for a in upserts.values() if a.path == normalize(new_path)), None)
            if old_key and new_key and old_key != new_key:
                report.redirects[old_key] = new_key
        gone -= upserts.keys()

        store.delete_articles(conn, gone)
        store.delete_media_refs(conn, gone | upserts.keys())
        store.put_articles(conn, upserts.values())
        store.put_media_refs(conn, upserts.values())
        store.delete_redirects_to(conn, upserts.keys(), "alias")
        for article in upserts.values():
            store.put_redirects(conn, sources.article_aliases(article), "alias")
        for old_key, new_key in report.redirects.items():
            store.repoint_redirects(conn, old_key, new_key)
        store.put_redirects(conn, report.redirects, "rename")
        _add_categories(conn, upserts.values())
        store.delete_problems(conn, changed | removed)
        store.put_problems(conn, problems)
        store.set_blob(conn, "link_targets", targets)

        final = (live - gone) | upserts.keys()
        if not final:
            raise EmptyBuildError(
                "refusing to publish an empty knowledge base; the old version keeps serving"
            )
        pending = [
            datetime.fromisoformat(e.publish_at)
            for e in store.files(conn).values()
            if e.status == "scheduled" and e.publish_at
        ]
        report.next_publish_at = min(pending) if pending else None
        store.set_meta(conn, "build_id", target.name)
        store.set_meta(conn, "created", now.isoformat())
        store.set_meta(
            conn,
            "next_publish_at",
            report.next_publish_at.isoformat() if report.next_publish_at else None,
        )
        conn.execute("COMMIT")
        published = store.all_counts(conn)
        conn.close()
        update_index(target / "index", upserts.values(), gone)
        report.added = sorted(k for k in upserts if k not in live)
        report.changed = sorted(k for k in upserts if k in live)
        report.removed = sorted(gone & live)
        report.problems = problems
        report.articles, report.public, report.internal = published
        layout.swap(data_dir, target)
    except BaseException:
        layout.discard(target)
        raise
    layout.prune(data_dir)
    report.seconds = time.perf_counter() - started
    log.info("%s", report.summary())
    return report


def _add_categories(conn: Any, articles: Iterable[Any]) -> None:
    """Add folders that new articles brought with them (titled from the folder name)."""
    known = {(c.locale, c.path) for c in store.categories(conn)}
    new: list[Category] = []
    for article in articles:
        parts = article.category.split("/") if article.category else []
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if (article.locale, path) not in known:
                known.add((article.locale, path))
                title = parts[depth - 1].replace("-", " ").replace("_", " ").capitalize()
                new.append(Category(article.locale, path, title))
    if new:
        store.add_categories(conn, new)

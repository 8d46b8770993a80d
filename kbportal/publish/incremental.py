"""Incremental updates: re-render and re-index only the changed files, on a copy, then swap."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbportal.content.placement import refresh_symlinks, symlinks_in, symlinks_to
from kbportal.content.request_types import REQUESTS_FILE
from kbportal.publish import bodies, carry, layout, public_index, records, sources, store
from kbportal.publish.bodies import BodyReader, BodyWriter
from kbportal.publish.builder import full_build
from kbportal.publish.changes import Changes
from kbportal.publish.manifest import BuildReport, EmptyBuildError, kind_of, normalize
from kbportal.search import update_index

log = logging.getLogger(__name__)


def update(
    config: Mapping[str, Any],
    changed: Iterable[str],
    removed: Iterable[str],
    renamed: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
    metadata: sources.Metadata | None = None,
) -> BuildReport:
    """Publish changed, removed and renamed source files (paths relative to the articles folder).

    Renamed old slugs become redirects. Falls back to a full build when there is no build yet
    or a category file changed (it can change the title, order or visibility of a whole folder).
    """
    renamed = dict(renamed or {})
    changed_paths = _clean([*changed, *renamed.values()])
    removed_paths = _clean([*removed, *renamed.keys()]) - changed_paths
    root = Path(config["ARTICLES_DIR"])
    data_dir = Path(config["DATA_DIR"])
    with layout.writer_lock(data_dir):
        current = layout.current_build(data_dir)
        # A symlinked article is read through its target: it changes (or goes) with it.
        known = _symlinks(current)
        if known is not None:
            known = refresh_symlinks(root, known, changed_paths | removed_paths)
        changed_paths |= symlinks_to(root, changed_paths | removed_paths, known) - removed_paths
        touched = changed_paths | removed_paths
        # The request types file is checked against every article: rebuild it with them.
        category_changed = any(kind_of(p) == "category" or p == REQUESTS_FILE for p in touched)
        if current is None or category_changed or not store.is_current_format(current):
            return full_build(config, now=now, metadata=metadata)
        links = known if known is not None else symlinks_in(root)
        return _update(config, current, changed_paths, removed_paths, renamed, now, metadata, links)


def _symlinks(build: Path | None) -> dict[str, str | None] | None:
    """The symlink map a build recorded of its tree (None: none recorded, walk the tree)."""
    if build is None:
        return None
    try:
        conn = store.open_readonly(build / "content.sqlite")
    except sqlite3.Error:
        return None
    try:
        found = store.get_blob(conn, store.SYMLINKS)
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return found if isinstance(found, dict) else None


def publish_due(
    config: Mapping[str, Any],
    now: datetime | None = None,
    metadata: sources.Metadata | None = None,
) -> BuildReport | None:
    """Publish scheduled articles whose `publish_at` has come; None if none is due."""
    now = now or datetime.now(UTC)
    current = layout.current_build(Path(config["DATA_DIR"]))
    if current is None:
        return None
    conn = store.open_readonly(current / "content.sqlite")
    try:
        due = [path for path, at in records.scheduled(conn) if datetime.fromisoformat(at) <= now]
    finally:
        conn.close()
    return update(config, due, [], now=now, metadata=metadata) if due else None


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
    deletes unused ones), so linked files stay correct for the build they came from. The
    bodies file is linked too: it is only ever appended to (kbportal.publish.bodies).
    """
    shutil.copyfile(source / "content.sqlite", target / "content.sqlite")
    bodies.link(source, target)
    public_index.link_index(source / "index", target / "index")
    public_index.copy(source, target)


def _update(
    config: Mapping[str, Any],
    current: Path,
    changed: set[str],
    removed: set[str],
    renamed: Mapping[str, str],
    now: datetime | None,
    metadata: sources.Metadata | None,
    links: dict[str, str | None],
) -> BuildReport:
    """The update itself, under the writer lock."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    data_dir = Path(config["DATA_DIR"])
    root = Path(config["ARTICLES_DIR"])
    with layout.staged(data_dir) as target:
        copy_build(current, target)
        conn = store.create(target / "content.sqlite")
        conn.execute("BEGIN")
        changes = Changes(config, conn, now, metadata)
        for path in sorted(removed | {p for p in changed if not (root / p).is_file()}):
            changes.remove(path)
        present = sorted(p for p in changed if (root / p).is_file())
        for path in present:
            if kind_of(path) == "media":
                changes.media(path)
        articles = [p for p in present if kind_of(p) == "article"]
        for path in articles:
            changes.load(path)
        # Changed files may link to each other: re-read those that found a link missing.
        for path in articles:
            if len(articles) > 1 and any(p.code == "missing-link" for p in changes.problems[path]):
                changes.load(path)
        for old_path, new_path in renamed.items():
            changes.rename(normalize(old_path) or "", normalize(new_path) or "")
        for path in changes.backlinks():
            changes.load(path)
        writer = BodyWriter(target)
        try:
            changes.write(writer)
        finally:
            writer.close()
        _drop_garbage(conn, current, target)
        store.set_blob(conn, store.SYMLINKS, links)
        carry.record(conn, current.name, changes.gone | changes.upserts.keys())
        report = _finish(conn, changes, target.name, now)
        conn.close()
        public_index.update(target, changes.upserts.values(), changes.gone)  # first: see there
        update_index(target / "index", changes.upserts.values(), changes.gone)
    report.seconds = time.perf_counter() - started
    log.info("%s", report.summary())
    return report


def _drop_garbage(conn: sqlite3.Connection, current: Path, target: Path) -> None:
    """Write the bodies afresh once replaced ones outweigh the live ones (rare, O(KB))."""
    end, live = store.bodies_of(conn)
    if not bodies.rewrite_due(end, live):
        return
    reader = BodyReader(current, end)
    try:
        end = store.rewrite_bodies(conn, reader, target)
    finally:
        reader.close()
    store.set_bodies(conn, end, end)
    log.info("bodies rewritten without replaced ones: %d bytes", end)


def _finish(conn: Any, changes: Changes, build_id: str, now: datetime) -> BuildReport:
    """Refuse an empty result, record the manifest's times, commit, and report."""
    total, public, internal = store.all_counts(conn)
    if not total:
        raise EmptyBuildError(
            "refusing to publish an empty knowledge base; the old version keeps serving"
        )
    pending = [datetime.fromisoformat(at) for _path, at in records.scheduled(conn)]
    next_at = min(pending) if pending else None
    store.set_meta(conn, "build_id", build_id)
    store.set_meta(conn, "created", now.isoformat())
    since = int(store.get_meta(conn, store.UPDATES_SINCE_FULL) or 0) + 1
    store.set_meta(conn, store.UPDATES_SINCE_FULL, str(since))
    store.set_meta(conn, "next_publish_at", next_at.isoformat() if next_at else None)
    conn.execute("COMMIT")
    live, upserts = changes.live, changes.upserts
    return BuildReport(
        build_id=build_id,
        full=False,
        articles=total,
        public=public,
        internal=internal,
        added=sorted(k for k in upserts if k not in live),
        changed=sorted(k for k in upserts if k in live),
        removed=sorted(changes.gone & live),
        redirects=dict(changes.redirects),
        problems=[p for found in changes.problems.values() for p in found],
        next_publish_at=next_at,
    )

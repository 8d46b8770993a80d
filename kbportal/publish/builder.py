"""Full builds: load every article, write a new build aside, index it, and swap it in."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbportal import forked
from kbportal.content.models import Article
from kbportal.content.placement import symlinks_in
from kbportal.publish import layout, public_index, records, sources, store, targets
from kbportal.publish.bodies import BodyWriter
from kbportal.publish.manifest import (
    BuildError,
    BuildReport,
    EmptyBuildError,
    kind_of,
    scan,
    status_of,
    utc,
)
from kbportal.publish.origin import record_origin

log = logging.getLogger(__name__)


def build(config: Mapping[str, Any], *, metadata: sources.Metadata | None = None) -> BuildReport:
    """Build the whole knowledge base into a new version and serve it (atomically)."""
    data_dir = Path(config["DATA_DIR"])
    with layout.writer_lock(data_dir):
        return full_build(config, metadata=metadata)


def ensure_build(
    config: Mapping[str, Any], *, metadata: sources.Metadata | None = None
) -> BuildReport | None:
    """Build once if nothing has ever been built (first start); None if a build exists."""
    data_dir = Path(config["DATA_DIR"])
    if layout.current_build(data_dir) is not None:
        return None
    with layout.writer_lock(data_dir):
        if layout.current_build(data_dir) is not None:  # another process won the race
            return None
        return full_build(config, metadata=metadata)


def full_build(
    config: Mapping[str, Any],
    now: datetime | None = None,
    metadata: sources.Metadata | None = None,
) -> BuildReport:
    """The full build itself; the caller holds the writer lock."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    data_dir = Path(config["DATA_DIR"])
    articles_dir = Path(config["ARTICLES_DIR"])
    if not articles_dir.is_dir():
        raise BuildError(f"articles folder {articles_dir} does not exist")
    procs = forked.build_procs(config)
    kb = sources.load_kb(config, metadata, procs)
    hashes = scan(articles_dir)
    status = {key: status_of(article, now) for key, article in kb.articles.items()}
    published = [a for key, a in sorted(kb.articles.items()) if status[key] == "published"]
    if not published:
        old = layout.current_build(data_dir)
        served = "the old version keeps serving" if old else "nothing is served yet"
        raise EmptyBuildError(
            f"refusing to publish an empty knowledge base from {articles_dir} "
            f"({len(kb.articles)} articles parsed, none publishable); {served}"
        )
    previous = layout.current_build(data_dir)
    if previous is not None and not store.is_current_format(previous):
        previous = None  # an older format: start afresh
    old_files, old_renames = _previous_manifest(previous)
    with layout.staged(data_dir) as target:
        conn = store.create(target / "content.sqlite")
        conn.execute("BEGIN")
        writer = BodyWriter(target)
        store.put_articles(conn, published, writer)
        writer.close()
        store.set_bodies(conn, writer.end, writer.end)
        store.put_categories(conn, kb.categories.values())
        live = {a.key for a in published}
        carried = {old: new for old, new in old_renames.items() if new in live and old not in live}
        records.put_redirects(conn, carried, "rename")
        records.put_redirects(conn, sources.alias_redirects(kb.aliases, published), "alias")
        records.put_refs(conn, published)
        records.put_problems(conn, kb.problems)
        by_path = {a.path: a for a in kb.articles.values()}
        entries = []
        for rel, digest in hashes.items():
            article = by_path.get(rel)
            kind = kind_of(rel)
            if article is not None:
                entries.append(
                    records.FileEntry(
                        rel, digest, article.key, status[article.key], _iso(article.publish_at)
                    )
                )
            else:
                entries.append(
                    records.FileEntry(
                        rel, digest, None, kind if kind != "article" else "skipped", None
                    )
                )
        records.put_files(conn, entries)
        targets.save(conn, sources.targets_of(kb))
        store.set_blob(conn, store.SYMLINKS, symlinks_in(articles_dir))
        store.count_articles(conn)
        # The request form's types publish with the articles they link to, in the same swap.
        store.set_blob(conn, "request_types", sources.load_request_types(config, kb)[0].to_json())
        pending = [
            utc(a.publish_at)
            for k, a in kb.articles.items()
            if status[k] == "scheduled" and a.publish_at is not None
        ]
        next_at = min(pending) if pending else None
        store.set_meta(conn, "schema", store.SCHEMA_VERSION)
        store.set_meta(conn, "build_id", target.name)
        store.set_meta(conn, "created", now.isoformat())
        store.set_meta(conn, store.UPDATES_SINCE_FULL, "0")
        record_origin(conn, articles_dir)
        store.set_meta(conn, "next_publish_at", next_at.isoformat() if next_at else None)
        conn.execute("COMMIT")
        conn.close()
        public_index.build_indexes(target, published, procs)
        report = BuildReport(
            build_id=target.name, full=True, next_publish_at=next_at, problems=list(kb.problems)
        )
        fill_counts(report, published)
        _diff(report, old_files, hashes, published)
    report.seconds = time.perf_counter() - started
    log.info("%s", report.summary())
    return report


def fill_counts(report: BuildReport, published: list[Article]) -> None:
    """Set the article counts of a report."""
    report.articles = len(published)
    report.public = sum(1 for a in published if a.visibility == "public")
    report.internal = report.articles - report.public


def _iso(moment: datetime | None) -> str | None:
    """A manifest timestamp."""
    return utc(moment).isoformat() if moment else None


def _previous_manifest(
    previous: Path | None,
) -> tuple[dict[str, records.FileEntry], dict[str, str]]:
    """The previous build's files and rename redirects (renames outlive full rebuilds)."""
    if previous is None:
        return {}, {}
    conn = store.open_readonly(previous / "content.sqlite")
    try:
        return records.files(conn), records.redirects(conn, kind="rename")
    finally:
        conn.close()


def _diff(
    report: BuildReport,
    old_files: dict[str, records.FileEntry],
    hashes: dict[str, str],
    published: list[Article],
) -> None:
    """Which article keys were added, changed or removed relative to the previous build."""
    old = {e.key: e for e in old_files.values() if e.key and e.status == "published"}
    new = {a.key: a for a in published}
    report.added = sorted(new.keys() - old.keys())
    report.removed = sorted(old.keys() - new.keys())
    report.changed = sorted(
        key
        for key in new.keys() & old.keys()
        if old[key].path != new[key].path or old[key].hash != hashes.get(new[key].path)
    )

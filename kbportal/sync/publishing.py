"""The few calls sync makes into the publishing layer, in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kbportal import publish
from kbportal.content.request_types import REQUESTS_FILE
from kbportal.publish import layout, store
from kbportal.publish.manifest import BuildReport, EmptyBuildError
from kbportal.sync.git import ChangeSet
from kbportal.sync.metadata import GitMetadata

log = logging.getLogger(__name__)


def has_build(config: Mapping[str, Any]) -> bool:
    """Whether a published version exists to update incrementally."""
    return layout.current_build(Path(config["DATA_DIR"])) is not None


def full_build(config: Mapping[str, Any]) -> BuildReport:
    """Build the whole knowledge base from the working copy and swap it in."""
    # Dates and authors of every file from one `git log` pass.
    return publish.build(config, metadata=GitMetadata(Path(config["ARTICLES_DIR"])))


def incremental(config: Mapping[str, Any], changes: ChangeSet) -> BuildReport:
    """Re-publish only the changed, removed and renamed files on a copy, then swap."""
    paths = [*changes.changed, *changes.renamed.values()]
    # A category file makes the publisher rebuild everything: then read the whole log.
    # So does the request types file (see publish.update).
    whole = any(
        p.rsplit("/", 1)[-1] == "_category.yml" or p == REQUESTS_FILE
        for p in paths + changes.removed
    )
    metadata = GitMetadata(Path(config["ARTICLES_DIR"]), None if whole else paths)
    return publish.update(
        config, changes.changed, changes.removed, changes.renamed, metadata=metadata
    )


def publish_due(config: Mapping[str, Any]) -> BuildReport | None:
    """Publish articles whose `publish_at` has come; None if none was due."""
    return publish.publish_due(config, metadata=GitMetadata(Path(config["ARTICLES_DIR"])))


def is_refusal(exc: BaseException) -> bool:
    """Whether the publisher refused the result (an empty KB) rather than crashed."""
    return isinstance(exc, EmptyBuildError)


def next_publish_at(config: Mapping[str, Any]) -> datetime | None:
    """The earliest future `publish_at` recorded by the current build, if any."""
    build = layout.current_build(Path(config["DATA_DIR"]))
    if build is None:
        return None
    conn = store.open_readonly(build / "content.sqlite")
    try:
        value = store.get_meta(conn, "next_publish_at")
    finally:
        conn.close()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        log.warning("bad next_publish_at in build manifest: %r", value)
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def compaction_due(config: Mapping[str, Any], now: datetime | None = None) -> int:
    """Incremental publishes to merge away with a full build (0: none, or not quiet long enough).

    Each publish leaves the changed articles' old entries deleted, not removed, in the index:
    searches skip them at a cost. After `COMPACT_AFTER` seconds without a publish, a full
    build merges them away (and folds replaced vectors and bodies) while nobody is waiting.
    """
    quiet = int(config.get("COMPACT_AFTER") or 0)
    build = layout.current_build(Path(config["DATA_DIR"]))
    if not quiet or build is None:
        return 0
    conn = store.open_readonly(build / "content.sqlite")
    try:
        since = int(store.get_meta(conn, store.UPDATES_SINCE_FULL) or 0)
    finally:
        conn.close()
    # When the build was written (its `created` may be a publish's chosen `now`, not the clock).
    written = datetime.fromtimestamp((build / "content.sqlite").stat().st_mtime, UTC)
    return since if (now or datetime.now(UTC)) - written >= timedelta(seconds=quiet) else 0


def publish_at_due(config: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether an article scheduled with `publish_at` should be live by now."""
    when = next_publish_at(config)
    return when is not None and when <= (now or datetime.now(UTC))

"""A served build found damaged under a running worker is replaced, never left answering 500s."""

from __future__ import annotations

import logging
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh.index import IndexError as WhooshIndexError

from kbportal.publish import layout
from kbportal.publish.published import BuildKB
from kbportal.search.searcher import Searcher

log = logging.getLogger(__name__)

# What reading a build's files raises once they were deleted or cut short behind our back:
# a missing index segment (a new thread opens its own reader), a truncated content.sqlite.
DAMAGE: tuple[type[BaseException], ...] = (
    sqlite3.DatabaseError,
    OSError,
    EOFError,
    struct.error,
    WhooshIndexError,
)

Replace = Callable[[BuildKB, BaseException], BuildKB | None]


class HealingKB:
    """The served build; a call that finds it damaged is answered by a working build instead."""

    def __init__(self, kb: BuildKB, replace: Replace) -> None:
        self._kb = kb
        self._replace = replace

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._kb, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except DAMAGE as exc:
                if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
                    raise  # a closed (retired) version used late: a bug, not damage
                fresh = self._replace(self._kb, exc)  # logs once; raises BuildError if none
                if fresh is None:
                    raise  # the build checks out: the error was something else
                return getattr(fresh, name)(*args, **kwargs)

        return call


def is_damaged(kb: BuildKB) -> bool:
    """Whether a build fails `probe` (damaged files), as opposed to some other error."""
    try:
        probe(kb)
    except DAMAGE:
        return True
    return False


def probe(kb: BuildKB) -> None:
    """Read a little of every part of a build, so a damaged one fails here, not on a customer."""
    conn = kb._conn
    with kb._lock:
        row = conn.execute("PRAGMA quick_check(1)").fetchone()
    if not row or row[0] != "ok":
        raise sqlite3.DatabaseError(f"content.sqlite failed its check: {row[0] if row else '?'}")
    kb._bodies.check()
    for directory in set(kb.index_dirs.values()):
        # A fresh searcher: this thread's reader may have opened its files before the damage.
        searcher = Searcher(directory)
        try:
            with searcher._using() as reader:
                if reader.searcher.doc_count_all():
                    reader.searcher.stored_fields(0)
        finally:
            searcher.close()


def fallbacks(data_dir: Path, damaged: set[str]) -> list[Path]:
    """Earlier builds that might serve instead, newest first (the damaged ones left out)."""
    root = layout.builds_dir(data_dir)
    if not root.is_dir():
        return []
    builds = [p for p in root.iterdir() if p.is_dir() and p.name not in damaged]
    return sorted(builds, key=lambda p: p.name, reverse=True)


def open_fallback(data_dir: Path, articles_dir: Path, damaged: set[str]) -> BuildKB | None:
    """The newest earlier build that opens and passes `probe`, or None."""
    for build in fallbacks(data_dir, damaged):
        if not (build / "content.sqlite").is_file():
            continue
        try:
            kb = BuildKB(build, articles_dir)
        except Exception as exc:  # also damaged, or unfinished: try the next one
            log.info("build %s cannot stand in: %s", build.name, exc)
            damaged.add(build.name)
            continue
        try:
            probe(kb)
        except DAMAGE as exc:
            log.info("build %s cannot stand in: %s", build.name, exc)
            damaged.add(build.name)
            kb.close()
            continue
        return kb
    return None

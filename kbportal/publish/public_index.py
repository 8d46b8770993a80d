"""The public search index: what customers search holds only what customers may see.

Ranking uses collection statistics (BM25's idf and average lengths, the word vectors' idf,
the spelling vocabulary). Taken over every article, they would let a customer notice an
internal article through a score or an order that moved when it was published. So a build
whose articles are not all public gets a second index of its public articles alone, and
anonymous searches use it; when every article is public the one index serves both.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from kbportal.content.models import Article
from kbportal.search import build_index, is_current, update_index

log = logging.getLogger(__name__)

POINTER = "PUBLIC_INDEX"  # a file in the build naming the folder public searches use
SHARED = "index"  # every article is public: the staff index serves customers too
SEPARATE = "public-index"


def folder(build: Path) -> Path | None:
    """The index folder public searches use in a build; None for a build without one."""
    try:
        name = (build / POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return build / name if name in (SHARED, SEPARATE) else None


def is_current_in(build: Path) -> bool:
    """Whether the build has a public index of the current format."""
    found = folder(build)
    return found is not None and is_current(found)


def _point(build: Path, name: str) -> None:
    (build / POINTER).write_text(name + "\n", encoding="utf-8")


def build_indexes(target: Path, published: Iterable[Article], procs: int = 1) -> None:
    """Write a new build's staff index and, when some articles are not public, its public one.

    When most articles are public, the public index is built first and the staff index is that
    plus a segment of the others (hard links, then an update): about the cost of one index.
    The staff word vectors then weigh words by the public articles, which are most of them.
    `procs`: processes each full index may use (search.build_index).
    """
    published = list(published)
    public = [a for a in published if a.is_public]
    if len(public) == len(published):
        build_index(target / SHARED, published, procs)
        _point(target, SHARED)
        return
    build_index(target / SEPARATE, public, procs)
    hidden = [a for a in published if not a.is_public]
    if len(public) >= len(hidden):
        link_index(target / SEPARATE, target / SHARED)
        update_index(target / SHARED, hidden, ())
    else:  # mostly internal: the staff index gets its own statistics and vectors
        build_index(target / SHARED, published, procs)
    _point(target, SEPARATE)
    log.info("public index: %d of %d articles", len(public), len(published))


def link_index(source: Path, target: Path) -> None:
    """Copy an index folder by hard links (Whoosh never rewrites a file it has written)."""
    target.mkdir()
    for entry in os.scandir(source):
        if entry.is_file() and not entry.name.endswith(".lock") and "LOCK" not in entry.name:
            try:
                os.link(entry.path, target / entry.name)
            except OSError:  # another filesystem or no link support: copy instead
                shutil.copyfile(entry.path, target / entry.name)


def copy(source: Path, target: Path) -> None:
    """Carry a build's public index into a staged copy of it."""
    found = folder(source)
    if found is not None and found.name == SEPARATE:
        link_index(found, target / SEPARATE)
    _point(target, found.name if found is not None else SHARED)


def update(target: Path, upserts: Iterable[Article], gone: Iterable[str]) -> None:
    """Apply an incremental change to the public index of a staged build.

    Call before the staff index is updated: the first internal article splits a shared index,
    and the staff index (all public until now) is then the public one's starting point.
    """
    upserts, gone = list(upserts), set(gone)
    hidden = {a.key for a in upserts if not a.is_public}
    shared = not (target / SEPARATE).is_dir()
    if shared and not hidden:
        _point(target, SHARED)
        return
    if shared:
        link_index(target / SHARED, target / SEPARATE)
    update_index(target / SEPARATE, [a for a in upserts if a.is_public], gone | hidden)
    _point(target, SEPARATE)

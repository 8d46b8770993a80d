"""Which documents of a newly opened index are the same as in an index already open.

An incremental publish hard-links the index's segment files into the new build and adds a
small segment beside them; the big segment keeps its id, its documents and their numbers,
and only gains deletions. Per-index structures read from every document (keys, field
lengths, scope sets) are therefore carried over segment by segment from the version still
open, and read afresh only for the new segments: the first search on a new version at 100k
articles no longer reads 100k keys and runs every scope filter over every document.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Span:
    """One segment of an opened index: its id, first document number, size and deletions."""

    segment: str
    offset: int
    count: int  # documents, deleted ones included (their numbers stay taken)
    deleted: frozenset[int]  # segment-local numbers


@dataclass(frozen=True)
class Carried:
    """A segment found in the older index: where its documents were there and are here."""

    old_offset: int
    new_offset: int
    count: int
    newly_deleted: frozenset[int]  # new document numbers deleted since (hidden from carry-over)


def spans_of(searcher: Any) -> tuple[Span, ...]:
    """The segments of a Whoosh searcher, in document-number order."""
    spans = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        segment = reader.segment()
        if segment is None:  # not a segment reader (an empty index): nothing can be carried
            return ()
        deleted = frozenset(int(d) for d in (segment.deleted_docs() or ()))
        spans.append(Span(segment.segment_id(), offset, reader.doc_count_all(), deleted))
    return tuple(spans)


def plan(old: Iterable[Span], new: Iterable[Span]) -> dict[int, Carried]:
    """For each segment of `new` (by position) that `old` holds too, how to carry it over.

    A segment carries when it has the same id and size, and the older index had no deletion
    the new one lacks (so nothing deleted there is live here).
    """
    by_id = {span.segment: span for span in old}
    found: dict[int, Carried] = {}
    for position, span in enumerate(new):
        before = by_id.get(span.segment)
        if before is None or before.count != span.count or not before.deleted <= span.deleted:
            continue
        gone = frozenset(span.offset + d for d in span.deleted - before.deleted)
        found[position] = Carried(before.offset, span.offset, span.count, gone)
    return found


def carried_docs(docs: Collection[int], carried: Iterable[Carried]) -> set[int]:
    """The document numbers of an older index's set that the carried segments keep, renumbered."""
    numbers = np.fromiter(docs, dtype=np.int64, count=len(docs))
    out: set[int] = set()
    for part in carried:
        start, end = part.old_offset, part.old_offset + part.count
        kept = numbers[(numbers >= start) & (numbers < end)] + (part.new_offset - start)
        out.update(kept.tolist())
        out -= part.newly_deleted
    return out


def fresh(searcher: Any, carried: dict[int, Carried]) -> Iterator[tuple[Any, int]]:
    """(sub-searcher, offset) of the segments nothing was carried over for."""
    for position, (sub, offset) in enumerate(searcher.leaf_searchers()):
        if position not in carried:
            yield sub, offset

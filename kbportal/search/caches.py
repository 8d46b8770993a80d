"""Caches derived from one opened index, shared by the readers of all a worker's threads.

A newly opened index that shares segments with one still open (an incremental publish's
version, opened while the old one serves) starts from that one's keys, field lengths and
scope sets for those segments (`search.segments`) and reads only its new segments.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
from whoosh import index as windex
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import dense, segments
from kbportal.search.lengths import field_lengths

log = logging.getLogger(__name__)


class SharedCaches:
    """What the readers of one index compute from it, kept once for all of a worker's threads.

    Whoosh readers do file I/O and are per thread; these values are plain data derived from
    the immutable index, so threads share them (a worker's 4 threads used to keep 4 copies:
    ~4x the misses, and up to ~30 MB each).
    """

    def __init__(self, keys: list[str], spans: tuple[segments.Span, ...] = ()) -> None:
        self.lock = threading.Lock()  # guards the ordered dicts below (reorder and evict)
        # docnum -> article key and article number, to collapse and count without stored fields
        self.keys = keys
        numbers: dict[str, int] = {}
        self.article_of: list[int] = [numbers.setdefault(k, len(numbers)) for k in keys]
        self.article_array: dense.Ints = np.array(self.article_of, dtype=np.int32)
        self.narticles = len(numbers)
        self.masks: dict[int, tuple[set[int], Any]] = {}  # id(scope set) -> (it, its mask)
        self.scopes: OrderedDict[tuple[object, ...], set[int]] = OrderedDict()
        # Cached score maps (per term, per query word), with their sizes for the bound
        self.postings: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self.postings_size = 0
        self.field_lengths: dict[str, dense.Floats] = {}  # by document number
        self.article_frequencies: dict[str, int] = {}  # term -> articles holding it (bounded)
        self.spans = spans
        # The open index this one shares segments with: weak, so its memory goes when it closes
        self.ancestor: weakref.ref[SharedCaches] | None = None
        self.carried: dict[int, segments.Carried] = {}

    def carried_scope(
        self, key: tuple[object, ...], query: Any, searcher: WhooshSearcher
    ) -> set[int] | None:
        """A scope's documents made from the ancestor's set for the same scope, the filter run
        on the new segments only; None when there is nothing to carry (compute it afresh)."""
        ancestor = self.ancestor() if self.ancestor is not None else None
        if ancestor is None:
            return None
        with ancestor.lock:
            old = ancestor.scopes.get(key)
        if old is None:
            return None
        docs = segments.carried_docs(old, self.carried.values())
        for sub, offset in segments.fresh(searcher, self.carried):
            docs.update(offset + d for d in query.docs(sub))
        return docs


_shared: weakref.WeakKeyDictionary[windex.Index, SharedCaches] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def caches_for(ix: windex.Index, searcher: WhooshSearcher) -> SharedCaches:
    """The caches of one opened index (a new index object, e.g. a new build's, gets new ones)."""
    with _shared_lock:
        caches = _shared.get(ix)
        if caches is None:
            caches = _shared[ix] = _opened(searcher, list(_shared.values()))
        return caches


def _opened(searcher: WhooshSearcher, live: list[SharedCaches]) -> SharedCaches:
    """New caches for an index, carrying over what the open index sharing most documents
    with it already read."""
    spans = segments.spans_of(searcher)
    ancestor: SharedCaches | None = None
    plan: dict[int, segments.Carried] = {}
    for other in live:
        found = segments.plan(other.spans, spans)
        if sum(c.count for c in found.values()) > sum(c.count for c in plan.values()):
            ancestor, plan = other, found
    if ancestor is None:
        return SharedCaches(list(searcher.reader().column_reader("key")), spans)
    keys: list[str] = []
    known = dict(ancestor.field_lengths)  # a copy: other threads may add fields meanwhile
    lengths: dict[str, list[dense.Floats]] = {field: [] for field in known}
    for position, (sub, _offset) in enumerate(searcher.leaf_searchers()):
        part = plan.get(position)
        if part is not None:
            span = slice(part.old_offset, part.old_offset + part.count)
            keys += ancestor.keys[span]
            for field, values in known.items():
                lengths[field].append(values[span])
        else:
            keys += list(sub.reader().column_reader("key"))
            for field in known:
                lengths[field].append(dense.lengths_array(field_lengths(sub.reader(), field)))
    caches = SharedCaches(keys, spans)
    caches.field_lengths = {field: np.concatenate(parts) for field, parts in lengths.items()}
    caches.ancestor = weakref.ref(ancestor)
    caches.carried = plan
    log.debug(
        "caches of %d of %d documents carried over", sum(c.count for c in plan.values()), len(keys)
    )
    return caches

"""Caches derived from one opened index, shared by the readers of all a worker's threads."""

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

from kbportal.search import dense

log = logging.getLogger(__name__)


class SharedCaches:
    """What the readers of one index compute from it, kept once for all of a worker's threads.

    Whoosh readers do file I/O and are per thread; these values are plain data derived from
    the immutable index, so threads share them (a worker's 4 threads used to keep 4 copies:
    ~4x the misses, and up to ~30 MB each).
    """

    def __init__(self, keys: list[str]) -> None:
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


_shared: weakref.WeakKeyDictionary[windex.Index, SharedCaches] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def caches_for(ix: windex.Index, searcher: WhooshSearcher) -> SharedCaches:
    """The caches of one opened index (a new index object, e.g. a new build's, gets new ones)."""
    with _shared_lock:
        caches = _shared.get(ix)
        if caches is None:
            caches = _shared[ix] = SharedCaches(list(searcher.reader().column_reader("key")))
        return caches

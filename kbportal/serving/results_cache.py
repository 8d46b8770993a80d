"""The search process's cache of answers, kept per build, bounded by bytes.

The way Solr's queryResultCache and Elasticsearch's request cache work: a page of results is a
pure function of the index it was searched in and of the query, so the same query asked again
(most searches of a help center are a few hundred phrasings) is answered from memory. Held in
the search process, so every worker of the node shares it.

- Key: the index folder (it names the build and the audience, public or staff: a public
  request never searches the staff index), the method, and its arguments: the viewer
  (staff, groups), locale, category filter, page and page size, with the text's whitespace
  normalised. An answer is only ever served for exactly the scope it was computed in.
- Kept: answers of the newest build this process opened. When a new build's index opens, every
  other build's answers are dropped; answers for an older build are not stored. A publish
  makes a new build folder, so no answer survives the publish that changed it.
- Kept only briefly (BRIEF seconds): answers that may still change, those that ran past the
  search's time budget (they lack the optional stages) or went without the sentence encoder's
  re-rank (the query's vector late, or the build's article vectors still being made). Kept,
  they would freeze a lesser ranking for the build's life; kept a moment, a burst of the same
  query on a busy node still costs one search. Errors are never kept.
- Bound: the bytes of the stored answers (the pickled frames sent to workers), least
  recently used first out. `KBPORTAL_SEARCH_CACHE_MB`; 0 turns it off.

Analytics are recorded by the workers, after the answer arrives: a cached answer is still
counted as the search the customer made.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path

from kbportal.search.types import SearchQuery

ENTRY_OVERHEAD = 256  # bytes of key, tuple and dict slot beside each stored frame
LARGEST_SHARE = 16  # one answer may take at most this fraction of the bound
BRIEF = 5.0  # seconds an answer that may still change is served from the cache


def build_of(directory: str) -> str:
    """The build an index folder belongs to (a build's staff and public indexes are in it)."""
    return str(Path(directory).parent)


def normalised(method: str, args: tuple[object, ...]) -> tuple[object, ...]:
    """The arguments with a search text's runs of whitespace made one space."""
    if method == "search" and len(args) == 1 and isinstance(args[0], SearchQuery):
        query = args[0]
        if isinstance(query.text, str):
            text = " ".join(query.text.split())
            if text != query.text:
                return (replace(query, text=text),)
    return args


class ResultsCache:
    """Answer frames by (index folder, method, arguments), least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        # key -> (index folder, answer frame, monotonic time it expires at or None)
        self._entries: OrderedDict[Hashable, tuple[str, bytes, float | None]] = OrderedDict()
        self._bytes = 0
        self._build: str | None = None  # the newest build opened: only its answers are kept
        self._lock = threading.Lock()
        self.hits = self.misses = self.dropped = 0

    @staticmethod
    def key(directory: str, method: str, args: tuple[object, ...]) -> Hashable | None:
        """The cache key of a call, or None when its arguments cannot be one."""
        key = (directory, method, args)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def get(self, key: Hashable) -> bytes | None:
        """A stored answer frame, or None."""
        if not self.max_bytes:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[2] is not None and time.monotonic() >= found[2]:
                self._remove(key)  # a brief answer's time is up: search again
                found = None
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, directory: str, frame: bytes, brief: bool = False) -> None:
        """Keep an answer frame of the newest build (`brief`: for BRIEF seconds only); older
        builds' answers are not kept."""
        size = len(frame) + ENTRY_OVERHEAD
        if not self.max_bytes or size > self.max_bytes // LARGEST_SHARE:
            return
        with self._lock:
            if build_of(directory) != self._build:
                return
            self._remove(key)
            expires = time.monotonic() + BRIEF if brief else None
            self._entries[key] = (directory, frame, expires)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, gone, _) = self._entries.popitem(last=False)
                self._bytes -= len(gone) + ENTRY_OVERHEAD

    def opened(self, directory: str) -> None:
        """An index was opened: if it is of another build, drop every answer of the others."""
        build = build_of(directory)
        with self._lock:
            if build == self._build:
                return
            self._build = build
            self._drop_where(lambda folder: build_of(folder) != build)

    def closed(self, directory: str) -> None:
        """An index was closed: its answers go with it."""
        with self._lock:
            self._drop_where(lambda folder: folder == directory)

    def _remove(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1]) + ENTRY_OVERHEAD

    def _drop_where(self, condition: Callable[[str], bool]) -> None:
        gone = [k for k, (folder, _, _) in self._entries.items() if condition(folder)]
        for key in gone:
            self._remove(key)
        self.dropped += len(gone)

    def stats(self) -> dict[str, int]:
        """Hits, misses, answers kept and their bytes (for benchmarks and operators)."""
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "dropped": self.dropped,
            }

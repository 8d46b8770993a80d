"""A term's BM25F scores in a field, from its postings decoded into numpy (`postings`) and
kept, bounded by bytes, in the caches all of a worker's threads share for one opened index."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from whoosh import scoring
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import dense, postings
from kbportal.search.caches import SharedCaches
from kbportal.search.lengths import field_lengths

log = logging.getLogger(__name__)

# Bytes of cached postings (8 an entry) and summed word scores (~16 an entry): the lists of
# the common words, which cost the most to decode, stay (at 100k articles one such list is
# ~90,000 entries; 200 different tldr queries read ~90 MB at 100k, ~110 MB on 10k long
# articles).
POSTINGS_CACHE_BYTES = 128 * 2**20
LEAF_PARAMS = 50_000  # terms whose scorer parameters are kept (~300 bytes each)
WHOLE_LIST = 0.25  # decode a whole posting list when a lookup needs this share of its blocks


class Leaf(NamedTuple):
    """A segment holding a term in a field, and the term's BM25F parameters there."""

    position: int  # among the leaf searchers
    searcher: WhooshSearcher
    offset: int  # its first document number
    params: tuple[float, float, float, float] | None  # idf, avgfl, B, K1; None: not BM25F
    bound: float  # the most the term scores there (inf: unknown)


Stored = npt.NDArray[np.floating[Any]]  # weights: float32 where exact, else float64
Postings = tuple[tuple[dense.Ints, Stored] | None, ...]


def compact(weights: postings.Weights) -> Stored:
    """Weights as float32 where that holds them exactly (term counts do), else as they are."""
    narrow = weights.astype(np.float32)
    return narrow if np.array_equal(narrow, weights) else weights


def joined(docs: list[dense.Ints], scores: list[dense.Floats]) -> tuple[dense.Ints, dense.Floats]:
    """Segments' (documents, scores) as one pair, in document order."""
    if not docs:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    if len(docs) == 1:
        return docs[0], scores[0]
    return np.concatenate(docs), np.concatenate(scores)


class TermScores:
    """Scores of terms for one thread's searcher; what is decoded is shared (`SharedCaches`)."""

    def __init__(self, searcher: WhooshSearcher, shared: SharedCaches) -> None:
        self.searcher = searcher
        self._shared = shared
        self._deleted_masks: dict[int, Any] = {}
        self._leaf_params: dict[tuple[str, str], tuple[Leaf, ...]] = {}

    def field_scores(self, field: str, term: str) -> tuple[dense.Ints, dense.Floats]:
        """(documents ascending, BM25F scores) of the live documents holding a term in a
        field (its postings cached, bounded; scores computed from them)."""
        docs: list[dense.Ints] = []
        scores: list[dense.Floats] = []
        cached = self.decoded(field, term)
        for leaf, part in zip(self.leaves(field, term), cached, strict=True):
            if part is None:
                held, values = self._matched(leaf, field, term)
            else:
                held, values = part[0], self._scored(field, leaf, *part)
            docs.append(held)
            scores.append(values)
        return joined(docs, scores)

    def scores_of(
        self, field: str, term: str, wanted: dense.Ints
    ) -> tuple[dense.Ints, dense.Floats]:
        """`field_scores` of the wanted documents only (sorted): the blocks of postings that
        hold none of them are not decoded; a list where most blocks would be decoded anyway
        is read whole and cached, so a common word's list is read once."""
        cached: Postings | None = self.cached(("postings", field, term))
        if cached is None:
            blocks = self.searcher.doc_frequency(field, term) / postings.BLOCK
            if len(wanted) < blocks * WHOLE_LIST:
                return self._score_postings(field, term, wanted)
            cached = self.decoded(field, term)
        docs: list[dense.Ints] = []
        scores: list[dense.Floats] = []
        for leaf, part in zip(self.leaves(field, term), cached, strict=True):
            if part is None:
                held, values = self._matched(leaf, field, term, wanted)
            else:
                ids, weights = part
                at, hit = dense.locate(ids, wanted)
                at = at[hit]
                held, values = ids[at], self._scored(field, leaf, ids[at], weights[at])
            docs.append(held)
            scores.append(values)
        return joined(docs, scores)

    def bound(self, field: str, term: str) -> float:
        """An upper bound of `field_scores` of a term, from its statistics (nothing decoded)."""
        return max((leaf.bound for leaf in self.leaves(field, term)), default=0.0)

    def leaves(self, field: str, term: str) -> tuple[Leaf, ...]:
        """The segments holding a term in a field, with its scorer's parameters in each
        (kept: making Whoosh's scorer asks the index for the term's statistics each time)."""
        key = (field, term)
        found = self._leaf_params.get(key)
        if found is None:
            leaves = []
            scorer: Any = None
            for i, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
                reader = sub.reader()
                try:
                    info = reader.term_info(field, term)
                except TermNotFound:
                    continue
                if scorer is None:  # its statistics are the whole index's: one for all segments
                    scorer = self.searcher.weighting.scorer(sub, field, term)
                if isinstance(scorer, scoring.BM25FScorer):
                    params = (scorer.idf, scorer.avgfl, scorer.B, scorer.K1)
                    leaves.append(Leaf(i, sub, offset, params, postings.bound(info, params)))
                else:
                    leaves.append(Leaf(i, sub, offset, None, float("inf")))
            if len(self._leaf_params) >= LEAF_PARAMS:
                self._leaf_params.clear()  # small tuples, cheap to make again: no LRU
            found = self._leaf_params[key] = tuple(leaves)
        return found

    def decoded(self, field: str, term: str) -> Postings:
        """A term's live postings in each segment holding it: (documents, weights), None where
        the scorer is not BM25F (cached, bounded by bytes)."""
        key = ("postings", field, term)
        cached: Postings | None = self.cached(key)
        if cached is None:
            parts: list[tuple[dense.Ints, Stored] | None] = []
            for leaf in self.leaves(field, term):
                if leaf.params is None:
                    parts.append(None)
                    continue
                reader = leaf.searcher.reader()
                deleted = self.deleted(leaf.position, reader)
                ids, weights = postings.leaf_postings(reader, field, term, deleted)
                parts.append(((ids + leaf.offset).astype(np.int32), compact(weights)))
            cached = tuple(parts)
            self.keep(key, sum(p[0].nbytes + p[1].nbytes for p in parts if p), cached)
        return cached

    def _scored(self, field: str, leaf: Leaf, ids: dense.Ints, weights: Stored) -> dense.Floats:
        """BM25F scores of postings: the scorer's own formula and parameters, in the same order
        of operations as its per-posting score() (float64 both: the same bits)."""
        assert leaf.params is not None
        idf, avgfl, b, k1 = leaf.params
        w = weights.astype(np.float64)  # float32 only where that held the weights exactly
        lengths = self.lengths(field)[ids]
        scored: dense.Floats = idf * (w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths / avgfl))
        return scored

    def _matched(
        self, leaf: Leaf, field: str, term: str, wanted: dense.Ints | None = None
    ) -> tuple[dense.Ints, dense.Floats]:
        """Scores through Whoosh's matcher, for a scorer other than BM25F (e.g. on an ID field)."""
        m = leaf.searcher.postings(field, term)
        found: dict[int, float] = {}
        while m.is_active():
            found[m.id() + leaf.offset] = m.score()
            m.next()
        held = np.fromiter(found.keys(), dtype=np.int32, count=len(found))
        values = np.fromiter(found.values(), dtype=np.float64, count=len(found))
        if wanted is not None:
            keep = np.isin(held, wanted)
            held, values = held[keep], values[keep]
        return held, values

    def _score_postings(
        self, field: str, term: str, wanted: dense.Ints
    ) -> tuple[dense.Ints, dense.Floats]:
        """Scores of the wanted documents, from only the blocks of postings holding them."""
        docs: list[dense.Ints] = []
        scores: list[dense.Floats] = []
        for leaf in self.leaves(field, term):
            if leaf.params is None:
                held, values = self._matched(leaf, field, term, wanted)
            else:
                reader = leaf.searcher.reader()
                deleted = self.deleted(leaf.position, reader)
                end = leaf.offset + leaf.searcher.doc_count_all()
                lo, hi = np.searchsorted(wanted, [leaf.offset, end])
                local = (wanted[lo:hi] - leaf.offset).tolist()
                ids, w = postings.leaf_postings_in(reader, field, term, deleted, local)
                held = (ids + leaf.offset).astype(np.int32)
                values = self._scored(field, leaf, held, w)
            docs.append(held)
            scores.append(values)
        return joined(docs, scores)

    def deleted(self, leaf: int, reader: Any) -> Any:
        """A segment's deleted-documents mask (kept per reader: segments do not change)."""
        if leaf not in self._deleted_masks:
            self._deleted_masks[leaf] = postings.deleted_mask(reader)
        return self._deleted_masks[leaf]

    def lengths(self, field: str) -> dense.Floats:
        """Every document's length of a field (as Whoosh stores it), by document number."""
        lengths = self._shared.field_lengths.get(field)
        if lengths is None:
            read: list[int | None] = []
            for sub, _offset in self.searcher.leaf_searchers():  # offsets are contiguous
                read += field_lengths(sub.reader(), field)
            lengths = dense.lengths_array(read)
            self._shared.field_lengths[field] = lengths
        return lengths

    def keep(self, key: Hashable, size: int, value: Any) -> None:
        """Keep a value of `size` bytes in the bounded cache (least recently used goes first)."""
        shared = self._shared
        with shared.lock:
            previous = shared.postings.get(key)
            if previous is not None:  # another thread computed it meanwhile
                shared.postings_size -= previous[0]
            shared.postings[key] = (size, value)
            shared.postings_size += size
            while shared.postings_size > POSTINGS_CACHE_BYTES and len(shared.postings) > 1:
                _, (old, _) = shared.postings.popitem(last=False)
                shared.postings_size -= old

    def cached(self, key: Hashable) -> Any:
        """A value kept under the key (now the most recently used), or None."""
        shared = self._shared
        with shared.lock:
            hit = shared.postings.get(key)
            if hit is None:
                return None
            shared.postings.move_to_end(key)
            return hit[1]

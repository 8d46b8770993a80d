"""One thread's view of an index: a Whoosh searcher plus caches that make queries cheap."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from whoosh import index as windex
from whoosh import scoring
from whoosh.query import Query, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import dense, filters, postings, pruning, query_builder
from kbportal.search.caches import caches_for
from kbportal.search.lengths import field_lengths
from kbportal.search.lexicon import Vocabulary
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

SCOPE_CACHE = 64  # viewer x locale x category combinations kept
ARTICLE_FREQUENCIES = 20_000  # terms whose article count is kept (~100 bytes each)
# Bytes of cached postings (8 an entry) and summed word scores (~16 an entry): the lists of
# the common words, which cost the most to decode, stay (at 100k articles one such list is
# ~90,000 entries; 200 different tldr queries read ~60 MB of them).
POSTINGS_CACHE_BYTES = 96 * 2**20
LEAF_PARAMS = 50_000  # terms whose scorer parameters are kept (~300 bytes each)
WHOLE_LIST = 0.25  # decode a whole posting list when a lookup needs this share of its blocks


class _Leaf(NamedTuple):
    """A segment holding a term in a field, and the term's BM25F parameters there."""

    position: int  # among the leaf searchers
    searcher: WhooshSearcher
    offset: int  # its first document number
    params: tuple[float, float, float, float] | None  # idf, avgfl, B, K1; None: not BM25F
    bound: float  # the most the term scores there (inf: unknown)


_Stored = npt.NDArray[np.floating[Any]]  # weights: float32 where exact, else float64
_Postings = tuple[tuple[dense.Ints, _Stored] | None, ...]


def _compact(weights: postings.Weights) -> _Stored:
    """Weights as float32 where that holds them exactly (term counts do), else as they are."""
    narrow = weights.astype(np.float32)
    return narrow if np.array_equal(narrow, weights) else weights


def _joined(docs: list[dense.Ints], scores: list[dense.Floats]) -> tuple[dense.Ints, dense.Floats]:
    """Segments' (documents, scores) as one pair, in document order."""
    if not docs:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    if len(docs) == 1:
        return docs[0], scores[0]
    return np.concatenate(docs), np.concatenate(scores)


class IndexReader:
    """A Whoosh searcher for one thread, with cached filter sets and term postings."""

    def __init__(self, ix: windex.Index, vocabulary: Vocabulary | None = None) -> None:
        # Spelling words, shared by the threads reading the same opened index
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary()
        self.searcher: WhooshSearcher = ix.searcher(weighting=query_builder.weighting())
        self._shared = caches_for(ix, self.searcher)
        self.keys: list[str] = self._shared.keys
        self.article_of: list[int] = self._shared.article_of
        self.narticles: int = self._shared.narticles
        self._deleted_masks: dict[int, Any] = {}
        self._leaf_params: dict[tuple[str, str], tuple[_Leaf, ...]] = {}

    def scope(
        self, viewer: Viewer, locale: str | None, category: str | None, first_only: bool = False
    ) -> set[int]:
        """The documents the viewer may see in a locale and category (cached)."""
        key = filters.scope_key(viewer, locale, category, first_only)
        shared = self._shared
        with shared.lock:
            docs = shared.scopes.get(key)
            if docs is not None:
                shared.scopes.move_to_end(key)
                return docs
        q = filters.scope_filter(viewer, locale, category, first_only)
        # From the open older version's set when this index shares its segments (a publish)
        docs = shared.carried_scope(key, q, self.searcher)
        if docs is None:
            docs = set(self.searcher.docs_for_query(q))
        with shared.lock:
            shared.scopes[key] = docs
            if len(shared.scopes) > SCOPE_CACHE:
                shared.scopes.popitem(last=False)
        return docs

    def _read_scores(self, field: str, term: str) -> dict[int, float]:
        """BM25F score of every live document holding a term in a field."""
        docs, scores = self.field_scores(field, term)
        return dict(zip(docs.tolist(), scores.tolist(), strict=True))

    def field_scores(self, field: str, term: str) -> tuple[dense.Ints, dense.Floats]:
        """(documents ascending, BM25F scores) of the live documents holding a term in a
        field (its postings cached, bounded; scores computed from them)."""
        docs: list[dense.Ints] = []
        scores: list[dense.Floats] = []
        cached = self._postings(field, term)
        for leaf, part in zip(self._leaves(field, term), cached, strict=True):
            if part is None:
                held, values = self._matched(leaf, field, term)
            else:
                held, values = part[0], self._scored(field, leaf, *part)
            docs.append(held)
            scores.append(values)
        return _joined(docs, scores)

    def scores_of(
        self, field: str, term: str, wanted: dense.Ints
    ) -> tuple[dense.Ints, dense.Floats]:
        """`field_scores` of the wanted documents only (sorted): the blocks of postings that
        hold none of them are not decoded; a list where most blocks would be decoded anyway
        is read whole and cached, so a common word's list is read once."""
        cached: _Postings | None = self._lookup(("postings", field, term))
        if cached is None:
            blocks = self.searcher.doc_frequency(field, term) / postings.BLOCK
            if len(wanted) < blocks * WHOLE_LIST:
                return self._score_postings(field, term, wanted)
            cached = self._postings(field, term)
        docs: list[dense.Ints] = []
        scores: list[dense.Floats] = []
        for leaf, part in zip(self._leaves(field, term), cached, strict=True):
            if part is None:
                held, values = self._matched(leaf, field, term, wanted)
            else:
                ids, weights = part
                at = np.searchsorted(ids, wanted)
                at[at == len(ids)] = 0
                at = at[ids[at] == wanted] if len(ids) else at[:0]
                held, values = ids[at], self._scored(field, leaf, ids[at], weights[at])
            docs.append(held)
            scores.append(values)
        return _joined(docs, scores)

    def bound(self, field: str, term: str) -> float:
        """An upper bound of `field_scores` of a term, from its statistics (nothing decoded)."""
        return max((leaf.bound for leaf in self._leaves(field, term)), default=0.0)

    def _leaves(self, field: str, term: str) -> tuple[_Leaf, ...]:
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
                    leaves.append(_Leaf(i, sub, offset, params, postings.bound(info, params)))
                else:
                    leaves.append(_Leaf(i, sub, offset, None, float("inf")))
            if len(self._leaf_params) >= LEAF_PARAMS:
                self._leaf_params.clear()  # small tuples, cheap to make again: no LRU
            found = self._leaf_params[key] = tuple(leaves)
        return found

    def _postings(self, field: str, term: str) -> _Postings:
        """A term's live postings in each segment holding it: (documents, weights), None where
        the scorer is not BM25F (cached, bounded by bytes)."""
        key = ("postings", field, term)
        cached: _Postings | None = self._lookup(key)
        if cached is None:
            parts: list[tuple[dense.Ints, _Stored] | None] = []
            for leaf in self._leaves(field, term):
                if leaf.params is None:
                    parts.append(None)
                    continue
                reader = leaf.searcher.reader()
                deleted = self._deleted(leaf.position, reader)
                ids, weights = postings.leaf_postings(reader, field, term, deleted)
                parts.append(((ids + leaf.offset).astype(np.int32), _compact(weights)))
            cached = tuple(parts)
            self._cached(key, sum(p[0].nbytes + p[1].nbytes for p in parts if p), cached)
        return cached

    def _scored(self, field: str, leaf: _Leaf, ids: dense.Ints, weights: _Stored) -> dense.Floats:
        """BM25F scores of postings: the scorer's own formula and parameters, in the same order
        of operations as its per-posting score() (float64 both: the same bits)."""
        assert leaf.params is not None
        idf, avgfl, b, k1 = leaf.params
        w = weights.astype(np.float64)  # float32 only where that held the weights exactly
        lengths = self._lengths(field)[ids]
        scored: dense.Floats = idf * (w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths / avgfl))
        return scored

    def _matched(
        self, leaf: _Leaf, field: str, term: str, wanted: dense.Ints | None = None
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
        for leaf in self._leaves(field, term):
            if leaf.params is None:
                held, values = self._matched(leaf, field, term, wanted)
            else:
                reader = leaf.searcher.reader()
                deleted = self._deleted(leaf.position, reader)
                end = leaf.offset + leaf.searcher.doc_count_all()
                lo, hi = np.searchsorted(wanted, [leaf.offset, end])
                local = (wanted[lo:hi] - leaf.offset).tolist()
                ids, w = postings.leaf_postings_in(reader, field, term, deleted, local)
                held = (ids + leaf.offset).astype(np.int32)
                values = self._scored(field, leaf, held, w)
            docs.append(held)
            scores.append(values)
        return _joined(docs, scores)

    def _deleted(self, leaf: int, reader: Any) -> Any:
        """A segment's deleted-documents mask (kept per reader: segments do not change)."""
        if leaf not in self._deleted_masks:
            self._deleted_masks[leaf] = postings.deleted_mask(reader)
        return self._deleted_masks[leaf]

    def _lengths(self, field: str) -> dense.Floats:
        """Every document's length of a field (as Whoosh stores it), by document number."""
        lengths = self._shared.field_lengths.get(field)
        if lengths is None:
            read: list[int | None] = []
            for sub, _offset in self.searcher.leaf_searchers():  # offsets are contiguous
                read += field_lengths(sub.reader(), field)
            lengths = dense.lengths_array(read)
            self._shared.field_lengths[field] = lengths
        return lengths

    def _cached(self, key: Hashable, size: int, value: Any) -> None:
        """Keep a value in the bounded score cache (least recently used goes first)."""
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

    def _lookup(self, key: Hashable) -> Any:
        shared = self._shared
        with shared.lock:
            hit = shared.postings.get(key)
            if hit is None:
                return None
            shared.postings.move_to_end(key)
            return hit[1]

    def doc_ids(self, field: str, term: str) -> dense.Ints:
        """The live documents holding a term in a field, ascending (cached, bounded)."""
        key = ("ids", field, term)
        found: dense.Ints | None = self._lookup(key)
        if found is None:
            parts = []
            for i, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
                reader = sub.reader()
                ids, _ = postings.leaf_postings(reader, field, term, self._deleted(i, reader))
                parts.append((ids + offset).astype(np.int32))
            found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
            self._cached(key, found.nbytes, found)
        return found

    def docs(self, field: str, term: str) -> frozenset[int]:
        """The live documents holding a term in a field."""
        return frozenset(self.doc_ids(field, term).tolist())

    def article_frequency(self, term: str) -> int:
        """How many articles hold a term (the whole-article text field's BM25 statistic)."""
        known = self._shared.article_frequencies
        df = known.get(term)
        if df is None:
            df = int(self.searcher.doc_frequency("article_text", term))
            if len(known) >= ARTICLE_FREQUENCIES:
                known.clear()  # plain ints, cheap to read again: no LRU bookkeeping
            known[term] = df
        return df

    def visible(self, field: str, term: str, scope: set[int]) -> bool:
        """Whether a document in the scope holds the term in the field."""
        key = ("ids", field, term)
        known: dense.Ints | None = self._lookup(key)
        mask = self._mask(scope)
        if known is not None:
            return bool(mask[known].any())
        # Read until the first visible one: in a broad scope that is the first block.
        for i, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
            reader = sub.reader()
            for ids, _ in postings.blocks(reader, field, term, self._deleted(i, reader)):
                if mask[ids + offset].any():
                    return True
        return False

    def term_scores(self, field: str, term: str) -> dict[int, float]:
        """BM25F score of every live document holding a term in a field."""
        return self._read_scores(field, term)

    def group_scores(
        self, group: tuple[tuple[str, str, float], ...]
    ) -> tuple[dict[int, float], dict[int, float]]:
        """One query word's boosted scores: section fields, whole-article fields."""
        g = self.group_arrays(group)
        return (
            dict(zip(g.word_docs.tolist(), g.word_scores.tolist(), strict=True)),
            dict(zip(g.art_docs.tolist(), g.art_scores.tolist(), strict=True)),
        )

    def article_arrays(self, group: tuple[tuple[str, str, float], ...]) -> dense.GroupArrays:
        """`group_arrays` of the word's whole-article fields only (no section postings read)."""
        return self.group_arrays(tuple(f for f in group if f[0] in query_builder.ARTICLE_FIELDS))

    def group_arrays(self, group: tuple[tuple[str, str, float], ...]) -> dense.GroupArrays:
        """One query word's boosted scores as arrays: section fields by document, whole-article
        fields by article (cached; ~16 bytes an entry)."""
        key = ("arrays", group)
        cached: dense.GroupArrays | None = self._lookup(key)
        if cached is None:
            ndocs = len(self.keys)
            word: list[tuple[dense.Ints, dense.Floats, float]] = []
            art: list[tuple[dense.Ints, dense.Floats, float]] = []
            for field, term, boost in group:
                into = art if field in query_builder.ARTICLE_FIELDS else word
                into.append((*self.field_scores(field, term), boost))
            cached = dense.group_arrays(
                dense.summed(word, ndocs), dense.summed(art, ndocs), self._shared.article_array
            )
            self._cached(key, cached.nbytes, cached)
        return cached

    @property
    def article_array(self) -> dense.Ints:
        """Article number by document number."""
        return self._shared.article_array

    def scope_mask(self, scope: set[int]) -> Any:
        """A scope set as a document mask (cached)."""
        return self._mask(scope)

    def _mask(self, scope: set[int]) -> Any:
        """The document mask of a scope set (scope sets are cached, so few masks exist)."""
        masks = self._shared.masks
        held = masks.get(id(scope))
        if held is None or held[0] is not scope:
            if len(masks) > 2 * SCOPE_CACHE:
                masks.clear()
            held = masks[id(scope)] = (scope, dense.scope_mask(scope, len(self.keys)))
        return held[1]

    def first_pass(
        self,
        built: query_builder.BuiltQuery,
        scope: set[int],
        k: int | None = None,
        articles: int = 0,
    ) -> dense.Found:
        """Scores of the documents in the scope holding any of the query's terms.

        With `k`, pruned where that pays (`pruning`): exact for the k best documents, the
        rest and the count only nearly so. Else every matching document, exactly.
        """
        if k is not None:
            pruned = pruning.first_pass(self, built, scope, k, articles)
            if pruned is not None:
                pruned.full = lambda more: self.first_pass(built, scope, more)
                return pruned
        total = len(built.groups)
        shared = self._shared
        if total > 1 and query_builder.COORD_SCALE:
            coordinated = self._coordinated(built, scope)
            docs = np.array(sorted(coordinated), dtype=np.int32)
            found = dense.Found(
                docs,
                np.array([coordinated[d] for d in docs.tolist()], dtype=np.float64),
                shared.article_array,
            )
        else:
            # No coordination: skip counting matched words (the common, faster path), and add
            # up in numpy: the per-posting dict loop was the largest part of a query.
            found = dense.add_up(
                [self.group_arrays(group) for group in built.groups],
                shared.article_array,
                shared.narticles,
                self._mask(scope),
                query_builder.combine,
            )
        for bonus in built.bonuses:
            if isinstance(bonus, Term):
                found.add_term(*self.field_scores(bonus.fieldname, bonus.text), bonus.boost)
        return found

    def _coordinated(self, built: query_builder.BuiltQuery, scope: set[int]) -> dict[int, float]:
        """First-pass scores with the coordination factor for words matched."""
        acc: dict[int, float] = {}
        matched: dict[int, int] = {}
        # Whole-article fields (on an article's first document) rank the article; the
        # section fields pick its best section and only nudge the ranking (query_builder).
        whole: dict[int, float] = {}  # article number -> score
        whole_matched: dict[int, int] = {}
        article_of = self.article_of
        for group in built.groups:
            word, art = self.group_scores(group)
            for d, score in word.items():
                acc[d] = acc.get(d, 0.0) + score
                matched[d] = matched.get(d, 0) + 1
            for d, score in art.items():
                a = article_of[d]
                whole[a] = whole.get(a, 0.0) + score
                whole_matched[a] = whole_matched.get(a, 0) + 1
                acc.setdefault(d, 0.0)  # the first document stands for its article
                matched.setdefault(d, 0)
        total = len(built.groups)
        coordinate, combine = query_builder.coordinate, query_builder.combine
        return {
            d: combine(
                coordinate(whole.get(a, 0.0), whole_matched.get(a, 0), total),
                coordinate(acc[d], matched[d], total),
            )
            for d in acc.keys() & scope
            for a in (article_of[d],)
        }

    def count_articles(self, found: dense.Found) -> int:
        """How many distinct articles the first pass's documents belong to."""
        return found.articles()

    def top_articles(
        self, built: query_builder.BuiltQuery, found: dense.Found, wanted: int
    ) -> list[tuple[int, float]]:
        """(docnum, score) of the best section of each of the top `wanted` articles."""
        limit = max(wanted * 3, query_builder.RERANK_DEPTH)
        total = self.count_articles(found)
        while True:
            if found.exact_for is not None and limit > found.exact_for and found.full:
                found = found.full(limit)  # more wanted than the pruned pass is exact for
            candidates = found.top(limit)
            at = np.searchsorted(found.docs, candidates)
            scores = dict(zip(candidates, found.scores[at].tolist(), strict=True))
            for bonus in built.bonuses:
                if isinstance(bonus, Term):
                    continue  # already added in the first pass
                for d, extra in self.rescore(bonus, candidates).items():
                    scores[d] += extra
            ranked = sorted(candidates, key=lambda d: (-scores[d], d))
            best: dict[str, tuple[int, float]] = {}
            for docnum in ranked:
                best.setdefault(self.keys[docnum], (docnum, scores[docnum]))
            if len(best) >= min(wanted, total) or len(candidates) < limit:
                return list(best.values())
            limit *= 4

    def rescore(self, q: Query, docnums: Iterable[int]) -> dict[int, float]:
        """The query's scores for the given documents only (skipping through postings)."""
        wanted = sorted(docnums)
        scores: dict[int, float] = {}
        context = self.searcher.context()
        for sub, offset in self.searcher.leaf_searchers():
            end = offset + sub.doc_count_all()
            local = [d - offset for d in wanted if offset <= d < end]
            if not local:
                continue
            m = q.matcher(sub, context)
            for d in local:
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                    if not m.is_active():
                        break
                if m.id() == d:
                    scores[d + offset] = m.score()
        return scores

    def close(self) -> None:
        """Close the Whoosh searcher."""
        self.searcher.close()

"""One thread's view of an index: a Whoosh searcher plus caches that make queries cheap."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Hashable, Iterable
from typing import Any

from whoosh import index as windex
from whoosh import scoring
from whoosh.query import Query, Term
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import dense, filters, query_builder
from kbportal.search.caches import caches_for
from kbportal.search.lengths import field_lengths
from kbportal.search.lexicon import Vocabulary
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

SCOPE_CACHE = 64  # viewer x locale x category combinations kept
ARTICLE_FREQUENCIES = 20_000  # terms whose article count is kept (~100 bytes each)
POSTINGS_CACHE_IDS = 300_000  # entries kept in cached score maps (~100 bytes each)


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
        scores: dict[int, float] = {}
        weighting = self.searcher.weighting
        for sub, offset in self.searcher.leaf_searchers():
            reader = sub.reader()
            if (field, term) not in reader:
                continue
            scorer = weighting.scorer(sub, field, term)  # global idf and average length
            if isinstance(scorer, scoring.BM25FScorer):
                # The scorer's own formula and parameters, with field lengths read once per
                # reader: a third of the cost of Whoosh's per-posting score() chain.
                idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
                lengths = self._lengths(field)
                m = reader.postings(field, term)
                while m.is_active():
                    d, w = m.id() + offset, m.weight()
                    scores[d] = idf * (w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths[d] / avgfl))
                    m.next()
            else:
                m = sub.postings(field, term)
                while m.is_active():
                    scores[m.id() + offset] = m.score()
                    m.next()
        return scores

    def _lengths(self, field: str) -> list[int]:
        """Every document's length of a field (as Whoosh stores it), by document number."""
        lengths = self._shared.field_lengths.get(field)
        if lengths is None:
            lengths = []
            for sub, _offset in self.searcher.leaf_searchers():  # offsets are contiguous
                lengths += field_lengths(sub.reader(), field)
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
            while shared.postings_size > POSTINGS_CACHE_IDS and len(shared.postings) > 1:
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

    def docs(self, field: str, term: str) -> frozenset[int]:
        """The live documents holding a term in a field (cached, bounded)."""
        key = ("docs", field, term)
        found: frozenset[int] | None = self._lookup(key)
        if found is None:
            reader = self.searcher.reader()
            if (field, term) in reader:
                found = frozenset(reader.postings(field, term).all_ids())
            else:
                found = frozenset()
            self._cached(key, len(found), found)
        return found

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
        return not self.docs(field, term).isdisjoint(scope)

    def term_scores(self, field: str, term: str) -> dict[int, float]:
        """BM25F score of every live document holding a term in a field (cached, bounded)."""
        key = ("term", field, term)
        scores: dict[int, float] | None = self._lookup(key)
        if scores is None:
            scores = self._read_scores(field, term)
            self._cached(key, len(scores), scores)
        return scores

    def group_scores(
        self, group: tuple[tuple[str, str, float], ...]
    ) -> tuple[dict[int, float], dict[int, float]]:
        """One query word's boosted scores: section fields, whole-article fields (cached)."""
        key = ("group", group)
        cached: tuple[dict[int, float], dict[int, float]] | None = self._lookup(key)
        if cached is not None:
            return cached
        word, art = self._group_maps(group)
        self._cached(key, len(word) + len(art), (word, art))
        return word, art

    def _group_maps(
        self, group: tuple[tuple[str, str, float], ...]
    ) -> tuple[dict[int, float], dict[int, float]]:
        word: dict[int, float] = {}
        art: dict[int, float] = {}
        for field, term, boost in group:
            into = art if field in query_builder.ARTICLE_FIELDS else word
            get = into.get
            for d, score in self._read_scores(field, term).items():
                into[d] = get(d, 0.0) + score * boost
        return word, art

    def group_arrays(self, group: tuple[tuple[str, str, float], ...]) -> dense.GroupArrays:
        """`group_scores` as numpy arrays (cached; ~16 bytes an entry instead of ~100)."""
        key = ("arrays", group)
        cached: dense.GroupArrays | None = self._lookup(key)
        if cached is None:
            cached = dense.group_arrays(*self._group_maps(group), self._shared.article_array)
            self._cached(key, cached.size, cached)
        return cached

    def _mask(self, scope: set[int]) -> Any:
        """The document mask of a scope set (scope sets are cached, so few masks exist)."""
        masks = self._shared.masks
        held = masks.get(id(scope))
        if held is None or held[0] is not scope:
            if len(masks) > 2 * SCOPE_CACHE:
                masks.clear()
            held = masks[id(scope)] = (scope, dense.scope_mask(scope, len(self.keys)))
        return held[1]

    def first_pass(self, built: query_builder.BuiltQuery, scope: set[int]) -> dict[int, float]:
        """Scores of every document in the scope holding any of the query's terms.

        Added up from cached per-term BM25F scores: far cheaper than Whoosh's matcher tree
        on broad questions, and every matching document is counted exactly.
        """
        total = len(built.groups)
        if total > 1 and query_builder.COORD_SCALE:
            found = self._coordinated(built, scope)
        else:
            # No coordination: skip counting matched words (the common, faster path), and add
            # up in numpy: the per-posting dict loop was the largest part of a query.
            shared = self._shared
            found = dense.add_up(
                [self.group_arrays(group) for group in built.groups],
                shared.article_array,
                shared.narticles,
                self._mask(scope),
                query_builder.combine,
            )
        for bonus in built.bonuses:
            if isinstance(bonus, Term):
                for d, score in self.term_scores(bonus.fieldname, bonus.text).items():
                    if d in found:
                        found[d] += score * bonus.boost
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

    def count_articles(self, docs: Iterable[int]) -> int:
        """How many distinct articles the documents belong to."""
        return len(set(map(self.article_of.__getitem__, docs)))

    def top_articles(
        self, built: query_builder.BuiltQuery, found: dict[int, float], wanted: int
    ) -> list[tuple[int, float]]:
        """(docnum, score) of the best section of each of the top `wanted` articles."""
        limit = max(wanted * 3, query_builder.RERANK_DEPTH)
        total = self.count_articles(found)
        while True:
            candidates = heapq.nlargest(limit, found, key=found.__getitem__)
            scores = {d: found[d] for d in candidates}
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

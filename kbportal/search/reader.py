"""One thread's view of an index: a Whoosh searcher plus caches that make queries cheap."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import index as windex
from whoosh.query import Phrase, Query, Term
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import dense, filters, postings, pruning, query_builder
from kbportal.search.caches import caches_for
from kbportal.search.lexicon import Vocabulary
from kbportal.search.term_scores import TermScores
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

SCOPE_CACHE = 64  # viewer x locale x category combinations kept
ARTICLE_FREQUENCIES = 20_000  # terms whose article count is kept (~100 bytes each)


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
        self.terms = TermScores(self.searcher, self._shared)

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

    def field_scores(self, field: str, term: str) -> tuple[dense.Ints, dense.Floats]:
        """(documents ascending, BM25F scores) of the live documents holding a term in a field."""
        return self.terms.field_scores(field, term)

    def scores_of(
        self, field: str, term: str, wanted: dense.Ints
    ) -> tuple[dense.Ints, dense.Floats]:
        """`field_scores` of the wanted documents only (sorted)."""
        return self.terms.scores_of(field, term, wanted)

    def bound(self, field: str, term: str) -> float:
        """An upper bound of `field_scores` of a term, from its statistics (nothing decoded)."""
        return self.terms.bound(field, term)

    def doc_ids(self, field: str, term: str) -> dense.Ints:
        """The live documents holding a term in a field, ascending (cached, bounded)."""
        key = ("ids", field, term)
        found: dense.Ints | None = self.terms.cached(key)
        if found is None:
            parts = []
            for i, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
                reader = sub.reader()
                ids, _ = postings.leaf_postings(reader, field, term, self.terms.deleted(i, reader))
                parts.append((ids + offset).astype(np.int32))
            found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
            self.terms.keep(key, found.nbytes, found)
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
        known: dense.Ints | None = self.terms.cached(key)
        mask = self._mask(scope)
        if known is not None:
            return bool(mask[known].any())
        # Read until the first visible one: in a broad scope that is the first block.
        for i, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
            reader = sub.reader()
            for ids, _ in postings.blocks(reader, field, term, self.terms.deleted(i, reader)):
                if mask[ids + offset].any():
                    return True
        return False

    def term_scores(self, field: str, term: str) -> dict[int, float]:
        """BM25F score of every live document holding a term in a field."""
        docs, scores = self.field_scores(field, term)
        return dict(zip(docs.tolist(), scores.tolist(), strict=True))

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
        """Arrays whose whole-article part (`art_*`) is the word's: the search's own, when the
        first pass holds them (the same fields added in the same order), else those of the
        whole-article fields only (no section postings read)."""
        light = tuple(f for f in group if f[0] != pruning.DEFERRED)
        for held in (group, light):  # the full pass's, the pruned pass's
            cached: dense.GroupArrays | None = self.terms.cached(("arrays", held))
            if cached is not None:
                return cached
        return self.group_arrays(tuple(f for f in group if f[0] in query_builder.ARTICLE_FIELDS))

    def group_arrays(self, group: tuple[tuple[str, str, float], ...]) -> dense.GroupArrays:
        """One query word's boosted scores as arrays: section fields by document, whole-article
        fields by article (cached; ~16 bytes an entry)."""
        key = ("arrays", group)
        cached: dense.GroupArrays | None = self.terms.cached(key)
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
            self.terms.keep(key, cached.nbytes, cached)
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
            candidates = np.array(found.top(limit), dtype=np.int64)
            scores = found.scores[np.searchsorted(found.docs, candidates)].copy()
            for bonus in built.bonuses:
                if isinstance(bonus, Term):
                    continue  # already added in the first pass
                extra = self.rescore(bonus, self._may_match(bonus, candidates).tolist())
                if extra:
                    where = {d: i for i, d in enumerate(candidates.tolist())}
                    for d, value in extra.items():
                        scores[where[d]] += value  # float64 both: as the dict's +=
            # By falling score, then document: each article at its first (best) section
            order = np.lexsort((candidates, -scores))
            articles = self.article_array[candidates[order]]
            firsts = np.sort(np.unique(articles, return_index=True)[1])
            best = list(
                zip(
                    candidates[order][firsts].tolist(),
                    scores[order][firsts].tolist(),
                    strict=True,
                )
            )
            if len(best) >= min(wanted, total) or len(candidates) < limit:
                return best
            limit *= 4

    def _may_match(self, q: Query, docs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The documents a bonus query can match: for a phrase, those holding all its words."""
        if isinstance(q, Phrase):
            for word in q.words:
                docs = docs[np.isin(docs, self.doc_ids(q.fieldname, word))]
        return docs

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

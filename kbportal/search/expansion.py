"""Query expansion by meaning: each query word also searches for its nearest words in the articles.

A customer says "corona", "transmitted", "смартфон"; the answer says "coronavirus", "spread",
"телефон". The shipped word tables know those are close. Each query word brings its K nearest
words among the words of the indexed articles (cosine >= FLOOR, another stem), searched at
BOOST of the usual weight, so an exact match still counts most. Measured on all three sets
(docs/search-quality.md).

The same neighbours also say how common a word's *meaning* is. "coronavirus" is rare in a
COVID FAQ that says "COVID-19" everywhere, so BM25 gives it a high idf and ranks first the few
articles that happen to spell it ("What is a coronavirus?") for every question that names the
disease. A query word weighs as much as its commonest close neighbour (cosine >= ALIKE) allows:
its boosts are scaled by idf(that neighbour's document frequency) / idf(its own), never up.

The neighbours come only from words that a document the viewer may see holds: which words
exist in hidden articles must not change what a customer's search does.
"""

from __future__ import annotations

import threading

import numpy as np

from kbportal.search import analysis, encoder, query_builder
from kbportal.search.reader import IndexReader
from kbportal.search.semantic import ArticleVectors
from kbportal.search.wordvectors import content_words, table

K = 2
FLOOR = 0.6
ALIKE = 0.65  # a neighbour this close means the same for how common the word is
BOOST = 0.3
MAX_WORDS = 12  # query words expanded (a long message: its first ones)
VOCABULARY_MAX = 8_000  # article words considered, the most widespread first (4 MB, float32)


class Vocabulary:
    """The article words of one index's language with a vector, as a unit-length matrix."""

    def __init__(self, vectors: ArticleVectors) -> None:
        words = table(vectors.language)
        names: list[str] = []
        rows = []
        if words is not None:
            by_df = sorted(vectors.df, key=lambda w: -vectors.df[w])
            seen: set[int] = set()
            for word in by_df:
                # Whole words only, not guessed pieces; one word per row (a Russian stem's
                # forms share one: the most widespread form stands for them).
                ids = words.ids(word) if words.stemmed or word in words.index else []
                if len(ids) != 1 or ids[0] in seen:
                    continue
                seen.add(ids[0])
                vec = words.vector(word)
                if vec is not None:
                    names.append(word)
                    rows.append(vec)
                if len(names) >= VOCABULARY_MAX:
                    break
        matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        self.words = names
        self.matrix = (matrix / norms).astype(np.float32)  # float32: no conversion per query

    def nearest(self, query_words: list[str], language: str) -> list[list[tuple[str, float]]]:
        """For each query word, up to K+8 (article word, cosine) by falling cosine (>= FLOOR)."""
        words = table(language)
        if words is None or not self.words or not query_words:
            return [[] for _ in query_words]
        # Whole query words only: a vector guessed from the pieces of an unknown word (a rare
        # name, a product code) has no meaning to find neighbours by.
        vecs = [words.vector(w) if len(words.ids(w)) == 1 else None for w in query_words]
        have = [i for i, v in enumerate(vecs) if v is not None]
        out: list[list[tuple[str, float]]] = [[] for _ in query_words]
        if not have:
            return out
        q = np.vstack([v for v in vecs if v is not None]).astype(np.float32)
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-9)
        sims = self.matrix @ q.T  # vocabulary x query words
        take = min(K + 8, len(self.words))
        for col, i in enumerate(have):
            column = sims[:, col]
            top = np.argpartition(-column, take - 1)[:take]
            top = top[np.argsort(-column[top])]
            out[i] = [(self.words[j], float(column[j])) for j in top if column[j] >= FLOOR]
        return out


_vocabularies: dict[int, tuple[dict[str, int], Vocabulary]] = {}
_lock = threading.Lock()


def vocabulary(vectors: ArticleVectors) -> Vocabulary:
    """The vocabulary of one set of article vectors (made once, on first use).

    Kept by their word statistics, which a publish carries over unchanged to the next
    version's vectors (search.vector_delta): a new version does not make it again."""
    key = id(vectors.df)
    with _lock:
        held = _vocabularies.get(key)
        if held is not None and held[0] is vectors.df:
            return held[1]
    made = Vocabulary(vectors)
    with _lock:
        for stale in [k for k, (v, _) in _vocabularies.items() if k != key]:
            if len(_vocabularies) > 4:  # a few index generations and languages at most
                del _vocabularies[stale]
        _vocabularies[key] = (vectors.df, made)
    return made


def expand(
    reader: IndexReader,
    vectors: ArticleVectors,
    text: str,
    built: query_builder.BuiltQuery,
    scope: set[int],
) -> query_builder.BuiltQuery:
    """The query with each word's nearest visible article words added at BOOST, and each
    word weighed by how common its meaning is (see the module's docstring)."""
    if vectors.encoded is not None:  # the sentence encoder reads the query beside this pass
        encoder.start_query(text)
    if not K:
        return built
    query_words = content_words(text[: query_builder.MAX_CHARS])[:MAX_WORDS]
    near = vocabulary(vectors).nearest(query_words, vectors.language)
    own_terms = set(built.terms)
    have = set(own_terms)
    extra: list[str] = []
    scale: dict[str, float] = {}
    for word, candidates in zip(query_words, near, strict=True):
        own, taken = analysis.stem(word), 0
        alike: list[str] = []
        for candidate, cosine in candidates:
            term = analysis.term_of(candidate)
            if not term or term == own:
                continue
            if not reader.visible("article_text", term, scope):
                continue  # a word only hidden articles hold changes nothing for this viewer
            if cosine >= ALIKE:
                alike.append(term)
            if taken < K and term not in have:
                have.add(term)
                extra.append(term)
                taken += 1
        if alike and own in own_terms:
            ratio = _commonness_ratio(reader, own, alike)
            if ratio < scale.get(own, 1.0):
                scale[own] = ratio
    if scale:
        built = query_builder.reweighted(built, scale)
    return query_builder.with_terms(built, extra, BOOST) if extra else built


def _commonness_ratio(reader: IndexReader, own: str, alike: list[str]) -> float:
    """idf of the commonest of a term's close neighbours over the term's own idf (<= 1)."""
    df = reader.article_frequency
    mine = df(own)
    if not mine:
        return 1.0  # a word no article holds scores nothing anyway
    common = max(df(term) for term in alike)
    if common <= mine:
        return 1.0
    n = reader.narticles
    return query_builder.article_idf(n, common) / query_builder.article_idf(n, mine)

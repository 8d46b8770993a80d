"""Query expansion by meaning: each query word also searches for its nearest words in the articles.

A customer says "corona", "transmitted", "смартфон"; the answer says "coronavirus", "spread",
"телефон". The shipped word tables know those are close. Each query word brings its K nearest
words among the words of the indexed articles (cosine >= FLOOR, another stem), searched at
BOOST of the usual weight, so an exact match still counts most. Measured on all three sets
(docs/search-quality.md).

The neighbours come only from words that a document the viewer may see holds: which words
exist in hidden articles must not change what a customer's search does.
"""

from __future__ import annotations

import threading

import numpy as np

from kbportal.search import analysis, query_builder
from kbportal.search.reader import IndexReader
from kbportal.search.semantic import ArticleVectors
from kbportal.search.wordvectors import content_words, table

K = 2
FLOOR = 0.6
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

    def nearest(self, query_words: list[str], language: str) -> list[list[str]]:
        """For each query word, up to K+8 article words by falling cosine (>= FLOOR)."""
        words = table(language)
        if words is None or not self.words or not query_words:
            return [[] for _ in query_words]
        # Whole query words only: a vector guessed from the pieces of an unknown word (a rare
        # name, a product code) has no meaning to find neighbours by.
        vecs = [words.vector(w) if len(words.ids(w)) == 1 else None for w in query_words]
        have = [i for i, v in enumerate(vecs) if v is not None]
        out: list[list[str]] = [[] for _ in query_words]
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
            out[i] = [self.words[j] for j in top if column[j] >= FLOOR]
        return out


_vocabularies: dict[int, tuple[ArticleVectors, Vocabulary]] = {}
_lock = threading.Lock()


def vocabulary(vectors: ArticleVectors) -> Vocabulary:
    """The vocabulary of one set of article vectors (made once, on first use)."""
    key = id(vectors)
    with _lock:
        held = _vocabularies.get(key)
        if held is not None and held[0] is vectors:
            return held[1]
    made = Vocabulary(vectors)
    with _lock:
        for stale in [k for k, (v, _) in _vocabularies.items() if k != key]:
            if len(_vocabularies) > 4:  # a few index generations and languages at most
                del _vocabularies[stale]
        _vocabularies[key] = (vectors, made)
    return made


def expand(
    reader: IndexReader,
    vectors: ArticleVectors,
    text: str,
    built: query_builder.BuiltQuery,
    scope: set[int],
) -> query_builder.BuiltQuery:
    """The query with each word's nearest visible article words added at BOOST."""
    if not K:
        return built
    query_words = content_words(text[: query_builder.MAX_CHARS])[:MAX_WORDS]
    near = vocabulary(vectors).nearest(query_words, vectors.language)
    have = set(built.terms)
    extra: list[str] = []
    for word, candidates in zip(query_words, near, strict=True):
        own, taken = analysis.stem(word), 0
        for candidate in candidates:
            if taken >= K:
                break
            terms = query_builder.query_terms(candidate)
            if not terms or terms[0] == own:
                continue
            term = terms[0]
            if term not in have and reader.visible("article_text", term, scope):
                have.add(term)
                extra.append(term)
                taken += 1
    return query_builder.with_terms(built, extra, BOOST) if extra else built

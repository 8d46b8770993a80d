"""The evidence behind each hit's confidence, gathered from the reader's cached postings."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from kbportal.search import confidence, query_builder, semantic
from kbportal.search.reader import IndexReader


def word_weights(reader: IndexReader, built: query_builder.BuiltQuery) -> list[float]:
    """Each query word's idf over articles; 0 for a word no article holds."""
    n = reader.narticles
    weights = []
    for group in built.groups[: len(built.terms)]:  # the reader's words, not added neighbours
        df = len(reader.article_arrays(group).art_docs)  # one entry per article (first documents)
        weights.append(math.log((n + 1) / (df + 0.5)) if df else 0.0)
    return weights


def confidences(
    reader: IndexReader,
    built: query_builder.BuiltQuery,
    best: Sequence[tuple[int, float]],
    start: int,
    end: int,
    cosines: tuple[list[float], list[float]] | None,
) -> list[float]:
    """The confidence of each hit in best[start:end] (cosines: (article, head) of those hits)."""
    page = best[start:end]
    if not page:
        return []
    weights = word_weights(reader, built)
    articles = np.array([reader.article_of[d] for d, _ in page], dtype=np.int32)
    # A comparison matrix, not np.isin: the page is ~10 articles, and isin would sort the postings.
    held = [
        (reader.article_arrays(g).art_articles[:, None] == articles[None, :]).any(axis=0)
        for g in built.groups[: len(built.terms)]
    ]
    scores = [s for _, s in best[: end + 1]]
    leads = confidence.leads(scores)
    top = scores[0] if scores and scores[0] > 0 else 1.0
    out = []
    for i, (_, score) in enumerate(page):
        matched = [bool(h[i]) for h in held]
        e = confidence.Evidence(
            coverage=confidence.coverage(weights, matched),
            cosine=None if cosines is None else cosines[0][i],
            head=None if cosines is None else cosines[1][i],
            lead=leads[start + i],
            rank=max(0.0, min(1.0, score / top)),
        )
        out.append(confidence.confidence(e))
    return out


def page_cosines(
    vectors: semantic.ArticleVectors | None, text: str, keys: Sequence[str]
) -> tuple[list[float], list[float]] | None:
    """Cosines of the query with the page's articles and with their best head (title or
    question), or None without vectors for all of them."""
    if vectors is None or not keys or any(k not in vectors.row for k in keys):
        return None
    query = vectors.query_vector(text)
    if query is None:
        return None
    return vectors.cosines(query, keys), vectors.head_cosines(query, keys)

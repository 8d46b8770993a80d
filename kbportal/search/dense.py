"""The first pass's sums in numpy: one query word's scores as arrays, added up per document."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class GroupArrays(NamedTuple):
    """One query word's boosted scores: section fields by document, article fields by article."""

    word_docs: Ints
    word_scores: Floats
    art_docs: Ints  # the article's first document, which stands for the article
    art_articles: Ints
    art_scores: Floats

    @property
    def nbytes(self) -> int:
        """Bytes held (what the score cache's bound counts)."""
        return sum(a.nbytes for a in self)


def summed(parts: Iterable[tuple[Ints, Floats, float]], ndocs: int) -> tuple[Ints, Floats]:
    """(documents, sums) of boosted field scores, added in the parts' order per document.

    The same additions as `into[d] = into.get(d, 0.0) + score * boost` field after field,
    so sums are bit-for-bit those of the dict loop (0.0 + x is x).
    """
    acc = np.zeros(ndocs, dtype=np.float64)
    matched = np.zeros(ndocs, dtype=bool)
    for docs, scores, boost in parts:
        acc[docs] += scores * boost  # a document appears once per field: no repeats
        matched[docs] = True
    docs = np.flatnonzero(matched).astype(np.int32)
    return docs, acc[docs]


def group_arrays(
    word: tuple[Ints, Floats], art: tuple[Ints, Floats], article_of: Ints
) -> GroupArrays:
    """One word's arrays from its summed section-field and article-field scores."""
    return GroupArrays(word[0], word[1], art[0], article_of[art[0]], art[1])


class Found:
    """The first pass's matching documents (ascending) and their scores."""

    def __init__(
        self,
        docs: npt.NDArray[np.integer[Any]],
        scores: Floats,
        article_of: Ints,
        estimate: bool = False,
        exact_for: int | None = None,
    ):
        self.docs = docs
        self.scores = scores
        self._article_of = article_of
        # Some postings were skipped (pruned): the matches may miss a few, the count is a floor
        self.estimate = estimate
        # Pruned: only this many best documents are sure to have their exact scores
        self.exact_for = exact_for
        # The pass again, exact for more best documents (pruned again where that pays)
        self.full: Callable[[int], Found] | None = None
        self._articles: int | None = None

    def __len__(self) -> int:
        return len(self.docs)

    def as_dict(self) -> dict[int, float]:
        """{docnum: score}, in document order."""
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))

    def articles(self) -> int:
        """How many distinct articles the matching documents belong to (counted once)."""
        if self._articles is None:
            # A mask by article number, not np.unique: no sort of ~100k numbers per search
            held = np.zeros(len(self._article_of), dtype=bool)  # article numbers < documents
            held[self._article_of[self.docs]] = True
            self._articles = int(np.count_nonzero(held))
        return self._articles

    def top(self, limit: int) -> list[int]:
        """The `limit` best documents (ties: the lower document first), as heapq.nlargest
        over the documents in order would pick them; in no particular order."""
        n = len(self.docs)
        if n <= limit:
            return self.docs.tolist()
        scores = self.scores
        kth = np.partition(scores, n - limit)[n - limit]  # the limit-th largest score
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[: limit - len(above)]
        return self.docs[np.concatenate([above, tied])].tolist()

    def add_term(self, docs: npt.NDArray[np.integer[Any]], scores: Floats, boost: float) -> None:
        """Add a bonus term's boosted scores to the matching documents that hold it."""
        if not len(docs) or not len(self.docs):
            return
        at, hit = locate(self.docs, docs)
        self.scores[at[hit]] += scores[hit] * boost


def locate(
    sorted_docs: npt.NDArray[np.integer[Any]], docs: npt.NDArray[np.integer[Any]]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Where each of `docs` is in the ascending `sorted_docs`, and whether it is there at all
    (a position is only meaningful where it is)."""
    if not len(sorted_docs):
        return np.zeros(len(docs), dtype=np.intp), np.zeros(len(docs), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_docs, docs), len(sorted_docs) - 1)
    return at, sorted_docs[at] == docs


def lengths_array(lengths: list[int | None]) -> Floats:
    """Stored field lengths (None: no length) as float64 by document, for the numpy scoring."""
    return np.array([n or 0 for n in lengths], dtype=np.float64)


def scope_mask(scope: Iterable[int], ndocs: int) -> npt.NDArray[np.bool_]:
    """A document-number mask of a scope set."""
    mask = np.zeros(ndocs, dtype=bool)
    mask[np.fromiter(scope, dtype=np.int64)] = True
    return mask


def sums(
    groups: Iterable[GroupArrays], ndocs: int, narticles: int
) -> tuple[Floats, Floats, npt.NDArray[np.bool_]]:
    """The words' section sums by document, article sums by article, and which documents match.

    Added word by word in the groups' order: the order every pass must keep for equal scores.
    """
    acc = np.zeros(ndocs, dtype=np.float64)
    whole = np.zeros(narticles, dtype=np.float64)
    matched = np.zeros(ndocs, dtype=bool)
    for g in groups:
        acc[g.word_docs] += g.word_scores  # a document appears once per word: no repeats
        matched[g.word_docs] = True
        np.add.at(whole, g.art_articles, g.art_scores)
        matched[g.art_docs] = True
    return acc, whole, matched


def add_up(
    groups: Iterable[GroupArrays],
    article_of: Ints,
    narticles: int,
    mask: npt.NDArray[np.bool_],
    combine: Callable[[Any, Any], Any],  # query_builder.combine: plain arithmetic, arrays too
) -> Found:
    """Each matching document in the mask: combine(its article's sum, its own sum).

    The same additions, in the same order, as the dict loop it replaces (float64 both),
    so scores are bit-for-bit equal; only the Python per-posting overhead goes.
    """
    acc, whole, matched = sums(groups, len(article_of), narticles)
    docs = np.flatnonzero(matched & mask)
    scores = combine(whole[article_of[docs]], acc[docs])
    return Found(docs, np.asarray(scores, dtype=np.float64), article_of)

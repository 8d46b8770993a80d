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
    def size(self) -> int:
        """Entries held (what the score cache's bound counts)."""
        return len(self.word_docs) + len(self.art_docs)


def group_arrays(word: dict[int, float], art: dict[int, float], article_of: Ints) -> GroupArrays:
    """The arrays of one word's score maps (in the maps' order, so sums add up alike)."""
    word_docs = np.fromiter(word.keys(), dtype=np.int32, count=len(word))
    art_docs = np.fromiter(art.keys(), dtype=np.int32, count=len(art))
    return GroupArrays(
        word_docs,
        np.fromiter(word.values(), dtype=np.float64, count=len(word)),
        art_docs,
        article_of[art_docs],
        np.fromiter(art.values(), dtype=np.float64, count=len(art)),
    )


def scope_mask(scope: Iterable[int], ndocs: int) -> npt.NDArray[np.bool_]:
    """A document-number mask of a scope set."""
    mask = np.zeros(ndocs, dtype=bool)
    mask[np.fromiter(scope, dtype=np.int64)] = True
    return mask


def add_up(
    groups: Iterable[GroupArrays],
    article_of: Ints,
    narticles: int,
    mask: npt.NDArray[np.bool_],
    combine: Callable[[Any, Any], Any],  # query_builder.combine: plain arithmetic, arrays too
) -> dict[int, float]:
    """Each matching document in the mask: combine(its article's sum, its own sum).

    The same additions, in the same order, as the dict loop it replaces (float64 both),
    so scores are bit-for-bit equal; only the Python per-posting overhead goes.
    """
    ndocs = len(article_of)
    acc = np.zeros(ndocs, dtype=np.float64)
    whole = np.zeros(narticles, dtype=np.float64)
    matched = np.zeros(ndocs, dtype=bool)
    for g in groups:
        acc[g.word_docs] += g.word_scores  # a document appears once per word: no repeats
        matched[g.word_docs] = True
        np.add.at(whole, g.art_articles, g.art_scores)
        matched[g.art_docs] = True
    docs = np.flatnonzero(matched & mask)
    scores = combine(whole[article_of[docs]], acc[docs])
    return dict(zip(docs.tolist(), scores.tolist(), strict=True))

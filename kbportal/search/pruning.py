"""Top-k pruning of the first pass: the body field looked up only where it can matter.

MaxScore with one non-essential field. A query word's body postings are the longest and the
slowest to decode (they carry positions), yet a section's own score counts only
`SECTION_WEIGHT` of its article's. So every other field is summed for every document (a
lower bound of each score, exact where the body holds none of the words), the k-th best of
those lower bounds is the bar, and each document's upper bound adds the body's largest
possible score (from the terms' statistics). Only the documents whose upper bound reaches
the bar can be in the top k: their body postings are decoded (blocks holding none of them
are skipped unread) and their scores completed. Those scores are bit-for-bit the full
pass's: body is the last section field of every word, so each word's sum is the same
additions in the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from whoosh.query import Term

from kbportal.search import dense, query_builder
from kbportal.search.dense import Found

log = logging.getLogger(__name__)

DEFERRED = "body"  # the field looked up for candidates only
# Below this many matching documents (other fields) the full pass is cheap: no pruning, so
# small result sets keep exact totals and every score.
PRUNE_ABOVE = 2_000
# Give up pruning when more than this share of the documents are candidates anyway.
MAX_CANDIDATES = 0.25
SLACK = 1e-9  # relative: covers the rounding of adding the bound in another order


Group = tuple[tuple[str, str, float], ...]
_COMBINE: Callable[[Any, Any], Any] = query_builder.combine  # plain arithmetic, arrays too


class IndexReader(Protocol):
    """What the pruned pass reads from a `reader.IndexReader` (a protocol: no import cycle)."""

    narticles: int

    @property
    def article_array(self) -> dense.Ints:
        """Article number by document number."""

    def scope_mask(self, scope: set[int]) -> Any:
        """A scope set as a document mask."""

    def group_arrays(self, group: Group) -> dense.GroupArrays:
        """One word's summed field scores."""

    def field_scores(self, field: str, term: str) -> tuple[dense.Ints, dense.Floats]:
        """A term's scores in a field, every live document."""

    def bound(self, field: str, term: str) -> float:
        """The most a term can score in a field."""

    def scores_of(
        self, field: str, term: str, wanted: dense.Ints
    ) -> tuple[dense.Ints, dense.Floats]:
        """A term's scores in a field, of the wanted documents only."""

    def first_pass(self, built: query_builder.BuiltQuery, scope: set[int]) -> Found:
        """The full first pass (every matching document, exactly)."""


def _split(group: Group) -> tuple[Group, tuple[str, str, float]] | None:
    """A word's fields without the deferred one, and the deferred one; None unless the
    deferred field is the word's last section field (so the sums keep their order)."""
    section = [f for f in group if f[0] not in query_builder.ARTICLE_FIELDS]
    if not section or section[-1][0] != DEFERRED or sum(f[0] == DEFERRED for f in group) != 1:
        return None
    return tuple(f for f in group if f[0] != DEFERRED), section[-1]


def first_pass(
    reader: IndexReader,
    built: query_builder.BuiltQuery,
    scope: set[int],
    k: int,
    articles: int = 0,
) -> Found | None:
    """The first pass, exact for its k best documents; None where pruning does not apply
    (coordination, a word without the deferred field, or few matches): run the full pass.

    With `articles`, k grows 4-fold (as the caller's collapsing does) while the k best lower
    bounds hold fewer articles than that: long articles' sections crowd the top, and one
    pass exact for enough documents costs less than a second pass. The pass's `full(more)`
    is the same pass exact for more documents, from the bounds it already has."""
    if len(built.groups) > 1 and query_builder.COORD_SCALE:
        return None
    split = [_split(g) for g in built.groups]
    if any(s is None for s in split):
        return None
    bounds = _Bounds(reader, built, [s for s in split if s is not None], scope)
    if len(bounds.lower_docs) <= max(k, PRUNE_ABOVE):
        return None
    bounds.add_upper()
    return bounds.exact_for(
        _enough(bounds.lower, bounds.article_of[bounds.lower_docs], k, articles)
    )


class _Bounds:
    """Every document's lower and upper bound: what the pass at any k starts from."""

    def __init__(
        self,
        reader: IndexReader,
        built: query_builder.BuiltQuery,
        parts: list[tuple[Group, tuple[str, str, float]]],
        scope: set[int],
    ) -> None:
        self.reader, self.built, self.parts, self.scope = reader, built, parts, scope
        self.article_of = article_of = reader.article_array
        ndocs, narticles = len(article_of), reader.narticles
        self.mask = mask = reader.scope_mask(scope)
        self.groups = groups = [reader.group_arrays(light) for light, _ in parts]
        # acc: the other section fields' sums
        self.acc, self.whole, self.matched = dense.sums(groups, ndocs, narticles)
        acc = self.acc
        self.lower_docs = lower_docs = np.flatnonzero(self.matched & mask)
        self.bonuses = []  # each bonus term's boosted scores by document, added in turn
        for term in built.bonuses:
            if isinstance(term, Term):
                docs, scores = reader.field_scores(term.fieldname, term.text)
                self.bonuses.append(np.zeros(ndocs, dtype=np.float64))
                self.bonuses[-1][docs] = scores * term.boost
        lower = _COMBINE(self.whole[article_of[lower_docs]], acc[lower_docs])
        for extra in self.bonuses:
            lower = lower + extra[lower_docs]
        self.lower = lower

    def add_upper(self) -> None:
        """Every document's upper bound, where pruning applies."""
        reader, article_of, combine = self.reader, self.article_of, _COMBINE
        ndocs, narticles = len(article_of), reader.narticles
        # Each word's body can add at most its bound, and only in articles holding the word
        # (the whole-article text holds every section's words, by the same analyser).
        self.holds = []
        most = np.zeros(narticles, dtype=np.float64)
        for g, (_, (field, term, boost)) in zip(self.groups, self.parts, strict=True):
            self.holds.append(np.zeros(narticles, dtype=bool))
            self.holds[-1][g.art_articles] = True
            most[g.art_articles] += reader.bound(field, term) * boost
        bonus = sum(self.bonuses, np.zeros(ndocs, dtype=np.float64))
        self.in_scope = in_scope = np.flatnonzero(self.mask)
        of = article_of[in_scope]
        self.upper = combine(self.whole[of], (self.acc[in_scope] + most[of]) * (1 + SLACK)) + bonus[
            in_scope
        ] * (1 + SLACK)

    def exact_for(self, k: int) -> Found | None:
        """The pass exact for its k best documents; None when k is every lower bound or too
        many are candidates (the full pass then costs no more)."""
        lower, lower_docs, article_of = self.lower, self.lower_docs, self.article_of
        if k >= len(lower):
            return None
        bar = np.partition(lower, len(lower) - k)[len(lower) - k]  # the k-th best lower bound
        candidates = self.in_scope[self.upper >= bar]
        if len(candidates) > MAX_CANDIDATES * len(article_of):
            return None
        exact, hit = _completed(
            self.reader, candidates, self.groups, self.parts, self.holds, self.matched
        )
        exact = _COMBINE(self.whole[article_of[candidates]], exact)
        for extra in self.bonuses:
            exact = exact + extra[candidates]
        # The rest keep their lower bounds: below the bar, they cannot reach the k best.
        score = np.zeros(len(article_of), dtype=np.float64)
        score[lower_docs] = lower
        keep = candidates[hit]
        score[keep] = exact[hit]
        matched = self.matched.copy()
        matched[keep] = True
        final = np.flatnonzero(matched & self.mask)
        found = Found(final, score[final], article_of, estimate=True, exact_for=k)
        found.full = self.more
        return found

    def more(self, k: int) -> Found:
        """The pass exact for k best documents: from these bounds, or in full."""
        found = self.exact_for(k)
        return found if found is not None else self.reader.first_pass(self.built, self.scope)


def _enough(lower: dense.Floats, articles_of: dense.Ints, k: int, articles: int) -> int:
    """k, times 4 while the k best lower bounds hold fewer than `articles` articles (k may
    pass the number of lower bounds: then the full pass is run)."""
    while articles and k < len(lower):
        best = np.argpartition(lower, len(lower) - k)[len(lower) - k :]
        if np.unique(articles_of[best]).size >= articles:
            break
        k *= 4
    return k


def _completed(
    reader: IndexReader,
    candidates: dense.Ints,
    groups: list[dense.GroupArrays],
    parts: list[tuple[Group, tuple[str, str, float]]],
    holds: list[npt.NDArray[np.bool_]],
    matched: npt.NDArray[np.bool_],
) -> tuple[dense.Floats, npt.NDArray[np.bool_]]:
    """The candidates' section sums, each word's completed with its body, in the full pass's
    order; and which candidates match at all."""
    exact = np.zeros(len(candidates), dtype=np.float64)
    hit = matched[candidates].copy()
    article_of = reader.article_array
    for g, (_, (field, term, boost)), held in zip(groups, parts, holds, strict=True):
        # The candidates looked up in the word's documents (fewer searches than the other way)
        word = np.zeros(len(candidates), dtype=np.float64)
        at, inside = dense.locate(g.word_docs, candidates)
        word[inside] = g.word_scores[at[inside]]
        wanted = candidates[held[article_of[candidates]]]
        docs, scores = reader.scores_of(field, term, wanted)
        where = np.searchsorted(candidates, docs)
        word[where] = word[where] + scores * boost  # 0.0 + x is x: as the dict loop's get()
        hit[where] = True
        exact += word
    return exact, hit

"""A hit's confidence in [0, 1]: how likely it answers the query, comparable across queries.

A search score is relative (BM25 sums grow with the query's length and words, and the API's
`score` is divided by the best one), so it cannot tell "a good answer" from "the best of bad
ones". The confidence is a logistic function of measures that mean the same in every query:

- coverage: the share of the query's word weight (idf) the article holds; words no article
  holds are left out (a typo, a name), as the spelling expansion already stands in for them;
- meaning: the cosine of query and article vectors, and the best cosine of the query with the
  article's title or one of its customers' questions, where the locale has word vectors;
- lead: how far the hit's score is ahead of the next hit's (a tie is a coin toss);
- rank: the hit's score relative to the first hit's.

The weights were fitted by logistic regression on the first hits of all three labelled sets
together (benchmarks/quality/fit_confidence.py): a handful of numbers over general measures,
nothing of any set's words. The value reads as "the chance this first hit is right".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Show suggestions (request form, widget) only when the first hit's confidence reaches this.
# Measured on the labelled sets (docs/search-quality.md): at this threshold the first result is
# right 90% of the time on stackfaq, 80% on jhucovid, 63% on rutube, and 56-87% of queries pass.
SUGGEST_THRESHOLD = 0.5

# Logistic weights (intercept, coverage, cosine, head, lead), with and without word vectors. The
# rank term is the same in both: a first hit has rank 1, so it shifts the intercept only there
# and makes later hits less sure than the first.
WITH_MEANING = (-3.04, 0.87, -2.76, 2.84, 13.95)
WITHOUT_MEANING = (-3.21, 1.18, 0.0, 0.0, 14.57)
W_RANK = 2.0


@dataclass(frozen=True)
class Evidence:
    """What the searcher knows about one hit, each measure on a scale shared by all queries."""

    coverage: float  # [0, 1]
    cosine: float | None  # [-1, 1], None when the locale has no vectors
    head: float | None  # best cosine with the title or a customer question; None likewise
    lead: float  # [0, 1]: (this score - next score) / this score
    rank: float  # [0, 1]: this score / the first hit's score


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def confidence(e: Evidence) -> float:
    """The chance-like confidence of one hit, in [0, 1]."""
    bias, w_coverage, w_cosine, w_head, w_lead = (
        WITHOUT_MEANING if e.cosine is None else WITH_MEANING
    )
    z = bias + w_coverage * e.coverage + w_cosine * (e.cosine or 0.0) + w_head * (e.head or 0.0)
    z += w_lead * e.lead + W_RANK * e.rank
    return round(_sigmoid(z), 4)


def suggestible(value: float) -> bool:
    """Whether a first hit is good enough to suggest unasked (request form, widget)."""
    return value >= SUGGEST_THRESHOLD


def coverage(weights: Sequence[float], matched: Sequence[bool]) -> float:
    """The share of the query's word weight that a hit holds."""
    total = sum(weights)
    if total <= 0:
        return 0.0
    return sum(w for w, m in zip(weights, matched, strict=True) if m) / total


def leads(scores: Sequence[float]) -> list[float]:
    """Per hit, how far its score is ahead of the next one's, as a share of its own score."""
    out = []
    for i, score in enumerate(scores):
        nxt = scores[i + 1] if i + 1 < len(scores) else 0.0
        out.append(max(0.0, min(1.0, (score - nxt) / score)) if score > 0 else 0.0)
    return out

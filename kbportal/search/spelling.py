"""Spelling ("did you mean"): corrections from words in documents the viewer may see."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from kbportal.search import analysis

if TYPE_CHECKING:
    from kbportal.search.reader import IndexReader

log = logging.getLogger(__name__)

FIELD = "spell"
MIN_LENGTH = 3  # shorter words have too many neighbours to guess from
EXPAND_MIN_LENGTH = 5  # words searched with their correction as well (see `expansions`)
MAX_EXPANSIONS = 2  # each costs a few milliseconds
MAX_WORDS = 12
STEM_FIELDS = ("title", "section", "body")


class Vocabulary:
    """Every word of an index's spelling field, by first letter and length, held in memory.

    Near neighbours come from here instead of Whoosh's on-disk automaton walk (~100 ms for a
    two-edit lookup on tldr). It holds every word, hidden documents' too: callers keep only
    candidates a document in the viewer's scope holds, exactly as with the on-disk lexicon.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, int], list[str]] | None = None

    def _loaded(self, reader: IndexReader) -> dict[tuple[str, int], list[str]]:
        """The buckets, read from the index on first use (32k words on tldr: ~60 ms, ~3 MB)."""
        buckets = self._buckets
        if buckets is None:
            with self._lock:
                if self._buckets is None:
                    found: dict[tuple[str, int], list[str]] = defaultdict(list)
                    for term in reader.searcher.reader().field_terms(FIELD):
                        found[(term[:1], len(term))].append(term)
                    self._buckets = dict(found)
                buckets = self._buckets
        return buckets

    def within(self, reader: IndexReader, word: str, maxdist: int) -> list[str]:
        """Words within `maxdist` edits of `word` that share its first letter.

        The same set as Whoosh's `terms_within(field, word, maxdist, prefix=1)`.
        """
        buckets = self._loaded(reader)
        first, size = word[:1], len(word)
        found: list[str] = []
        for length in range(max(1, size - maxdist), size + maxdist + 1):
            bucket = buckets.get((first, length))
            if bucket:
                found.extend(
                    match
                    for match, _dist, _i in process.extract(
                        word, bucket, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
                    )
                )
        return found


def _visible_count(reader: IndexReader, field: str, term: str, scope: set[int]) -> int:
    """How many documents the viewer may see hold the term in the field."""
    return len(reader.docs(field, term) & scope)


def _known(reader: IndexReader, word: str, scope: set[int]) -> bool:
    """Whether the viewer may see the word as typed or in another form (same stem).

    Only what the viewer may see counts: a word held only by hidden documents is treated
    exactly like a word nobody holds, so no answer differs because such a word exists.
    """
    if reader.visible(FIELD, word, scope):
        return True
    return any(
        reader.visible(field, stem, scope) for stem in analysis.terms(word) for field in STEM_FIELDS
    )


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count as one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def suggest_word(
    reader: IndexReader, word: str, scope: set[int], maxdist: int | None = None
) -> str | None:
    """The closest, most common word the viewer may see, or None."""
    if maxdist is None:
        maxdist = 1 if len(word) <= 4 else 2
    candidates = set(reader.vocabulary.within(reader, word, maxdist))
    # Swapped letters ("gti") are one slip; the automaton counts them as two.
    candidates.update(
        word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)
    )
    candidates.discard(word)
    scored = []
    for cand in candidates:
        count = _visible_count(reader, FIELD, cand, scope)
        if count:
            scored.append((_distance(word, cand), -count, cand))
    if not scored:
        return None
    return min(scored)[2]


def correct(reader: IndexReader, text: str, scope: set[int]) -> str | None:
    """The text with unknown words replaced by visible near neighbours, or None if no change."""
    words = analysis.words(text[:500])[:MAX_WORDS]
    changed = False
    out = []
    for word in words:
        fixed = word
        if (
            len(word) >= MIN_LENGTH
            and word.isalpha()
            and word not in analysis.STOP_WORDS
            and not _known(reader, word, scope)
        ):
            fixed = suggest_word(reader, word, scope) or word
        changed = changed or fixed != word
        out.append(fixed)
    return " ".join(out) if changed else None


def expansions(reader: IndexReader, text: str, scope: set[int]) -> list[str]:
    """Visible near neighbours of the words no visible document holds (typos), to search too.

    A word held only by documents the viewer may not see counts as unknown (else whether
    it gets expanded would reveal that it exists); the neighbours come from visible
    documents too (`suggest_word`).
    """
    found: list[str] = []
    for word in analysis.words(text[:500])[:MAX_WORDS]:
        if len(found) >= MAX_EXPANSIONS:
            break
        # Short words have too many neighbours to guess a slip from, and cost the most.
        if len(word) < EXPAND_MIN_LENGTH or not word.isalpha() or word in analysis.STOP_WORDS:
            continue
        if _known(reader, word, scope):
            continue
        # One slip (or two swapped letters): Whoosh's automaton for two edits costs ~15 ms.
        fixed = suggest_word(reader, word, scope, maxdist=1)
        if fixed:
            found.append(fixed)
    return found

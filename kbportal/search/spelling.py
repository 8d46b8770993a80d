"""Spelling ("did you mean"): corrections from words in documents the viewer may see."""

from __future__ import annotations

import logging

# OSA: Damerau-Levenshtein with adjacent transpositions as one edit, as the hand-written loop
# it replaces computed (identical results, C++ instead of Python).
from rapidfuzz.distance import OSA

from kbportal.search import analysis
from kbportal.search.lexicon import FIELD
from kbportal.search.reader import IndexReader

log = logging.getLogger(__name__)

MIN_LENGTH = 3  # shorter words have too many neighbours to guess from
EXPAND_MIN_LENGTH = 5  # words searched with their correction as well (see `expansions`)
MAX_EXPANSIONS = 2  # each costs a few milliseconds
MAX_WORDS = 12
STEM_FIELDS = ("title", "section", "body")


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


def suggest_word(
    reader: IndexReader, word: str, scope: set[int], maxdist: int | None = None
) -> str | None:
    """The closest, most common word the viewer may see, or None."""
    if maxdist is None:
        maxdist = 1 if len(word) <= 4 else 2
    candidates = set(reader.vocabulary.within(reader.searcher.reader(), word, maxdist))
    # Swapped letters ("gti") are one slip; the automaton counts them as two.
    candidates.update(
        word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)
    )
    candidates.discard(word)
    scored = []
    for cand in candidates:
        count = _visible_count(reader, FIELD, cand, scope)
        if count:
            scored.append((OSA.distance(word, cand), -count, cand))
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

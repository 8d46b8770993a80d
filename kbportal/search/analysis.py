"""Text analysis for search: Russian and English words, stemmed by their script."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import STOP_WORDS as WHOOSH_STOP_WORDS
from whoosh.analysis import (
    Analyzer,
    Filter,
    LowercaseFilter,
    NgramFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists

log = logging.getLogger(__name__)

# Words are runs of letters/digits, optionally joined by an apostrophe or a dot between letters
# ("don't", "e.g", "v2.1"), so "git-commit" gives "git" and "commit".
WORD_PATTERN = r"\w+(?:['’.]\w+)*"

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Words that say what is asked, never dropped: FAQ titles are questions, and "who should not
# get a vaccine" differs from "who should get a vaccine". NLTK's Russian list holds these.
RU_QUESTION_WORDS = frozenset(
    [
        "как",
        "какая",
        "какой",
        "когда",
        "где",
        "куда",
        "зачем",
        "кто",
        "что",
        "чего",
        "почему",
        "нельзя",
        "не",
        "нет",
        "ни",
        "без",
        "можно",
        "может",
        "надо",
    ]
)
# English: Whoosh's own short list (articles, prepositions, conjunctions, "you", "we"), not
# NLTK's 127 words, which also drop what, who, how, why, should, does, not. Measured on all three
# eval sets (docs/search-quality.md): jhucovid MRR@10 +0.12, rutube +0.02 with the Russian list
# above, stackfaq level. The scripts do not overlap, so one list serves both languages.
STOP_WORDS: frozenset[str] = frozenset(WHOOSH_STOP_WORDS) | (
    frozenset(w.replace("ё", "е") for w in stoplists["ru"]) - RU_QUESTION_WORDS
)

_stem_en = stemmer_for_language("en")
_stem_ru = stemmer_for_language("ru")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one lowercased word, by its script: Russian snowball or English snowball."""
    if _CYRILLIC.search(word):
        return _stem_ru(word)
    if word.isascii() and word.isalpha():
        return _stem_en(word)
    return word  # numbers, versions, other scripts: kept as written


class FoldFilter(Filter):
    """Folds "ё" into "е" (after lowercasing)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if "ё" in t.text:
                t.text = t.text.replace("ё", "е")
            yield t


# English possessive and contraction endings: "people's" -> "people", "doesn't" -> "does".
_CONTRACTION = re.compile(r"(?:['’](?:s|d|ll|re|ve|m)|n['’]t)$")
_CONTRACTED = {"ca": "can", "wo": "will", "sha": "shall"}  # "can't", "won't", "shan't"


class ContractionFilter(Filter):
    """Strips English possessives and contractions so "gmail's" matches "gmail"."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if "'" in t.text or "’" in t.text:
                t.text = uncontract(t.text)
            yield t


def uncontract(word: str) -> str:
    """A word without its English possessive or contraction ending ("doesn't" -> "does")."""
    base = _CONTRACTION.sub("", word)
    if base == word:
        return word
    return _CONTRACTED.get(base, base) if word.endswith("t") else base


class ScriptStemFilter(Filter):
    """Stems each token with the stemmer of its own script (Cyrillic -> ru, Latin -> en)."""

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def _base() -> Analyzer:
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | FoldFilter()


def text_analyzer() -> Analyzer:
    """Body, title and heading fields: words, lowercased, stop words dropped, stemmed."""
    return (
        _base()
        | ContractionFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | ScriptStemFilter()
    )


def title_analyzer() -> Analyzer:
    """Titles and headings: like text, but stop words kept, so a page titled "Which" is found."""
    return _base() | ContractionFilter() | ScriptStemFilter()


def plain_analyzer() -> Analyzer:
    """Spelling lexicon: whole words as typed (lowercased, ё folded), nothing dropped."""
    return _base()


def prefix_analyzer() -> Analyzer:
    """Title prefixes for autocomplete: every leading part of every title word."""
    return _base() | NgramFilter(minsize=1, maxsize=PREFIX_MAX, at="start")


PREFIX_MAX = 24

_TEXT = text_analyzer()
_TITLE = title_analyzer()
_PLAIN = plain_analyzer()


def terms(text: str, keep_stop_words: bool = False) -> list[str]:
    """The distinct index terms of a text, in order of first appearance."""
    seen: dict[str, None] = {}
    for t in (_TITLE if keep_stop_words else _TEXT)(text):
        seen.setdefault(t.text, None)
    return list(seen)


def title_key(text: str) -> str:
    """A title reduced to its stemmed words, stop words kept: equal keys mean the same title."""
    return " ".join(t.text for t in _TITLE(text))


def words(text: str) -> list[str]:
    """The words of a text as typed (lowercased, ё folded), in order, repeats kept."""
    return [t.text for t in _PLAIN(text)]


_WORD = re.compile(WORD_PATTERN)


# functools' LRU cache, not a hand-made dict: bounded, thread-safe, and it evicts the least
# used words instead of forgetting all 200,000 at once.
@lru_cache(maxsize=200_000)
def _term_of(word: str) -> str:
    """The text analyzer's term for one word as written ("" for a dropped word), remembered."""
    term = word.lower()
    if "ё" in term:
        term = term.replace("ё", "е")
    if "'" in term or "’" in term:
        term = uncontract(term)
    return stem(term) if term and term not in STOP_WORDS else ""


def term_of(word: str) -> str:
    """The index term of one word as written, "" for a stop word (cached: cheap to repeat)."""
    return _term_of(word)


def term_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for every indexed word of a text: where each term occurs.

    The text analyzer's steps (tokenize, lowercase, fold, uncontract, drop stop words, stem)
    without Whoosh's Token objects, each distinct word worked out once: snippets run this
    over every hit's text. tests/search/test_search_term_spans.py checks it against
    `text_analyzer()` token by token.
    """
    for match in _WORD.finditer(text):
        term = _term_of(match.group())
        if term:
            yield term, match.start(), match.end()

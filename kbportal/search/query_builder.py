"""Turning a reader's free text into a Whoosh query: words only, never a query language."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from whoosh import scoring
from whoosh.query import And, Or, Phrase, Query, Term

from kbportal.search import analysis

log = logging.getLogger(__name__)

# How much a matching term counts in each field (multiplies the field's BM25 score).
FIELD_BOOSTS: dict[str, float] = {
    "title": 2.0,
    "section": 1.5,
    "tags": 2.0,
    "summary": 1.5,
    "body": 1.0,
}
COORD_SCALE = 0.5  # how much a document missing some of the query's words loses
EXACT_TITLE_BOOST = 10.0  # the query is the article's whole title ("git commit")
TITLE_PHRASE_BOOST = 2.0  # the words near each other in the title
TITLE_PHRASE_SLOP = 2
MAX_CHARS = 1000  # a pasted essay: the first words say what it is about
MAX_TERMS = 24
RERANK_DEPTH = 50  # best candidates that also get the bonus queries' scores
STOP_WORD_FIELDS = ("title", "section")  # fields indexed with their stop words


def weighting() -> scoring.WeightingModel:
    """The scoring model: BM25F; headings and titles are short, so length matters less there."""
    return scoring.BM25F(B=0.75, K1=1.2, title_B=0.5, section_B=0.5)


@dataclass(frozen=True)
class BuiltQuery:
    """A query ready to run: per word, the fields it is looked for in; plus bonus queries."""

    terms: tuple[str, ...]  # the analysed terms, also used to highlight snippets
    groups: tuple[tuple[tuple[str, str, float], ...], ...]  # per term: (field, term, boost)
    # Whoosh queries whose scores add to matching documents: a Term to every one, anything
    # else (a phrase) to the top candidates only, as it is costly
    bonuses: tuple[Query, ...] = ()

    @property
    def match(self) -> Query:
        """The same matching as one Whoosh query (documents with any term in any field)."""
        return Or([Term(f, t, boost=b) for group in self.groups for f, t, b in group])


def coordinate(score: float, matched: int, total: int) -> float:
    """A document's score adjusted for how many of the query's words it holds."""
    if total <= 1:
        return score
    return score * ((1.0 - COORD_SCALE) + COORD_SCALE * matched / total)


def query_terms(text: str, keep_stop_words: bool = False) -> list[str]:
    """The analysed terms of a reader's text, capped so a huge paste stays cheap."""
    return analysis.terms(text[:MAX_CHARS], keep_stop_words)[:MAX_TERMS]


def build_query(text: str) -> BuiltQuery | None:
    """The query for free text, or None when it has no searchable word."""
    terms = query_terms(text)
    fields = FIELD_BOOSTS
    if not terms:
        # Only stop words ("how to", "which"): look for them where they are kept, in titles.
        terms = query_terms(text, keep_stop_words=True)
        fields = {f: b for f, b in FIELD_BOOSTS.items() if f in STOP_WORD_FIELDS}
    if not terms:
        return None
    groups = tuple(tuple((f, t, b) for f, b in fields.items()) for t in terms)
    bonuses: list[Query] = []
    key = analysis.title_key(text[:MAX_CHARS])
    if key:
        bonuses.append(Term("title_key", key, boost=EXACT_TITLE_BOOST))
    if len(terms) > 1:
        bonuses.append(Phrase("title", terms, slop=TITLE_PHRASE_SLOP, boost=TITLE_PHRASE_BOOST))
    return BuiltQuery(tuple(terms), groups, tuple(bonuses))


def prefix_query(text: str) -> Query | None:
    """Autocomplete: every typed word must begin a word of the title."""
    words = analysis.words(text[:200])[:8]
    if not words:
        return None
    parts = [Term("title_prefix", w[: analysis.PREFIX_MAX]) for w in words]
    return parts[0] if len(parts) == 1 else And(parts)

"""Turning a reader's free text into a Whoosh query: words only, never a query language."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from whoosh import scoring
from whoosh.query import And, FuzzyTerm, Or, Phrase, Query, Term

from kbportal.search import analysis

log = logging.getLogger(__name__)

FUZZY_MIN = (
    5  # shorter typed words match exactly: at one edit "char" would also be "car", "chat"...
)

# How much a matching term counts in each field (multiplies the field's BM25 score).
FIELD_BOOSTS: dict[str, float] = {
    "title": 2.0,
    "section": 1.5,
    "tags": 2.0,
    "summary": 1.5,
    "body": 1.0,
}
# Whole-article fields, only on an article's first document: they rank articles (measured on
# the StackFAQ set: ranking by the best section alone loses 2 points of R@3 and MRR, because an
# answer's words are spread over its sections). Their BM25 statistics count articles, not
# sections (see `weighting`).
ARTICLE_FIELD_BOOSTS: dict[str, float] = {
    "article_title": 2.0,
    "article_text": 1.0,
}
ARTICLE_FIELDS = frozenset(ARTICLE_FIELD_BOOSTS)
ARTICLE_K1 = 2.5  # long answers: repeated words keep counting a while before saturating
# How much a section's own score adds to its article's: enough to pick the best section for
# the link's anchor, little enough not to reorder articles (0.2 cost 0.5 points of R@3).
SECTION_WEIGHT = 0.05
# How much a document missing some of the query's words loses: nothing, as readers paraphrase
# (on StackFAQ 0.5 cost 0.8 points of MRR@10; matching fewer words is already a lower sum).
COORD_SCALE = 0.0
EXACT_TITLE_BOOST = 10.0  # the query is the article's whole title ("git commit")
TITLE_PHRASE_BOOST = 2.0  # the words near each other in the title
TITLE_PHRASE_SLOP = 2
MAX_CHARS = 1000  # a pasted essay: the first words say what it is about
MAX_TERMS = 24
RERANK_DEPTH = 50  # best candidates that also get the bonus queries' scores
STOP_WORD_FIELDS = ("title", "section")  # fields indexed with their stop words


class _ArticleBM25F(scoring.BM25F):
    """BM25F whose whole-article fields take their statistics over articles, not sections.

    Whoosh divides by every document: a field held by one document per article would get
    idf and average length skewed by how many sections the articles have.
    """

    _articles: tuple[object, int] | None = None  # (the searcher, its number of articles)

    def scorer(self, searcher, fieldname, text, qf=1):
        """The field's BM25 scorer, with per-article statistics for the article fields."""
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if fieldname in ARTICLE_FIELDS and isinstance(scorer, scoring.BM25FScorer):
            parent = searcher.get_parent()
            known = self._articles
            if known is None or known[0] is not parent:  # counted once per opened index
                known = self._articles = (parent, parent.doc_frequency("first", "1") or 1)
            articles = known[1]
            scorer.idf = article_idf(articles, parent.doc_frequency(fieldname, text))
            scorer.avgfl = parent.field_length(fieldname) / articles or 1
            scorer.K1 = ARTICLE_K1
        return scorer


def article_idf(articles: int, df: int) -> float:
    """Whoosh's BM25 idf of a term that `df` of `articles` articles hold."""
    return math.log(articles / (df + 1)) + 1


def weighting() -> scoring.WeightingModel:
    """The scoring model: BM25F; headings and titles are short, so length matters less there."""
    return _ArticleBM25F(B=0.75, K1=1.2, title_B=0.5, section_B=0.5)


def combine(article: float, section: float) -> float:
    """A section's ranking score: its article's score plus a little of its own."""
    return article + SECTION_WEIGHT * section


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
    fields = {**fields, **ARTICLE_FIELD_BOOSTS}
    groups = tuple(tuple((f, t, b) for f, b in fields.items()) for t in terms)
    bonuses: list[Query] = []
    key = analysis.title_key(text[:MAX_CHARS])
    if key:
        bonuses.append(Term("title_key", key, boost=EXACT_TITLE_BOOST))
    if len(terms) > 1:
        bonuses.append(Phrase("title", terms, slop=TITLE_PHRASE_SLOP, boost=TITLE_PHRASE_BOOST))
    return BuiltQuery(tuple(terms), groups, tuple(bonuses))


def prefix_query(text: str, every_word: bool = True) -> Query | None:
    """Autocomplete: typed words that begin words of the title, anywhere in it, typos forgiven.

    Stop words are dropped (unless nothing else was typed); a word of 5+ letters also matches
    at one edit ("pasword"). With `every_word`, all words must match, else any (more rank
    higher).
    """
    words = analysis.words(text[:200])[:8]
    content = [w for w in words if w not in analysis.STOP_WORDS] or words[-1:]
    if not content:
        return None
    parts: list[Query] = []
    for word in content:
        prefix = word[: analysis.PREFIX_MAX]
        exact = Term("title_prefix", prefix)
        if len(prefix) >= FUZZY_MIN:
            # prefixlength=1: the first letter is trusted, which keeps the expansion small.
            fuzzy = FuzzyTerm("title_prefix", prefix, boost=0.5, maxdist=1, prefixlength=1)
            parts.append(Or([exact, fuzzy]))
        else:
            parts.append(exact)
    if len(parts) == 1:
        return parts[0]
    return And(parts) if every_word else Or(parts)


def with_terms(built: BuiltQuery, terms: list[str], weight: float) -> BuiltQuery:
    """The query with more (analysed) terms, each looked for at `weight` of the usual boosts.

    They only add to scores: snippets keep highlighting the reader's own words.
    """
    fields = {**FIELD_BOOSTS, **ARTICLE_FIELD_BOOSTS}
    extra = tuple(tuple((f, t, b * weight) for f, b in fields.items()) for t in terms)
    return BuiltQuery(built.terms, built.groups + extra, built.bonuses)


def reweighted(built: BuiltQuery, scale: dict[str, float]) -> BuiltQuery:
    """The query with the boosts of some of the reader's words multiplied (by term)."""
    groups = tuple(
        tuple((f, t, b * scale.get(t, 1.0)) for f, t, b in group) for group in built.groups
    )
    return BuiltQuery(built.terms, groups, built.bonuses)

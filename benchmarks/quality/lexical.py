"""A standalone Whoosh ranker with every ranking knob exposed, for search-quality experiments."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from whoosh import index, query, scoring
from whoosh.analysis import (
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.fields import ID, TEXT, Schema
from whoosh.lang.porter import stem as porter_stem
from whoosh.lang.snowball.english import EnglishStemmer

log = logging.getLogger(__name__)

# General English function words (a standard list in the spirit of NLTK/Lucene's English stop set,
# plus interrogatives): never derived from the eval queries.
_EN_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me
more most my myself no nor not now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves
"""
EN_STOP = frozenset(_EN_STOP_WORDS.split())
_WHOOSH_STOP_WORDS = (
    "a an and are as at be by can for from have if in is it may not of on or tbd that the this "
    "to us we when will with yet you your"
)
WHOOSH_STOP = frozenset(_WHOOSH_STOP_WORDS.split())


@dataclass(frozen=True)
class Doc:
    """One article of the eval set: slug, title, and its sections (heading, text)."""

    slug: str
    title: str
    sections: tuple[tuple[str, str], ...]


def _plain(markdown: str) -> str:
    """Markdown reduced to words: links to their text, URLs and markup dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"[`*_>#|]+", " ", text)


def load_articles(folder: Path) -> list[Doc]:
    """Every *.md in the folder: YAML front matter + sections split at ## headings."""
    docs = []
    for path in sorted(folder.glob("*.md")):
        raw = path.read_text(encoding="utf-8")
        meta: dict = {}
        if raw.startswith("---\n"):
            head, _, raw = raw[4:].partition("\n---\n")
            meta = yaml.safe_load(head) or {}
        parts = re.split(r"^##+ (.*)$", raw, flags=re.M)
        sections = [("", _plain(parts[0]))] if parts[0].strip() else []
        sections += [(parts[i].strip(), _plain(parts[i + 1])) for i in range(1, len(parts), 2)]
        docs.append(
            Doc(
                str(meta.get("slug", path.stem)), str(meta.get("title", path.stem)), tuple(sections)
            )
        )
    return docs


_CONTRACTION = re.compile(r"(?:['’](?:s|d|ll|re|ve|m)|n['’]t)$")


class _Contractions(Filter):
    """English possessives and contractions to their base word: "people's" -> "people"."""

    def __call__(self, tokens):
        for t in tokens:
            if "'" in t.text or "’" in t.text:
                t.text = _CONTRACTION.sub("", t.text)
                if t.text.endswith("ca"):  # "can't" -> "ca" + "n't"
                    t.text = t.text[:-2] + "can" if t.text == "ca" else t.text
                elif t.text == "wo":  # "won't"
                    t.text = "will"
            yield t


class _Stem(Filter):
    """Stems with the chosen English stemmer (cached per word)."""

    def __init__(self, kind: str) -> None:
        snow = EnglishStemmer()
        self.fn = {"porter": porter_stem, "snowball": snow.stem, "none": str}[kind]
        self.cache: dict[str, str] = {}

    def __call__(self, tokens):
        for t in tokens:
            word = t.text
            stemmed = self.cache.get(word)
            if stemmed is None:
                stemmed = self.cache[word] = self.fn(word)
            t.text = stemmed
            yield t


@dataclass(frozen=True)
class Recipe:
    """Every ranking knob under test."""

    stemmer: str = "porter"
    stop: str = "whoosh"  # whoosh | english | none
    unit: str = "article"  # article | section
    collapse: str = "max"  # for sections: max | max+sum
    collapse_frac: float = 0.3
    title_boost: float = 3.0
    body_boost: float = 1.0
    B: float = 0.75
    K1: float = 1.2
    title_B: float = 0.75
    coord: float = 0.0  # Or coordination scale; 0 = none
    phrase_boost: float = 0.0  # bigram proximity boost on title
    body_phrase_boost: float = 0.0
    prf_docs: int = 0  # pseudo-relevance feedback: top docs used
    prf_terms: int = 10
    prf_weight: float = 0.3
    dedupe: bool = True
    fuzzy_unknown: bool = False
    contractions: bool = False
    lead_words: int = 100
    lead_boost: float = 0.0  # the article's first words as a field of their own
    title_K1: float = 0.0  # 0 = same as K1
    idf: str = "whoosh"  # whoosh: log(N/(df+1))+1 | lucene | plain | squared
    section_weight: float = 0.0  # unit=both: article score + this x best section score
    coord_power: float = 0.0  # score x (idf-weighted share of query terms matched) ** power
    title_repeat: int = 0  # title words folded into the body this many times (BM25F-like)
    join_compounds: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class _Weighting(scoring.BM25F):
    """BM25F with a choice of idf formula."""

    def __init__(self, recipe: Recipe, **kwargs) -> None:
        super().__init__(**kwargs)
        self.recipe = recipe

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        kind = self.recipe.idf
        if (
            fieldname == "title"
            and self.recipe.title_K1
            and isinstance(scorer, scoring.BM25FScorer)
        ):
            scorer.K1 = self.recipe.title_K1
        if kind != "whoosh" and isinstance(scorer, scoring.BM25FScorer):
            n = searcher.get_parent().doc_count_all()
            df = searcher.get_parent().doc_frequency(fieldname, text)
            if kind == "lucene":
                scorer.idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            elif kind == "plain":
                scorer.idf = math.log(n / (df or 1))
            elif kind == "squared":
                scorer.idf = (math.log(n / (df + 1)) + 1) ** 2
        return scorer


# The best standalone recipe found (docs/search-quality.md); Recipe() is the plain baseline.
BEST = Recipe(
    stop="english",
    title_boost=2.0,
    K1=2.5,
    title_repeat=1,
    contractions=True,
    fuzzy_unknown=True,
)


def analyzer(recipe: Recipe):
    """The analysis chain for both indexing and queries."""
    if recipe.stop == "kbportal":  # the product's own text analyzer
        from kbportal.search.analysis import text_analyzer

        return text_analyzer()
    chain = RegexTokenizer(r"\w+(?:['’]\w+)*") | LowercaseFilter()
    if recipe.contractions:
        chain = chain | _Contractions()
    stop = {"whoosh": WHOOSH_STOP, "english": EN_STOP, "none": frozenset()}[recipe.stop]
    if stop:
        chain = chain | StopFilter(stoplist=stop, minsize=1)
    return chain | _Stem(recipe.stemmer)


class Engine:
    """One index built for a recipe; rank(text) -> slugs."""

    def __init__(self, docs: list[Doc], workdir: Path, recipe: Recipe | None = None) -> None:
        self.recipe = recipe or Recipe()
        self.ana = analyzer(self.recipe)
        schema = Schema(
            slug=ID(stored=True),
            title=TEXT(analyzer=self.ana, phrase=True, vector=bool(self.recipe.prf_docs)),
            body=TEXT(analyzer=self.ana, phrase=True, vector=bool(self.recipe.prf_docs)),
            kind=ID(stored=True),
            sbody=TEXT(analyzer=self.ana),
            lead=TEXT(analyzer=self.ana),
        )
        workdir.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(workdir), schema)
        r = self.recipe
        with ix.writer() as w:
            for d in docs:
                if self.recipe.unit in ("article", "both"):
                    body = "\n".join(f"{h}\n{t}" for h, t in d.sections)
                    body = "\n".join([d.title] * self.recipe.title_repeat + [body])
                    lead = " ".join(" ".join(t for _h, t in d.sections).split()[: r.lead_words])
                    w.add_document(slug=d.slug, title=d.title, body=body, kind="a", lead=lead)
                if self.recipe.unit == "section":
                    for h, t in d.sections:
                        w.add_document(slug=d.slug, title=d.title, body=f"{h}\n{t}", kind="s")
                if self.recipe.unit == "both":  # sections in a field of their own: own stats
                    for h, t in d.sections:
                        w.add_document(slug=d.slug, sbody=f"{h}\n{t}", kind="s")
        self.ix = ix
        r = self.recipe
        self.searcher = ix.searcher(weighting=_Weighting(r, B=r.B, K1=r.K1, title_B=r.title_B))
        self.vocab = set(self.searcher.lexicon("body")) | set(self.searcher.lexicon("title"))
        self.vocab = {v.decode() if isinstance(v, bytes) else v for v in self.vocab}

    def terms(self, text: str) -> list[str]:
        """Analysed query terms, optionally de-duplicated and repaired."""
        words = [t.text for t in self.ana(text)]
        if self.recipe.join_compounds:
            words = self._join(words)
        if self.recipe.dedupe:
            words = list(dict.fromkeys(words))
        return words

    def _join(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            if (
                i + 1 < len(words)
                and words[i] + words[i + 1] in self.vocab
                and words[i] + words[i + 1] not in (words[i], words[i + 1])
            ):
                out.append(words[i] + words[i + 1])
                i += 2
                continue
            out.append(words[i])
            i += 1
        return out

    def build_query(self, terms: list[str], weights: dict[str, float] | None = None):
        r = self.recipe
        subs: list[query.Query] = []
        for t in terms:
            w = (weights or {}).get(t, 1.0)
            if r.fuzzy_unknown and t not in self.vocab and len(t) > 4:
                subs.append(
                    query.FuzzyTerm("title", t, boost=r.title_boost * w, maxdist=1, prefixlength=1)
                )
                subs.append(
                    query.FuzzyTerm("body", t, boost=r.body_boost * w, maxdist=1, prefixlength=1)
                )
                continue
            subs.append(query.Term("title", t, boost=r.title_boost * w))
            subs.append(query.Term("body", t, boost=r.body_boost * w))
            if r.lead_boost:
                subs.append(query.Term("lead", t, boost=r.lead_boost * w))
            if r.unit == "both":
                subs.append(query.Term("sbody", t, boost=r.body_boost * w))
        if r.phrase_boost and len(terms) > 1:
            for a, b in zip(terms, terms[1:], strict=False):
                subs.append(query.Phrase("title", [a, b], slop=2, boost=r.phrase_boost))
        if r.body_phrase_boost and len(terms) > 1:
            for a, b in zip(terms, terms[1:], strict=False):
                subs.append(query.Phrase("body", [a, b], slop=2, boost=r.body_phrase_boost))
        return query.Or(subs, scale=r.coord or None)

    def _scores(self, q, limit: int = 2000) -> dict[str, float]:
        r = self.recipe
        hits = self.searcher.search(q, limit=limit, terms=bool(r.coord_power))
        per: dict[str, list[float]] = defaultdict(list)
        both: dict[str, dict[str, float]] = defaultdict(dict)
        for h in hits:
            score = h.score
            if r.coord_power and self._qterms:
                got = {t.decode() if isinstance(t, bytes) else t for _f, t in h.matched_terms()}
                idf = self._idf
                share = sum(idf[t] for t in self._qterms if t in got) / sum(
                    idf[t] for t in self._qterms
                )
                score *= share**r.coord_power
            if r.unit == "both":
                both[h["slug"]][h["kind"]] = max(both[h["slug"]].get(h["kind"], 0.0), score)
            per[h["slug"]].append(score)
        if r.unit == "both":
            return {
                s: v.get("a", 0.0) + r.section_weight * v.get("s", 0.0) for s, v in both.items()
            }
        if r.unit == "article" or r.collapse == "max":
            return {s: max(v) for s, v in per.items()}
        return {s: max(v) + r.collapse_frac * (sum(v) - max(v)) for s, v in per.items()}

    def rank(self, text: str) -> list[str]:
        terms = self.terms(text)
        if not terms:
            return []
        self._qterms = terms
        self._idf = {t: max(self.searcher.idf("body", t), 0.1) for t in terms}
        scores = self._scores(self.build_query(terms))
        if self.recipe.prf_docs and scores:
            scores = self._prf(terms, scores)
        return [s for s, _ in sorted(scores.items(), key=lambda kv: -kv[1])][:10]

    def _prf(self, terms: list[str], scores: dict[str, float]) -> dict[str, float]:
        """RM3-like: add the top feedback docs' most weighted terms, then re-query."""
        r = self.recipe
        top = sorted(scores, key=lambda s: -scores[s])[: r.prf_docs]
        n_docs = self.searcher.doc_count()
        acc: Counter[str] = Counter()
        for slug in top:
            for docnum in self.searcher.document_numbers(slug=slug):
                for fname in ("title", "body"):
                    if not self.searcher.has_vector(docnum, fname):
                        continue
                    vec = dict(self.searcher.vector_as("weight", docnum, fname))
                    length = sum(vec.values()) or 1
                    for t, tf in vec.items():
                        df = self.searcher.doc_frequency(fname, t) or 1
                        acc[t] += (tf / length) * math.log(1 + n_docs / df) * scores[slug]
        weights = {t: 1.0 for t in terms}
        total = sum(v for _, v in acc.most_common(r.prf_terms)) or 1
        for t, v in acc.most_common(r.prf_terms):
            weights[t] = weights.get(t, 0.0) + r.prf_weight * v / total * len(terms)
        return self._scores(self.build_query(list(weights), weights))


def variant(base: Recipe, **changes) -> Recipe:
    """A copy of a recipe with some knobs changed."""
    return replace(base, **changes)

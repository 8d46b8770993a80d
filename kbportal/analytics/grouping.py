"""Failed searches grouped by meaning: one need, one line, however it was worded (no Flask).

Two failed queries join when any of these holds (union-find over the pairs that pass):
- the same terms once typos are folded (the search stack's stems, then edit distance);
- most terms shared (Jaccard >= JACCARD);
- close in meaning: the cosine of their static word vectors (the search stack's English and
  Russian tables) >= SEMANTIC;
- search showed them the same best answer (an article, in either language) and they are at
  least loosely alike (a shared term or cosine >= ANSWER_SEMANTIC), or in different languages.
Editors' merge and split decisions are applied last and win.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kbportal.search import analysis
from kbportal.search.wordvectors import content_words, embed, language_of, table

JACCARD = 0.5
SEMANTIC = 0.8
CENTROID = 0.8  # the least cosine between two groups' centroids for meaning to join them
ANSWER_SEMANTIC = 0.45
MAX_POSTING = 300  # a term shared by more failed queries than this links nothing by itself
CHUNK = 2048


@dataclass
class FailedQuery:
    """One normalised failed query: how it was typed, how often, and what search showed."""

    normalized: str
    locale: str
    phrasings: Counter[str] = field(default_factory=Counter)
    searches: int = 0
    zero: int = 0
    sessions: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    answers: Counter[str] = field(default_factory=Counter)  # top result shown, "locale/slug"

    @property
    def text(self) -> str:
        """The commonest phrasing."""
        return self.phrasings.most_common(1)[0][0] if self.phrasings else self.normalized

    @property
    def answer(self) -> str | None:
        """The best answer search showed most often, as a slug shared across languages."""
        if not self.answers:
            return None
        return self.answers.most_common(1)[0][0].partition("/")[2].partition("#")[0] or None


@dataclass
class Group:
    """Failed queries that are one need (built whole; its figures are worked out once)."""

    members: list[FailedQuery]

    @cached_property
    def anchor(self) -> FailedQuery:
        """The member searched most (its normalised form names the group)."""
        return max(self.members, key=lambda m: (m.searches, -len(m.normalized), m.normalized))

    @cached_property
    def id(self) -> str:
        """A short stable id: the anchor's normalised form, hashed."""
        return group_id(self.anchor.normalized)

    @cached_property
    def searches(self) -> int:
        """Failed searches in the group."""
        return sum(m.searches for m in self.members)

    @cached_property
    def zero(self) -> int:
        """Of those, searches that found nothing."""
        return sum(m.zero for m in self.members)

    @cached_property
    def sessions(self) -> int:
        """Distinct sessions (searches without a session count once each)."""
        return len(set().union(*(m.sessions for m in self.members)))

    @cached_property
    def phrasings(self) -> list[tuple[str, int]]:
        """Every phrasing with its count, commonest first."""
        counts: Counter[str] = Counter()
        for member in self.members:
            counts.update(member.phrasings)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @cached_property
    def title(self) -> str:
        """The commonest phrasing."""
        return self.phrasings[0][0] if self.phrasings else self.anchor.normalized

    @cached_property
    def locales(self) -> list[str]:
        """The locales its searches were made in, commonest first."""
        counts: Counter[str] = Counter()
        for member in self.members:
            counts[member.locale] += member.searches
        return [locale for locale, _ in counts.most_common()]

    @cached_property
    def answers(self) -> list[tuple[str, int]]:
        """What search showed first for these queries, commonest first."""
        counts: Counter[str] = Counter()
        for member in self.members:
            counts.update(member.answers)
        return counts.most_common()

    @cached_property
    def first(self) -> datetime | None:
        """When the need was first searched for."""
        times = [m.first for m in self.members if m.first]
        return min(times) if times else None

    @cached_property
    def last(self) -> datetime | None:
        """When it was last searched for."""
        times = [m.last for m in self.members if m.last]
        return max(times) if times else None


def group_id(normalized: str) -> str:
    """The id of a group anchored at a normalised query."""
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=5).hexdigest()


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def fold_typos(terms: Counter[str], known: Callable[[str], bool] | None = None) -> dict[str, str]:
    """Each term mapped to a commoner term it is a typo of (1 edit, 2 for long words).

    A swap of two letters is one edit. A term the word tables know (`known`) is a word in its
    own right and is never folded: "пришл" and "прошл" differ by one letter and are two words.
    """
    by_length: dict[int, list[str]] = defaultdict(list)
    for term in terms:
        by_length[len(term)].append(term)
    mapping: dict[str, str] = {}
    for term in sorted(terms, key=lambda t: (-terms[t], t)):
        if term in mapping or len(term) < 4:
            continue
        limit = 1 if len(term) < 8 else 2
        for length in range(len(term) - limit, len(term) + limit + 1):
            bucket = [
                t
                for t in by_length.get(length, ())
                if t != term and t not in mapping and len(t) >= 4
            ]
            for other, _dist, _i in process.extract(
                term, bucket, scorer=OSA.distance, score_cutoff=limit, limit=None
            ):
                if terms[other] > terms[term] or (terms[other] == terms[term] and other < term):
                    continue
                if known is not None and known(other):
                    continue
                mapping[other] = term
    return mapping


def known_term(term: str) -> bool:
    """Whether a word table has the term as a word (a real word, not a typo)."""
    words = table(language_of(term))
    return words is not None and (analysis.stem(term) if words.stemmed else term) in words.index


def _vectors(items: Sequence[FailedQuery]) -> tuple[np.ndarray, list[str]]:
    """One normalised vector per item (zeros when no word has one), and each item's language."""
    languages = [language_of(item.text) for item in items]
    dims = {lang: t.dims for lang in set(languages) if (t := table(lang)) is not None}
    width = max(dims.values(), default=1)
    matrix = np.zeros((len(items), width), dtype=np.float32)
    for i, (item, lang) in enumerate(zip(items, languages, strict=True)):
        words = table(lang)
        if words is None:
            continue
        counts: Counter[str] = Counter()
        for phrasing, n in item.phrasings.items():
            for word in content_words(phrasing):
                counts[word] += n
        vec = embed(Counter({w: 1 for w in counts}), {}, 1, words)
        matrix[i, : vec.shape[0]] = vec
    return matrix, languages


def auto_groups(items: Sequence[FailedQuery]) -> list[list[int]]:
    """Indices of `items` grouped by the rules above (no editors' decisions)."""
    n = len(items)
    union = _Union(n)
    term_counts: Counter[str] = Counter()
    for item in items:
        for term in item.normalized.split():
            term_counts[term] += item.searches or 1
    folded = fold_typos(term_counts, known_term)
    term_sets = [frozenset(folded.get(t, t) for t in item.normalized.split()) for item in items]
    # Same terms once typos are folded.
    first_of: dict[frozenset[str], int] = {}
    for i, terms in enumerate(term_sets):
        if terms:
            union.join(first_of.setdefault(terms, i), i)
    # Most terms shared: candidate pairs from each term's posting list.
    postings: dict[str, list[int]] = defaultdict(list)
    for i, terms in enumerate(term_sets):
        for term in terms:
            postings[term].append(i)
    shared: dict[tuple[int, int], int] = Counter()
    for ids in postings.values():
        if len(ids) > MAX_POSTING:
            continue
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                shared[(ids[x], ids[y])] += 1
    for (a, b), common in shared.items():
        if common / len(term_sets[a] | term_sets[b]) >= JACCARD:
            union.join(a, b)
    # Close in meaning, and the same best answer.
    matrix, languages = _vectors(items)
    answers = [item.answer for item in items]
    by_answer: dict[str, list[int]] = defaultdict(list)
    for i, answer in enumerate(answers):
        if answer:
            by_answer[answer].append(i)
    # Meaning: strongest pairs first; two groups join only while their centroids stay close
    # (single links alone chain "refund" to "card declined" to "VAT on invoices").
    edges: list[tuple[float, int, int]] = []
    for start in range(0, n, CHUNK):
        sims = matrix[start : start + CHUNK] @ matrix.T
        rows, cols = np.nonzero(sims >= SEMANTIC)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a = start + r
            if a < c and languages[a] == languages[c]:
                edges.append((float(sims[r, c]), a, c))
    sums: dict[int, np.ndarray] = {}
    for i in range(n):
        root = union.find(i)
        sums[root] = sums[root] + matrix[i] if root in sums else matrix[i].copy()
    for _sim, a, b in sorted(edges, reverse=True):
        ra, rb = union.find(a), union.find(b)
        if ra == rb:
            continue
        ca, cb = sums[ra], sums[rb]
        norm = float(np.linalg.norm(ca) * np.linalg.norm(cb))
        if norm and float(ca @ cb) / norm >= CENTROID:
            union.join(ra, rb)
            sums[union.find(ra)] = ca + cb
    for ids in by_answer.values():
        if len(ids) > MAX_POSTING:
            continue
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                a, b = ids[x], ids[y]
                alike = bool(term_sets[a] & term_sets[b])
                if not alike and languages[a] == languages[b]:
                    alike = float(matrix[a] @ matrix[b]) >= ANSWER_SEMANTIC
                if alike or languages[a] != languages[b]:
                    union.join(a, b)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        clusters[union.find(i)].append(i)
    return list(clusters.values())


def group(items: Sequence[FailedQuery], decisions: Mapping[str, str] | None = None) -> list[Group]:
    """Failed queries grouped by meaning, editors' decisions applied; biggest groups first.

    `decisions` maps a normalised query to a label an editor gave it: queries with the same
    label form one group whatever the rules say ("" or a label of its own: it stands alone).
    """
    decisions = decisions or {}
    clusters = [
        [i for i in members if items[i].normalized not in decisions]
        for members in auto_groups(items)
    ]
    labelled: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.normalized in decisions:
            label = decisions[item.normalized] or f"solo:{item.normalized}"
            labelled[label].append(i)
    clusters.extend(labelled.values())
    groups = [Group([items[i] for i in members]) for members in clusters if members]
    return sorted(groups, key=lambda g: (-g.searches, -g.sessions, g.title))


def by_id(groups: Iterable[Group], wanted: str) -> Group | None:
    """The group with this id (or whose anchor's normalised form is `wanted`)."""
    for candidate in groups:
        if candidate.id == wanted or candidate.anchor.normalized == wanted:
            return candidate
    return None

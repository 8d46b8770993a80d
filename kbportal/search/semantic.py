"""Re-ranking search hits by meaning: article vectors beside the index, fused with lexical scores.

Word tables (kbportal/search/wordvectors.py): English distilled from all-MiniLM-L6-v2, Russian
from navec. Each article gets a vector of its whole text and one per "head" (its title and its
front-matter `questions:`), in the table of its locale's language. A query is compared with both:
FAQ titles and customers' phrasings are questions, as queries are.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from kbportal.search import encoded, vector_delta
from kbportal.search.wordvectors import (
    DATA_DIR,
    TABLES,
    WordVectors,
    content_words,
    embed,
    keyed_df,
    language_of,
    table,
)

log = logging.getLogger(__name__)

__all__ = ["DATA_DIR", "WordVectors", "table", "content_words"]

VECTORS_FILE = "semantic.npy"  # beside the Whoosh index: one row per article, float16
META_FILE = "semantic.json"  # the rows' article keys, word document frequencies, heads' owners
LOCALES = frozenset(TABLES)  # locales with a word table; other locales are never re-ranked

# Fusion: lexical / best lexical among candidates + WEIGHT x cosine(query, article text)
# + HEAD_WEIGHT x best cosine(query, title or a customer question). Measured on all three sets:
# WEIGHT 1.0-1.3 is a plateau (session 4: jhucovid gains, the others level); 1.2 in its middle.
WEIGHT = 1.2
HEAD_WEIGHT = 0.5
DEPTH = 50  # lexical candidates re-ranked (only hits the viewer may already see)

Item = tuple[str, str, Sequence[str]]  # (article key, whole text, heads: title and questions)


def _files(language: str) -> tuple[str, str, str]:
    """The vector, meta and heads file names of a language (English keeps the first names)."""
    stem = "semantic" if language == "en" else f"semantic.{language}"
    return f"{stem}.npy", f"{stem}.json", f"{stem}.heads.npy"


class ArticleVectors:
    """One language's article vectors of one index, by article key, and the word statistics."""

    def __init__(
        self,
        keys: Sequence[str],
        matrix: np.ndarray,
        df: dict[str, int],
        n: int,
        language: str = "en",
        heads: np.ndarray | None = None,
        head_of: Sequence[int] = (),
    ):
        self.keys = list(keys)
        self.row = {k: i for i, k in enumerate(self.keys)}
        self.matrix = matrix
        self.df = df
        self.n = n
        self.language = language
        dims = matrix.shape[1] if matrix.ndim == 2 else 0
        self.heads = heads if heads is not None else np.zeros((0, dims), dtype=np.float16)
        self.head_of = np.asarray(head_of, dtype=np.int32)  # head row -> article row
        # Head rows grouped by article row: heads_order[starts[r]:starts[r + 1]] are row r's
        self._heads_order = np.argsort(self.head_of, kind="stable")
        self._heads_start = np.searchsorted(
            self.head_of[self._heads_order], np.arange(len(self.keys) + 1)
        )
        self._last: tuple[str, np.ndarray | None] | None = None
        self.encoded: encoded.EncodedArticles | None = None  # the sentence encoder's, if any
        self._weights: dict[str, int] | None = None  # df by the table's key, made on first use

    @classmethod
    def build(cls, items: Iterable[Item], language: str = "en") -> ArticleVectors:
        """Vectors for (key, text, heads), with document frequencies from the same texts."""
        items = list(items)
        counted = [Counter(content_words(text)) for _, text, _ in items]
        df: Counter[str] = Counter()
        for counts in counted:
            df.update(counts.keys())
        words = table(language)
        if words is None:
            raise OSError(f"no {language} word table")
        n = len(items)
        weights = keyed_df(dict(df), n, words)
        rows = [embed(counts, weights, n, words) for counts in counted]
        matrix = np.vstack(rows) if rows else np.zeros((0, words.dims), dtype=np.float32)
        heads, head_of = _head_rows(items, range(n), weights, n, words)
        keys = [key for key, _, _ in items]
        return cls(keys, matrix.astype(np.float16), dict(df), n, language, heads, head_of)

    def query_vector(self, text: str) -> np.ndarray | None:
        """The query's vector (None when no word of it has one); the last one is remembered,
        as the re-ranking and the confidence both ask for it."""
        last = self._last  # one tuple, read and replaced atomically: safe across threads
        if last is not None and last[0] == text:
            return last[1]
        words = table(self.language)
        if words is None:
            return None
        if self._weights is None:
            self._weights = keyed_df(self.df, self.n, words)
        vec = embed(Counter(content_words(text)), self._weights, self.n, words)
        found = vec if vec.any() else None
        self._last = (text, found)
        return found

    def cosines(self, query: np.ndarray, keys: Sequence[str]) -> list[float]:
        """Cosine of the query with each article (0 for an article without a row)."""
        rows = [self.row.get(k, -1) for k in keys]
        have = [r for r in rows if r >= 0]
        sims = self.matrix[have].astype(np.float32) @ query if have else []
        it = iter(sims)
        return [float(next(it)) if r >= 0 else 0.0 for r in rows]

    def head_cosines(self, query: np.ndarray, keys: Sequence[str]) -> list[float]:
        """Best cosine of the query with each article's title or questions (0 without heads)."""
        rows = np.array([self.row.get(k, -1) for k in keys], dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        have = np.flatnonzero(rows >= 0)
        starts = self._heads_start[rows[have]]
        counts = self._heads_start[rows[have] + 1] - starts
        some = counts > 0
        have, starts, counts = have[some], starts[some], counts[some]
        if len(have):  # only the candidates' heads: the product stays small on a big index
            # The head rows of each candidate in turn, as one index array (no Python loop).
            offsets = np.cumsum(counts) - counts
            within = np.repeat(starts - offsets, counts) + np.arange(counts.sum())
            picked = self._heads_order[within]
            sims = self.heads[picked].astype(np.float32) @ query
            out[have] = np.maximum(np.maximum.reduceat(sims, offsets), 0.0)  # as before: >= 0
        return out.tolist()

    def save(self, directory: Path) -> None:
        """Write the vectors beside an index (atomically replaced files)."""
        directory = Path(directory)
        vectors, meta_name, heads = _files(self.language)
        for name, array in ((vectors, self.matrix), (heads, self.heads)):
            tmp = directory / (name + ".tmp.npy")
            np.save(tmp, array)
            os.replace(tmp, directory / name)
        meta = {"keys": self.keys, "n": self.n, "df": self.df, "head_of": self.head_of.tolist()}
        tmp_meta = directory / (meta_name + ".tmp")
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp_meta, directory / meta_name)

    @classmethod
    def load(cls, directory: Path, language: str = "en") -> ArticleVectors | None:
        """The vectors beside an index, or None when there are none (search stays lexical)."""
        vectors, meta_name, heads_name = _files(language)
        base = vector_delta.identity(directory, _files(language))
        carried = vector_delta.carried(directory, language, base)
        if carried is not None:  # from the open version's vectors: the same rows, no parsing
            src = carried.source
            made = cls(carried.keys, carried.matrix, src.df, src.n, language, *carried[3:5])
            vector_delta.remember(made, base, carried.delta)
            return made
        try:
            meta = json.loads((Path(directory) / meta_name).read_text(encoding="utf-8"))
            matrix = np.load(Path(directory) / vectors)
            keys, n = list(meta["keys"]), int(meta["n"])
            df = {str(k): int(v) for k, v in meta["df"].items()}
            head_of = [int(i) for i in meta.get("head_of", [])]
            heads = np.load(Path(directory) / heads_name) if head_of else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("no %s semantic vectors in %s (%s)", language, directory, exc)
            return None
        if matrix.ndim != 2 or matrix.shape[0] != len(keys):  # e.g. caught mid-update
            log.warning("semantic vectors in %s do not match their keys; ignored", directory)
            return None
        if heads is not None and (len(heads) != len(head_of) or max(head_of) >= len(keys)):
            heads, head_of = None, []
        if heads is None:
            heads = np.zeros((0, matrix.shape[1]), dtype=matrix.dtype)
        try:  # rows changed by publishes since the base was written (vector_delta)
            delta = vector_delta.read(directory, language, matrix.shape[1])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("semantic vector delta in %s unreadable (%s); ignored", directory, exc)
            return None
        keys, matrix, heads, head_of = vector_delta.merged(delta, keys, matrix, heads, head_of)
        made = cls(keys, matrix, df, n, language, heads, head_of)
        vector_delta.remember(made, base, delta)
        return made


def _head_rows(
    items: Sequence[Item], rows: Iterable[int], df: dict[str, int], n: int, words: WordVectors
) -> tuple[np.ndarray, list[int]]:
    """Vectors of each item's heads, and the article row each belongs to."""
    vecs, owners = [], []
    for (_, _, heads), row in zip(items, rows, strict=True):
        for head in heads:
            vec = embed(Counter(content_words(head)), df, n, words)
            if vec.any():
                vecs.append(vec)
                owners.append(row)
    matrix = np.vstack(vecs) if vecs else np.zeros((0, words.dims), dtype=np.float32)
    return matrix.astype(np.float16), owners


def load_all(directory: Path) -> dict[str, ArticleVectors]:
    """Every language's vectors beside an index."""
    found = {lang: ArticleVectors.load(directory, lang) for lang in TABLES}
    kept = {lang: v for lang, v in found.items() if v is not None}
    for vectors in kept.values():  # made in the background where this process has an encoder
        vectors.encoded = encoded.attach(directory, vectors.keys)
    return kept


def _by_language(items: Iterable[tuple[str, Item]]) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = {}
    for language, item in items:
        grouped.setdefault(language, []).append(item)
    return grouped


def write(directory: Path, items: Iterable[tuple[str, Item]]) -> None:
    """Article vectors for (language, item) pairs, written beside a freshly built index."""
    for language, group in _by_language(items).items():
        if table(language) is not None:  # else logged once by table(): search stays lexical
            ArticleVectors.build(group, language).save(directory)


def update(directory: Path, items: Iterable[tuple[str, Item]], removed: Iterable[str]) -> None:
    """Replace the rows of changed articles and drop removed ones (word statistics kept).

    Writes only the changed rows (vector_delta); the base files are rewritten when the delta
    has grown to a share of them.
    """
    gone = set(removed)
    grouped = _by_language(items)
    for language in TABLES:
        words = table(language)
        meta = _meta(directory, language)
        if meta is None or words is None:
            continue  # an index built without vectors stays lexical until its next full build
        n = int(meta["n"])
        df = keyed_df({str(k): int(v) for k, v in meta["df"].items()}, n, words)
        new = {key: (text, heads) for key, text, heads in grouped.get(language, [])}
        rows = [embed(Counter(content_words(t)), df, n, words) for t, _ in new.values()]
        matrix = np.vstack(rows) if rows else np.zeros((0, words.dims), dtype=np.float32)
        new_items = [(k, t, h) for k, (t, h) in new.items()]
        heads, owners = _head_rows(new_items, range(len(new_items)), df, n, words)
        old = vector_delta.read(directory, language, words.dims)
        delta = vector_delta.changed(old, gone, list(new), matrix, heads, owners)
        if vector_delta.due(delta, len(meta["keys"])):
            vector_delta.write(directory, language, delta)
            folded = ArticleVectors.load(directory, language)
            if folded is not None:
                folded.save(directory)
                vector_delta.remove(directory, language)
        else:
            vector_delta.write(directory, language, delta)


def _meta(directory: Path, language: str) -> dict | None:
    """The base vectors' keys and word statistics (None when the index has no vectors)."""
    try:
        meta = json.loads((Path(directory) / _files(language)[1]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and {"keys", "df", "n"} <= meta.keys() else None


def language_for(locale: str | None, text: str) -> str | None:
    """The word table a query is compared in: its locale's, or by its script when any locale."""
    if locale is not None:
        return locale if locale in TABLES else None
    return language_of(text)


def rerank(
    vectors: ArticleVectors, text: str, best: list[tuple[int, float]], keys: Sequence[str]
) -> list[tuple[int, float]]:
    """The lexical top DEPTH (docnum, score) re-ordered by fused score; the rest kept after.

    Only re-orders what the lexical pass found for this viewer, so it cannot surface anything
    hidden; when a candidate has no vector (another locale, an index without vectors) the
    lexical order stands.
    """
    head = best[:DEPTH]
    names = [keys[d] for d, _ in head]
    if len(head) < 2 or any(k not in vectors.row for k in names):
        return best
    query = vectors.query_vector(text)
    if query is None:
        return best
    fused = fuse([s for _, s in head], vectors.cosines(query, names))
    if HEAD_WEIGHT:
        heads = vectors.head_cosines(query, names)
        fused = [f + HEAD_WEIGHT * c for f, c in zip(fused, heads, strict=True)]
    order = sorted(range(len(head)), key=lambda i: (-fused[i], head[i][0]))
    if vectors.encoded is not None:  # the sentence encoder re-orders the first few
        order, fused = vectors.encoded.rerank(text, order, fused, names)
    # Scores on one scale: the rest keep their lexical score divided by the best one.
    top = max(s for _, s in head)
    return [(head[i][0], fused[i]) for i in order] + [(d, s / top) for d, s in best[DEPTH:]]


def fuse(
    lexical: Sequence[float], cosines: Sequence[float], weight: float | None = None
) -> list[float]:
    """Fused scores: lexical normalised by the best candidate, plus weight x cosine."""
    weight = WEIGHT if weight is None else weight
    top = max(lexical, default=0.0)
    if top <= 0:
        return list(lexical)
    return [s / top + weight * c for s, c in zip(lexical, cosines, strict=True)]

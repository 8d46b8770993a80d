"""Static word vectors (distilled from all-MiniLM-L6-v2) to re-rank English search hits."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from kbportal.search import analysis

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
VECTORS_FILE = "semantic.npy"  # beside the Whoosh index: one row per article, float16
META_FILE = "semantic.json"  # the rows' article keys and the word document frequencies
LOCALES = frozenset({"en"})  # the table is English; other locales are never re-ranked

# Fusion: lexical score / the best lexical score among candidates + WEIGHT x cosine.
WEIGHT = 1.5  # the middle of the plateau 1.2-3 measured on both query halves
DEPTH = 50  # lexical candidates re-ranked (only hits the viewer may already see)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")  # a Russian query is never re-ranked
MAX_PIECES = 4  # a word split into more WordPiece pieces than this is left out (noise)
PIECED_CACHE = 10_000  # vectors of words built from pieces, kept (the first ones seen)


class WordVectors:
    """The shipped table: int8 rows with a scale each, looked up by word or WordPiece pieces."""

    def __init__(self, directory: Path = DATA_DIR) -> None:
        words = (directory / "words.txt").read_text(encoding="utf-8").split()
        self.index = {w: i for i, w in enumerate(words)}
        self.rows = np.load(directory / "words.i8.npy")
        self.scale = np.load(directory / "words.scale.npy").astype(np.float32)
        self.dims = int(self.rows.shape[1])
        self._cache: dict[str, np.ndarray | None] = {}

    def ids(self, word: str) -> list[int]:
        """Rows for a word: itself, or its greedy longest-match WordPiece pieces."""
        i = self.index.get(word)
        if i is not None:
            return [i]
        if not word.isascii() or not word.isalpha():
            return []
        out: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                j = self.index.get(piece)
                if j is not None:
                    out.append(j)
                    start = end
                    break
            else:
                return []
            if len(out) > MAX_PIECES:
                return []
        return out

    def vector(self, word: str) -> np.ndarray | None:
        """A word's vector (float32, not normalised), or None when the table cannot spell it."""
        i = self.index.get(word)
        if i is not None:
            return self.rows[i].astype(np.float32) * self.scale[i]
        if word in self._cache:
            return self._cache[word]
        ids = self.ids(word)
        vec = None
        if ids:
            vec = (self.rows[ids].astype(np.float32) * self.scale[ids, None]).mean(axis=0)
        if len(self._cache) < PIECED_CACHE:  # bounded: ~0.6 kB a word
            self._cache[word] = vec
        return vec


_table: WordVectors | None = None
_table_lock = threading.Lock()


_table_failed = False


def table() -> WordVectors | None:
    """The process's one word table, loaded on first use (~16 MB); None if it cannot be read."""
    global _table, _table_failed
    with _table_lock:
        if _table is None and not _table_failed:
            try:
                _table = WordVectors(DATA_DIR)
            except (OSError, ValueError) as exc:
                # A broken install must not break search: it stays lexical, and says why once.
                log.error("semantic word table unreadable, search stays lexical: %s", exc)
                _table_failed = True
        return _table


def content_words(text: str) -> list[str]:
    """Lowercased words worth a vector: no stop words, no numbers, contractions stripped."""
    out = []
    for w in analysis.words(text):
        w = w.split("'")[0].split("’")[0]
        if len(w) > 1 and w.isalpha() and w not in analysis.STOP_WORDS:
            out.append(w)
    return out


def idf(df: int, n: int) -> float:
    """Inverse document frequency, never below a small floor (words in every article)."""
    return max(math.log((n + 1) / (df + 0.5)), 0.1)


def embed(counts: Counter[str], df: dict[str, int], n: int, words: WordVectors) -> np.ndarray:
    """A normalised text vector: idf-weighted, sublinear-tf mean of its word vectors."""
    acc = np.zeros(words.dims, dtype=np.float32)
    for word, tf in counts.items():
        vec = words.vector(word)
        if vec is not None:
            acc += (idf(df.get(word, 0), n) * (1 + math.log(tf))) * vec
    norm = float(np.linalg.norm(acc))
    return acc / norm if norm > 0 else acc


class ArticleVectors:
    """Article vectors of one index (rows by article key) and the word statistics used."""

    def __init__(self, keys: Sequence[str], matrix: np.ndarray, df: dict[str, int], n: int):
        self.keys = list(keys)
        self.row = {k: i for i, k in enumerate(self.keys)}
        self.matrix = matrix
        self.df = df
        self.n = n

    @classmethod
    def build(cls, texts: Iterable[tuple[str, str]]) -> ArticleVectors:
        """Vectors for (key, text) pairs, with document frequencies taken from the same texts."""
        items = [(key, Counter(content_words(text))) for key, text in texts]
        df: Counter[str] = Counter()
        for _, counts in items:
            df.update(counts.keys())
        words = table()
        if words is None:
            raise OSError("no semantic word table")
        n = len(items)
        rows = [embed(counts, df, n, words) for _, counts in items]
        matrix = np.vstack(rows) if rows else np.zeros((0, words.dims), dtype=np.float32)
        return cls([k for k, _ in items], matrix.astype(np.float16), dict(df), n)

    def query_vector(self, text: str) -> np.ndarray | None:
        """The query's vector (None when no word of it has one)."""
        words = table()
        if words is None:
            return None
        vec = embed(Counter(content_words(text)), self.df, self.n, words)
        return vec if vec.any() else None

    def cosines(self, query: np.ndarray, keys: Sequence[str]) -> list[float]:
        """Cosine of the query with each article (0 for an article without a row)."""
        rows = [self.row.get(k, -1) for k in keys]
        have = [r for r in rows if r >= 0]
        sims = self.matrix[have].astype(np.float32) @ query if have else []
        it = iter(sims)
        return [float(next(it)) if r >= 0 else 0.0 for r in rows]

    def save(self, directory: Path) -> None:
        """Write the vectors beside an index (atomically replaced files)."""
        directory = Path(directory)
        tmp_npy = directory / (VECTORS_FILE + ".tmp.npy")
        np.save(tmp_npy, self.matrix)
        meta = {"keys": self.keys, "n": self.n, "df": self.df}
        tmp_meta = directory / (META_FILE + ".tmp")
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp_npy, directory / VECTORS_FILE)
        os.replace(tmp_meta, directory / META_FILE)

    @classmethod
    def load(cls, directory: Path) -> ArticleVectors | None:
        """The vectors beside an index, or None when there are none (search stays lexical)."""
        try:
            meta = json.loads((Path(directory) / META_FILE).read_text(encoding="utf-8"))
            matrix = np.load(Path(directory) / VECTORS_FILE)
            keys, n = list(meta["keys"]), int(meta["n"])
            df = {str(k): int(v) for k, v in meta["df"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("no semantic vectors in %s (%s)", directory, exc)
            return None
        if matrix.ndim != 2 or matrix.shape[0] != len(keys):  # e.g. caught mid-update
            log.warning("semantic vectors in %s do not match their keys; ignored", directory)
            return None
        return cls(keys, matrix, df, n)


def write(directory: Path, texts: Iterable[tuple[str, str]]) -> None:
    """Article vectors for (key, text) pairs, written beside a freshly built index."""
    if table() is None:
        return  # logged once by table(): the index still builds, search stays lexical
    ArticleVectors.build(texts).save(directory)


def update(directory: Path, texts: Iterable[tuple[str, str]], removed: Iterable[str]) -> None:
    """Replace the rows of changed articles and drop removed ones (word statistics kept)."""
    old = ArticleVectors.load(directory)
    if old is None:
        return  # an index built without vectors stays lexical until its next full build
    words = table()
    if words is None:
        return
    gone = set(removed)
    new = {key: Counter(content_words(text)) for key, text in texts}
    keep = [i for i, k in enumerate(old.keys) if k not in gone and k not in new]
    rows = [embed(counts, old.df, old.n, words) for counts in new.values()]
    matrix = np.vstack([old.matrix[keep].astype(np.float32), *rows]) if keep or rows else old.matrix
    keys = [old.keys[i] for i in keep] + list(new)
    ArticleVectors(keys, matrix[: len(keys)].astype(np.float16), old.df, old.n).save(directory)


def applies(locale: str | None, text: str) -> bool:
    """Whether a query is one to re-rank: an English locale (or any) and no Cyrillic in it."""
    return (locale is None or locale in LOCALES) and not _CYRILLIC.search(text)


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
    order = sorted(range(len(head)), key=lambda i: (-fused[i], head[i][0]))
    # Scores on one scale: the rest keep their lexical score divided by the best one.
    top = max(s for _, s in head)
    return [(head[i][0], fused[i]) for i in order] + [(d, s / top) for d, s in best[DEPTH:]]


def fuse(lexical: Sequence[float], cosines: Sequence[float], weight: float = WEIGHT) -> list[float]:
    """Fused scores: lexical normalised by the best candidate, plus weight x cosine."""
    top = max(lexical, default=0.0)
    if top <= 0:
        return list(lexical)
    return [s / top + weight * c for s, c in zip(lexical, cosines, strict=True)]

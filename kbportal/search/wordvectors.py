"""Shipped static word-vector tables (English from all-MiniLM-L6-v2, Russian from navec)."""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from kbportal.search import analysis

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
# language -> (folder below DATA_DIR, keyed by stem): see data/NOTICE for where each comes from
TABLES: dict[str, tuple[str, bool]] = {"en": ("", False), "ru": ("ru", True)}
MAX_PIECES = 4  # a word split into more WordPiece pieces than this is left out (noise)
PIECED_CACHE = 10_000  # vectors of words built from pieces, kept (least recently used go)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


class WordVectors:
    """A table: int8 rows with a scale each, looked up by word (or stem), or WordPiece pieces."""

    def __init__(self, directory: Path, stemmed: bool = False) -> None:
        # One entry a line, by position: an empty line (a form the stemmer reduces to nothing)
        # holds its row's place, so the rows after it keep their own words.
        words = (directory / "words.txt").read_text(encoding="utf-8").split("\n")
        self.index = {w: i for i, w in enumerate(words) if w}
        # Mapped, not read: a worker keeps resident only the rows its queries touch, and the
        # page cache shares them between workers (the tables are 10 MB and 7 MB).
        self.rows = np.load(directory / "words.i8.npy", mmap_mode="r")
        self.scale = np.load(directory / "words.scale.npy").astype(np.float32)
        self.dims = int(self.rows.shape[1])
        self.stemmed = stemmed  # rows keyed by the index's stem of a word (Russian forms)
        # functools' LRU (thread-safe, bounded: ~0.6 kB a word), per table: a worker's threads
        # share it, and a table dropped takes its cache with it.
        self._pieced = functools.lru_cache(maxsize=PIECED_CACHE)(self._from_pieces)

    def ids(self, word: str) -> list[int]:
        """Rows for a word: itself (or its stem), or its greedy longest-match WordPiece pieces."""
        i = self.index.get(analysis.stem(word) if self.stemmed else word)
        if i is not None:
            return [i]
        if self.stemmed or not word.isascii() or not word.isalpha():
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
        i = self.index.get(analysis.stem(word) if self.stemmed else word)
        if i is not None:
            return self.rows[i].astype(np.float32) * self.scale[i]
        return self._pieced(word)

    def _from_pieces(self, word: str) -> np.ndarray | None:
        """The mean vector of a word's WordPiece pieces, or None when it has none."""
        ids = self.ids(word)
        if not ids:
            return None
        return (self.rows[ids].astype(np.float32) * self.scale[ids, None]).mean(axis=0)


_tables: dict[str, WordVectors] = {}
_failed: set[str] = set()
_lock = threading.Lock()


def table(language: str = "en") -> WordVectors | None:
    """The process's table for a language, loaded on first use; None if there is none."""
    with _lock:
        found = _tables.get(language)
        if found is None and language in TABLES and language not in _failed:
            folder, stemmed = TABLES[language]
            try:
                found = _tables[language] = WordVectors(DATA_DIR / folder, stemmed)
            except (OSError, ValueError) as exc:
                # A broken install must not break search: it stays lexical, and says why once.
                log.error("%s word table unreadable, search stays lexical: %s", language, exc)
                _failed.add(language)
        return found


def language_of(text: str) -> str:
    """The table for a query's words by their script: Russian if any Cyrillic, else English."""
    return "ru" if _CYRILLIC.search(text) else "en"


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


def keyed_df(df: dict[str, int], n: int, words: WordVectors) -> dict[str, int]:
    """Document frequencies by the table's key: a stem's forms counted together (capped at n)
    for a table keyed by stem, else the words' own."""
    if not words.stemmed:
        return df
    out: dict[str, int] = {}
    for word, count in df.items():
        key = analysis.stem(word)
        out[key] = out.get(key, 0) + count
    return {key: min(count, n) for key, count in out.items()}


def embed(counts: Counter[str], df: dict[str, int], n: int, words: WordVectors) -> np.ndarray:
    """A normalised text vector: idf-weighted, sublinear-tf mean of its word vectors.

    `df` is keyed as the table is (keyed_df): in a table keyed by stem, a Russian word's forms
    are one word with one idf and one count, as they share one vector (a form the articles do
    not spell would otherwise weigh as a word no article holds).
    """
    acc = np.zeros(words.dims, dtype=np.float32)
    merged: Counter[str] = Counter()
    spelled: dict[str, str] = {}  # key -> a form of it, to look its vector up by
    for word, tf in counts.items():
        key = analysis.stem(word) if words.stemmed else word
        merged[key] += tf
        spelled.setdefault(key, word)
    for key, tf in merged.items():
        vec = words.vector(spelled[key])
        if vec is not None:
            acc += (idf(df.get(key, 0), n) * (1 + math.log(tf))) * vec
    norm = float(np.linalg.norm(acc))
    return acc / norm if norm > 0 else acc

"""Articles' sentence-encoder vectors: made once per content, kept in the data folder, re-ranking.

Each article gets two vectors from kbportal.search.encoder: its title, and its title with its
summary (front matter, or the first paragraph: the build store's `summary`). They are keyed by
a hash of that text and kept in `<data folder>/encoded/<model>/`, shared by every build, so a
publish encodes only the articles whose title or summary changed. They are made in a thread of
the process that searches, off the request path and off the build; until an article has its
vectors, queries whose candidates include it keep the ranking without the encoder.

The re-rank adds WEIGHT x (cos(query, title) + cos(query, title + summary)) to the fused score
of the first DEPTH candidates (measured in docs/search-quality.md, session 5). It only
re-orders what the viewer's search already found, so nothing hidden can surface.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from filelock import FileLock

from kbportal.search import encoder

log = logging.getLogger(__name__)

WEIGHT = 3.0  # plateau 2-4 on rutube-dev and jhucovid-dev (session 5 sweep)
DEPTH = 20  # fused candidates re-ordered (10 and 20 the same on the English sets)
BATCH = 16  # articles encoded between two writes of the cache (and two checks for closing)
COMPACT_AT = 32  # cache shards merged into one beyond this many
FILL_SHARE = 0.5  # of a core for encoding articles (~70 ms an article: 8k articles ~20 min)
STORE = "content.sqlite"  # the build store beside the index folders (kbportal.publish.store)

_fills: list[threading.Thread] = []
_fills_lock = threading.Lock()
# Whether this thread's search went without the encoder although it applied (the query's
# vector late, or a candidate's not made yet): its answer may change, so the search process's
# results cache keeps it only briefly (kbportal.serving.results_cache).
_state = threading.local()


def begin() -> None:
    """Start watching this thread's next search for a re-rank it had to go without."""
    _state.skipped = False


def skipped() -> bool:
    """Whether this thread's search since begin() went without the encoder's re-rank."""
    return bool(getattr(_state, "skipped", False))


def cache_dir(index_dir: Path) -> Path:
    """The data folder's cache for an index in `<data>/builds/<id>/<index>`, else one beside it."""
    path = Path(index_dir).resolve()
    base = path.parents[2] if path.parent.parent.name == "builds" else path
    return base / "encoded" / encoder.MODEL


def text_hash(title: str, summary: str) -> str:
    """What an article's vectors are keyed by: the model and the encoded text."""
    raw = "\0".join((encoder.MODEL, title, summary)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


class Cache:
    """Vectors by text hash in a folder of shards (one written per batch, merged when many)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self) -> dict[str, np.ndarray]:
        """Every cached (2, DIMS) float16 pair by hash (a shard caught half-written is skipped)."""
        found: dict[str, np.ndarray] = {}
        for shard in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(shard) as data:
                    hashes, vectors = data["hashes"], data["vectors"]
            except (OSError, ValueError, KeyError) as exc:
                log.warning("encoded cache shard %s unreadable (%s); ignored", shard, exc)
                continue
            if vectors.shape[1:] == (2, encoder.DIMS) and len(hashes) == len(vectors):
                found.update(zip((str(h) for h in hashes), vectors, strict=True))
        return found

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Write one shard atomically; merge the shards when there are many."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(f"{time.time_ns()}-{os.getpid()}-{threading.get_ident()}", hashes, vectors)
        if len(list(self.folder.glob("*.npz"))) > COMPACT_AT:
            with FileLock(str(self.folder / "compact.lock")):
                shards = sorted(self.folder.glob("*.npz"))
                if len(shards) > COMPACT_AT:
                    merged = self.load()
                    stacked = np.stack(list(merged.values())).astype(np.float16)
                    self._write(f"{time.time_ns()}-merged", list(merged), stacked)
                    for shard in shards:
                        shard.unlink(missing_ok=True)

    def _write(self, name: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
        tmp = self.folder / f".{name}.tmp.npz"
        np.savez(tmp, hashes=np.array(list(hashes), dtype=str), vectors=vectors)
        os.replace(tmp, self.folder / f"{name}.npz")


class EncodedArticles:
    """One index's articles' encoder vectors, filled in a background thread."""

    def __init__(self, store: Path, cache: Cache, keys: Sequence[str]) -> None:
        self.store = store
        self.cache = cache
        self.keys = list(keys)
        self.vectors: dict[str, np.ndarray] = {}  # key -> (2, DIMS) float16; filled by fill()
        self.encoded = 0  # articles this index had to encode (not found in the cache)

    def fill(self) -> None:
        """Vectors for every key: from the cache, else encoded and added to the cache."""
        if encoder.load() is None:
            return  # not installed here: logged once by the encoder
        texts = self._texts()
        self.cache.folder.mkdir(parents=True, exist_ok=True)
        # One filler at a time per cache (the public and staff index, every search process of
        # the node): the next one reads the cache after it and encodes only what is new.
        with FileLock(str(self.cache.folder / "fill.lock")):
            self._fill(texts)

    def _fill(self, texts: dict[str, tuple[str, str]]) -> None:
        known = self.cache.load()
        todo: list[tuple[str, str, str, str]] = []
        for key, (title, summary) in texts.items():
            digest = text_hash(title, summary)
            if digest in known:
                self.vectors[key] = known[digest]
            else:
                todo.append((key, digest, title, summary))
        del known
        for start in range(0, len(todo), BATCH):
            began = time.monotonic()
            batch = todo[start : start + BATCH]
            titles = encoder.passages([t for _, _, t, _ in batch])
            whole = encoder.passages([f"{t}\n{s}" if s else t for _, _, t, s in batch])
            pairs = np.stack([titles, whole], axis=1).astype(np.float16)
            self.cache.add([d for _, d, _, _ in batch], pairs)
            for (key, _, _, _), pair in zip(batch, pairs, strict=True):
                self.vectors[key] = pair
            self.encoded += len(batch)
            # At most FILL_SHARE of a core: the searches of this process need the rest.
            time.sleep((time.monotonic() - began) * (1 / FILL_SHARE - 1))

    def _texts(self) -> dict[str, tuple[str, str]]:
        """Title and summary of this index's articles, from the build store."""
        wanted = set(self.keys)
        conn = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT key, title, summary FROM articles").fetchall()
        finally:
            conn.close()
        return {k: (t, s or "") for k, t, s in rows if k in wanted}

    def cosines(self, query: np.ndarray, keys: Sequence[str]) -> list[float] | None:
        """cos(query, title) + cos(query, title + summary) per key; None if any is not ready."""
        pairs = [self.vectors.get(k) for k in keys]
        if any(p is None for p in pairs):
            return None
        stacked = np.stack(pairs).astype(np.float32)  # type: ignore[arg-type]
        return (stacked @ query).sum(axis=1).tolist()

    def rerank(
        self, text: str, order: list[int], fused: list[float], names: Sequence[str]
    ) -> tuple[list[int], list[float]]:
        """The first DEPTH of `order` re-sorted with the encoder's cosines added to `fused`."""
        top = order[:DEPTH]
        if len(top) < 2:
            return order, fused
        query = encoder.query_vector(text)
        if query is None:
            _state.skipped = True
            return order, fused
        cos = self.cosines(query, [names[i] for i in top])
        if cos is None:
            _state.skipped = True
            return order, fused
        fused = list(fused)
        for i, c in zip(top, cos, strict=True):
            fused[i] += WEIGHT * c
        return sorted(top, key=lambda i: (-fused[i], i)) + order[DEPTH:], fused


def attach(index_dir: Path, keys: Sequence[str]) -> EncodedArticles | None:
    """The encoder vectors of an index's articles, filling in the background (None when this
    process has no encoder or the index has no build store beside it)."""
    store = Path(index_dir).parent / STORE
    if not keys or not encoder.enabled() or not store.is_file():
        return None
    made = EncodedArticles(store, Cache(cache_dir(index_dir)), keys)

    def run() -> None:
        # The lowest priority for this thread alone (Linux): never before a search of this
        # process; elsewhere FILL_SHARE still leaves the searches most of a core.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            made.fill()
        except Exception:  # a broken cache or store must not take the search process down
            log.exception(
                "encoding the articles of %s failed; they keep the plain ranking", index_dir
            )

    thread = threading.Thread(target=run, name="encode-articles", daemon=True)
    with _fills_lock:
        _fills[:] = [t for t in _fills if t.is_alive()]
        _fills.append(thread)
    thread.start()
    return made


def wait(timeout: float | None = None) -> bool:
    """Wait for the article encodings under way (benchmarks and tests); True when all done."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _fills_lock:
        running = list(_fills)
    for thread in running:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        thread.join(left)
    return not any(t.is_alive() for t in running)

"""Article vectors changed since the last full write, kept apart so a publish writes only those.

A publish used to rewrite every article's vector (~50 MB at 100k articles) for one changed
article. Now the base files stay as the build wrote them (hard-linked from build to build) and
a small delta file holds the changed rows and the base rows they replace; readers merge the two
when they open the index. When the delta grows past a share of the base it is folded in.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

FOLD_SHARE = 20  # fold the delta into the base once it holds 1/20 of the base's rows
FOLD_MIN = 256


@dataclass
class Delta:
    """Rows added or replaced since the base was written, and the base keys they hide."""

    keys: list[str]
    dropped: set[str]
    matrix: np.ndarray  # one row per key, float16
    heads: np.ndarray  # head vectors, float16
    head_of: np.ndarray  # head row -> row in this delta

    def __len__(self) -> int:
        return len(self.keys)


def file_name(language: str) -> str:
    """The delta file of a language, beside the base files."""
    return "semantic.delta.npz" if language == "en" else f"semantic.{language}.delta.npz"


def empty(dims: int) -> Delta:
    """A delta holding nothing."""
    zero = np.zeros((0, dims), dtype=np.float16)
    return Delta([], set(), zero, zero, np.zeros(0, dtype=np.int32))


def read(directory: Path, language: str, dims: int) -> Delta:
    """The delta beside an index (empty when there is none)."""
    path = Path(directory) / file_name(language)
    if not path.is_file():
        return empty(dims)
    with np.load(path, allow_pickle=False) as data:
        return Delta(
            [str(k) for k in data["keys"]],
            {str(k) for k in data["dropped"]},
            data["matrix"],
            data["heads"],
            data["head_of"].astype(np.int32),
        )


def write(directory: Path, language: str, delta: Delta) -> None:
    """Replace the delta file (atomically: a half-written one is never read)."""
    path = Path(directory) / file_name(language)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(
        tmp,
        keys=np.array(delta.keys, dtype=str),
        dropped=np.array(sorted(delta.dropped), dtype=str),
        matrix=delta.matrix.astype(np.float16),
        heads=delta.heads.astype(np.float16),
        head_of=delta.head_of.astype(np.int32),
    )
    os.replace(tmp, path)


def remove(directory: Path, language: str) -> None:
    """Drop the delta (after it was folded into the base)."""
    (Path(directory) / file_name(language)).unlink(missing_ok=True)


def changed(
    old: Delta,
    gone: set[str],
    keys: list[str],
    matrix: np.ndarray,
    heads: np.ndarray,
    head_of: list[int],
) -> Delta:
    """The delta after a publish: `gone` keys leave, `keys` (rows of `matrix`) come in."""
    hidden = gone | set(keys)
    keep = [i for i, k in enumerate(old.keys) if k not in hidden]
    renumber = {old_row: new_row for new_row, old_row in enumerate(keep)}
    kept_heads = [i for i, owner in enumerate(old.head_of.tolist()) if owner in renumber]
    dims = old.matrix.shape[1]
    rows = [old.matrix[keep].astype(np.float32), matrix.astype(np.float32).reshape(-1, dims)]
    all_heads = [old.heads[kept_heads].astype(np.float32), heads.astype(np.float32)]
    owners = [renumber[int(old.head_of[i])] for i in kept_heads] + [o + len(keep) for o in head_of]
    return Delta(
        [old.keys[i] for i in keep] + list(keys),
        old.dropped | hidden,
        np.vstack(rows).astype(np.float16),
        np.vstack(all_heads).astype(np.float16),
        np.asarray(owners, dtype=np.int32),
    )


def merged(
    delta: Delta,
    keys: list[str],
    matrix: np.ndarray,
    heads: np.ndarray,
    head_of: list[int],
    row_of: dict[str, int] | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    """Base rows the delta does not hide, then the delta's rows (as one full update made them).

    `row_of` may map more keys than `keys` holds (rows past them are ignored)."""
    if not len(delta) and not delta.dropped:
        return keys, matrix, heads, head_of
    # Index arithmetic in numpy: a worker does this for every article on each new version.
    if row_of is None:
        row_of = {k: i for i, k in enumerate(keys)}
    keep = np.ones(len(keys), dtype=bool)
    hidden = (row_of.get(k, -1) for k in delta.dropped)
    keep[[row for row in hidden if 0 <= row < len(keys)]] = False
    new_row = np.cumsum(keep) - 1  # old row -> row among the kept ones
    owners = np.asarray(head_of, dtype=np.int64)
    kept_heads = keep[owners] if len(owners) else np.zeros(0, dtype=bool)
    kept_rows = np.flatnonzero(keep)
    out_keys = [keys[i] for i in kept_rows.tolist()] + delta.keys
    out_matrix = np.vstack([matrix[kept_rows], delta.matrix.astype(matrix.dtype)])
    dims = matrix.shape[1]
    base_heads = heads[kept_heads] if len(heads) else np.zeros((0, dims), dtype=matrix.dtype)
    out_heads = np.vstack([base_heads, delta.heads.astype(matrix.dtype)])
    out_head_of = (
        new_row[owners[kept_heads]].tolist()
        + (delta.head_of.astype(np.int64) + len(kept_rows)).tolist()
    )
    return out_keys, out_matrix, out_heads, out_head_of


def due(delta: Delta, base_rows: int) -> bool:
    """Whether the delta has grown enough to fold into the base."""
    return len(delta) + len(delta.dropped) > max(FOLD_MIN, base_rows // FOLD_SHARE)


# Carrying a version's vectors over to the next ---------------------------------------------
# A publish leaves the base files as they were (hard links) and writes a new delta. A worker
# that has the previous version's vectors open takes its base rows from them instead of
# parsing the base files (~100k keys and word counts) and merging every row again.

Identity = tuple[int, ...]


@dataclass(frozen=True)
class Base:
    """What one loaded set of vectors took from its base files."""

    identity: Identity
    rows: int  # its first `rows` rows are base rows (the rest came from its delta)
    heads: int  # likewise for head rows
    dropped: frozenset[str]  # base keys its delta hid


class Carried(NamedTuple):
    """A new version's rows made from an open version's vectors and the new delta."""

    source: Any  # the open version's ArticleVectors (its word statistics are shared)
    keys: list[str]
    matrix: np.ndarray
    heads: np.ndarray
    head_of: list[int]
    delta: Delta


_bases: weakref.WeakKeyDictionary[Any, Base] = weakref.WeakKeyDictionary()
_latest: dict[Identity, weakref.ref[Any]] = {}
_lock = threading.Lock()


def identity(directory: Path, names: Iterable[str]) -> Identity | None:
    """Which base files these are (device, inode, size, mtime each); None if one is missing."""
    found: list[int] = []
    for name in names:
        try:
            st = (Path(directory) / name).stat()
        except OSError:
            return None
        found += [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return tuple(found)


def remember(vectors: Any, ident: Identity | None, delta: Delta) -> None:
    """Note loaded vectors (base rows first, then `delta`'s) as a source for the next version."""
    if ident is None:
        return
    base = Base(
        ident,
        len(vectors.keys) - len(delta),
        len(vectors.heads) - len(delta.heads),
        frozenset(delta.dropped),
    )
    with _lock:
        _bases[vectors] = base
        for stale in [k for k, ref in _latest.items() if ref() is None]:
            del _latest[stale]
        _latest[ident] = weakref.ref(vectors)


def carried(directory: Path, language: str, ident: Identity | None) -> Carried | None:
    """The rows of the vectors beside an index, made from open vectors of the same base files
    (the same result as merging the base with the delta); None when there are none."""
    if ident is None:
        return None
    with _lock:
        ref = _latest.get(ident)
        source = ref() if ref is not None else None
        base = _bases.get(source) if source is not None else None
    if source is None or base is None:
        return None
    try:
        delta = read(directory, language, source.matrix.shape[1])
    except (OSError, ValueError, KeyError):
        return None  # the full load says why
    if not base.dropped <= delta.dropped:
        return None  # not a later delta of the same base: read it all
    newly = Delta(
        delta.keys, delta.dropped - base.dropped, delta.matrix, delta.heads, delta.head_of
    )
    keys, matrix, heads, head_of = merged(
        newly,
        source.keys[: base.rows],
        source.matrix[: base.rows],
        source.heads[: base.heads],
        source.head_of[: base.heads].tolist(),
        row_of=source.row,
    )
    return Carried(source, keys, matrix, heads, head_of, delta)

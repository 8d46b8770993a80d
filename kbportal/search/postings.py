"""A term's postings as numpy arrays, decoded a block at a time from Whoosh's postings file.

Whoosh's matchers hand out one posting per Python call (four calls a posting, more behind the
deleted-documents filter): at 100k articles that was ~80% of a search. Its on-disk format
(whoosh3) keeps each block of up to 128 postings as one pickled tuple of delta-encoded ids
and weights, so a whole block decodes with one `pickle.loads` and one `cumsum`. The values are
exactly the matcher's (same ids, same weights); deleted documents are dropped by a mask.
"""

from __future__ import annotations

import bisect
import io
import itertools
import logging
import pickle
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Ids = npt.NDArray[np.int64]
Weights = npt.NDArray[np.float64]

BLOCK = 128  # postings per block (Whoosh's default block limit)
_MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC
_LENGTH = struct.Struct("!i")  # a block's byte length; negative on the last block
# Where a block's values begin: the first bytes object, written as `_codecs.encode(...)`
# or, when empty, `bytes()`, by pickle protocol 2
_VALUES = (b"c_codecs\nencode\n", b"c__builtin__\nbytes\n")
_MARK = ord("(")
_CLOSE = b"N\x87."  # None for the values, the (ids, weights, values) tuple, STOP
_HEAD = 2048  # inflated bytes that hold a block's ids and weights (128 x 5 + 128 x 9 at most)
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def deleted_mask(reader: Any) -> npt.NDArray[np.bool_] | None:
    """A segment's deleted documents as a mask by local document number (None: none)."""
    deleted = reader.deleted_docs_set
    if not deleted:
        return None
    mask = np.zeros(reader.doc_count_all(), dtype=bool)
    mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = True
    return mask


def leaf_postings(
    reader: Any, field: str, term: str, deleted: npt.NDArray[np.bool_] | None
) -> tuple[Ids, Weights]:
    """(local ids, weights) of a term's live postings in one segment reader, ids ascending."""
    return _joined(blocks(reader, field, term, deleted))


def leaf_postings_in(
    reader: Any, field: str, term: str, deleted: npt.NDArray[np.bool_] | None, wanted: list[int]
) -> tuple[Ids, Weights]:
    """The live postings of the `wanted` local ids only (ascending): blocks holding none of
    them are skipped by their header, without decoding (the pruned first pass's lookups)."""
    if not wanted:
        return _EMPTY
    found = _joined(blocks(reader, field, term, deleted, wanted))
    keep = np.isin(found[0], np.array(wanted, dtype=np.int64), assume_unique=True)
    return found[0][keep], found[1][keep]


def blocks(
    reader: Any,
    field: str,
    term: str,
    deleted: npt.NDArray[np.bool_] | None,
    wanted: list[int] | None = None,
) -> Iterator[tuple[Ids, Weights]]:
    """A term's live postings a block at a time (ascending); with `wanted` (sorted local ids),
    only the blocks whose id range holds one of them."""
    if (field, term) not in reader:
        return
    decoded = _decoded(reader, field, term, wanted)
    try:
        first = next(decoded, None)
    except (AttributeError, TypeError, ValueError) as error:  # another codec: the slow way
        log.debug("postings of %s:%s read one at a time (%s)", field, term, error)
        yield _matched(reader, field, term)
        return
    if first is None:
        return
    for ids, weights in itertools.chain([first], decoded):
        if deleted is not None and len(ids):
            live = ~deleted[ids]
            ids, weights = ids[live], weights[live]
        yield ids, weights


def _joined(parts: Iterable[tuple[Ids, Weights]]) -> tuple[Ids, Weights]:
    found = list(parts)
    if not found:
        return _EMPTY
    if len(found) == 1:
        return found[0]
    return np.concatenate([p[0] for p in found]), np.concatenate([p[1] for p in found])


def _decoded(
    reader: Any, field: str, term: str, wanted: list[int] | None
) -> Iterator[tuple[Ids, Weights]]:
    """A term's postings block by block, deleted ones included, from the whoosh3 files."""
    terms = reader._terms
    info = terms.term_info(field, reader._text_to_bytes(field, term))
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        yield np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
        return
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh3 reads the length back as a 1-tuple
        (length,) = length
    raw = terms._postfile.get(offset, length)
    if raw[:4] != _MAGIC:
        raise ValueError("not whoosh3 postings")
    stream = io.BytesIO(raw)
    position = 4
    low = 0  # the smallest id the next block may hold
    while True:
        (size,) = _LENGTH.unpack_from(raw, position)
        end = position + _LENGTH.size + abs(size)
        stream.seek(position + _LENGTH.size)
        count, maxid, _maxweight, compression, _, _ = pickle.load(stream)
        if wanted is None or _holds(wanted, low, maxid):
            ids, weights = _ids_weights(raw[stream.tell() : end], compression, count)
            yield np.cumsum(np.array(ids, dtype=np.int64)), _weights(weights, count)
        if size < 0:  # the last block
            return
        position, low = end, maxid + 1


def _ids_weights(data: bytes, compression: int, count: int) -> tuple[Any, Any]:
    """A block's (delta-encoded ids, minimised weights), its values (positions) left unread.

    A block is one protocol-2 pickle of (ids, weights, values); values are bytes, which that
    protocol writes as calls to `_codecs.encode` (or `bytes()` when empty): unpickling them
    was most of a body block's cost, and their compressed tail need not be inflated. The
    pickle is cut where the values begin (the first such call: those names cannot occur
    inside the ints and floats before them) and closed with None. Anything unexpected reads
    the whole block.
    """
    inflate = zlib.decompressobj() if compression else None
    head = inflate.decompress(data, _HEAD) if inflate else data
    cut = min((i for i in (head.find(p) for p in _VALUES) if i > 0), default=-1)
    if cut > 0:
        # A values tuple of 4+ items opens with a MARK; 1-3 items, or one joined bytes, not
        for start in (cut - 1, cut) if head[cut - 1] == _MARK else (cut,):
            try:
                ids, weights, values = pickle.loads(head[:start] + _CLOSE)
            except (pickle.UnpicklingError, ValueError, TypeError, IndexError, EOFError):
                continue
            if values is None and isinstance(ids, tuple) and len(ids) == count:
                return ids, weights
    if inflate is not None:
        data = head + inflate.decompress(inflate.unconsumed_tail) + inflate.flush()
    block = pickle.loads(data)
    return block[0], block[1]


def _holds(wanted: list[int], low: int, high: int) -> bool:
    """Whether a sorted list holds a value in [low, high]."""
    i = bisect.bisect_left(wanted, low)
    return i < len(wanted) and wanted[i] <= high


def bound(info: Any, params: tuple[float, float, float, float]) -> float:
    """An upper bound of a BM25F score of a term in one segment, from the term's statistics
    there (`info`: largest weight, shortest length) and the scorer's (idf, avgfl, B, K1), in
    the scorer's own formula: it grows with the weight and shrinks with the length, and
    rounding is monotonic, so no posting's score computed that way exceeds it."""
    w, length = float(info.max_weight()), float(info.min_length())
    idf, avgfl, b, k1 = params
    return float(idf * (w * (k1 + 1)) / (w + k1 * ((1 - b) + b * length / avgfl)))


def _weights(stored: Any, count: int) -> Weights:
    """A block's weights as Whoosh minimised them: None (all 1), one value, or each."""
    if stored is None:
        return np.ones(count, dtype=np.float64)
    if isinstance(stored, (int, float)):
        return np.full(count, float(stored), dtype=np.float64)
    return np.array(stored, dtype=np.float64)


def _matched(reader: Any, field: str, term: str) -> tuple[Ids, Weights]:
    """The general way, through Whoosh's matcher (deleted documents already left out)."""
    ids: list[int] = []
    weights: list[float] = []
    m = reader.postings(field, term)
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)

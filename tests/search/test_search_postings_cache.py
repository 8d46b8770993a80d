"""Postings read without their positions, cached by bytes, and a pruned pass sized to cover
enough articles: each must leave every score exactly as it was."""

from __future__ import annotations

import io
import pickle
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from kbportal.search import (
    Searcher,
    build_index,
    postings,
    query_builder,
    term_scores,
    update_index,
)
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC

from .conftest import article
from .test_search_pruning import QUERIES, _articles, _terms, _top


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    arts = _articles(240)
    build_index(tmp_path / "ix", arts[:200])
    update_index(tmp_path / "ix", arts[200:], ["en/a7"])
    s = Searcher(tmp_path / "ix")
    yield s
    s.close()


def _raw_blocks(sub, field: str, term: str):
    """(data, compression, count) of each block of a term's postings, as whoosh3 wrote them."""
    terms = sub._terms
    info = terms.term_info(field, sub._text_to_bytes(field, term))
    if info.is_inlined():
        return
    offset, length = info.extent()
    if isinstance(length, tuple):
        (length,) = length
    raw = terms._postfile.get(offset, length)
    position = 4
    while True:
        (size,) = struct.unpack_from("!i", raw, position)
        end = position + 4 + abs(size)
        stream = io.BytesIO(raw)
        stream.seek(position + 4)
        count, _, _, compression, _, _ = pickle.load(stream)
        yield raw[stream.tell() : end], compression, count
        if size < 0:
            return
        position = end


def test_every_block_reads_the_same_ids_and_weights_without_its_positions(
    searcher: Searcher,
) -> None:
    blocks = 0
    with searcher._using() as reader:
        for sub, _ in reader.searcher.leaf_searchers():
            for field in ("body", "title", "section", "tags", "article_text", "article_title"):
                for term in _terms(reader, field):
                    if (field, term) not in sub.reader():
                        continue
                    for data, compression, count in _raw_blocks(sub.reader(), field, term):
                        whole = pickle.loads(zlib.decompress(data) if compression else data)
                        ids, weights = postings._ids_weights(data, compression, count)
                        assert (ids, weights) == whole[:2], (field, term)
                        assert type(weights) is type(whole[1])
                        blocks += 1
    assert blocks > 500


@pytest.mark.parametrize("compression", [0, 3])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 128])
def test_hand_made_blocks_of_every_shape(compression: int, count: int) -> None:
    rng = random.Random(count)
    ids = tuple(rng.randint(1, 300) for _ in range(count))
    # A lone weight whose last byte is a MARK opcode "(": the cut must not fall inside it
    tricky = struct.unpack(">d", b"\x40\x00\x00\x00\x00\x00\x00\x28")[0]
    for weights in (None, 2.0, tricky, tuple(float(rng.randint(1, 9)) for _ in ids)):
        for values in (
            tuple(bytes(rng.randint(0, 3)) for _ in ids),  # some empty: bytes() not encode
            b"".join(bytes([rng.randint(0, 255)]) * 4 for _ in ids),  # one joined value
            None,  # a format without values
        ):
            data = pickle.dumps((ids, weights, values), 2)
            if compression:
                data = zlib.compress(data, compression)
            assert postings._ids_weights(data, compression, count) == (ids, weights)


def test_a_pass_sized_to_cover_articles_is_exact(searcher: Searcher, always_pruned: None) -> None:
    grown = 0
    with searcher._using() as reader:
        scope = reader.scope(PUBLIC, "en", None)
        for text in QUERIES:
            built = query_builder.build_query(text)
            assert built is not None
            full = reader.first_pass(built, scope)
            for k, articles in ((2, 20), (3, 60), (10, 10)):
                found = reader.first_pass(built, scope, k, articles)
                if found.exact_for is None:
                    continue
                assert found.exact_for >= k
                grown += found.exact_for > k
                assert _top(found, found.exact_for) == _top(full, found.exact_for), text
                assert found.full is not None
                more = found.full(found.exact_for * 4)  # from the same bounds
                assert more.exact_for in (None, found.exact_for * 4)  # None: the full pass
                assert _top(more, found.exact_for * 4) == _top(full, found.exact_for * 4), text
    assert grown  # some passes did grow


def test_the_postings_cache_stays_within_its_bytes(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(term_scores, "POSTINGS_CACHE_BYTES", 20_000)
    for text in QUERIES:
        searcher.search(SearchQuery(text, PUBLIC))
    with searcher._using() as reader:
        shared = reader._shared
        assert 0 < shared.postings_size <= 20_000
        sizes = [size for size, _ in shared.postings.values()]
        assert sum(sizes) == shared.postings_size


def test_cached_postings_keep_float32_only_where_exact(tmp_path: Path) -> None:
    build_index(tmp_path / "ix", [article("a", "Title", "word word word other")])
    s = Searcher(tmp_path / "ix")
    try:
        with s._using() as reader:
            ((ids, weights),) = reader.terms.decoded("body", "word")
            assert weights.dtype == np.float32 and weights.tolist() == [3.0]
        exact = np.array([0.1, 2.0])
        assert term_scores.compact(exact).dtype == np.float64
    finally:
        s.close()

"""A new version's index carries the open version's per-document caches over, segment by segment,
and finds exactly what a freshly opened index finds."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from kbportal.search import Searcher, build_index, dense, filters, update_index
from kbportal.search.lengths import field_lengths
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import article

STAFF = Viewer(staff=True)
ARTICLES = [
    article(f"a{i}", f"Article {i}", f"refund invoice payment word{i}", category=f"c{i % 3}")
    for i in range(40)
] + [
    article("secret", "Secret refund", "internal refund rules", visibility="internal"),
    article("fr", "Remboursement", "refund remboursement", locale="fr"),
]
QUERIES = ("refund", "invoice payment", "word7", "platypus", "secret", "remboursement")
SCOPES = [(PUBLIC, "en", None), (PUBLIC, None, None), (STAFF, "en", None), (PUBLIC, "en", "c1")]


def _linked_copy(source: Path, target: Path) -> None:
    """The index files hard-linked into a new folder, as an incremental publish copies them."""
    target.mkdir()
    for path in source.iterdir():
        os.link(path, target / path.name)


def _results(searcher: Searcher) -> list[tuple[int, list[tuple[str, float]]]]:
    out = []
    for viewer in (PUBLIC, STAFF):
        for text in QUERIES:
            res = searcher.search(SearchQuery(text, viewer=viewer, locale="en"))
            out.append((res.total, [(h.key, round(h.score, 9)) for h in res.hits]))
    return out


def _warm(searcher: Searcher) -> None:
    _results(searcher)
    with searcher._using() as reader:
        for viewer, locale, category in SCOPES:
            reader.scope(viewer, locale, category)


def test_a_published_version_carries_caches_and_finds_the_same(tmp_path: Path) -> None:
    build_index(tmp_path / "v0", ARTICLES)
    old = Searcher(tmp_path / "v0")
    _warm(old)
    versions = [old]
    # Several publishes: changed, added and removed articles, new segments (then merged ones)
    for n in range(1, 6):
        _linked_copy(tmp_path / f"v{n - 1}", tmp_path / f"v{n}")
        changed = article(f"a{n}", f"Platypus {n}", f"platypus refund step{n}", category="c1")
        added = article(f"new{n}", f"New {n}", "invoice platypus", category="c2")
        update_index(tmp_path / f"v{n}", [changed, added], [f"en/a{10 + n}"])
        new = Searcher(tmp_path / f"v{n}")
        with new._using() as reader:
            shared = reader._shared
            if n <= 3:  # (later, Whoosh merges the small segments, big one included: afresh)
                assert shared.ancestor is not None and shared.carried, (n, shared.spans)
            whoosh = reader.searcher
            # Exactly what reading every document of the new index gives
            assert shared.keys == list(whoosh.reader().column_reader("key"))
            for field, lengths in shared.field_lengths.items():
                fresh = [
                    v
                    for sub, _ in whoosh.leaf_searchers()
                    for v in field_lengths(sub.reader(), field)
                ]
                assert lengths.tolist() == dense.lengths_array(fresh).tolist(), field
            for viewer, locale, category in SCOPES:
                query = filters.scope_filter(viewer, locale, category)
                assert reader.scope(viewer, locale, category) == set(whoosh.docs_for_query(query))
            if n <= 3:  # the vectors' base rows and word statistics came from the open version
                assert new._vectors["en"].df is versions[-1]._vectors["en"].df
        versions.append(new)
        _warm(new)
        versions.pop(0).close()  # the old version retires
    carried = _results(versions[-1])
    held = versions[-1]._vectors["en"]
    vectors = (held.keys, held.matrix.copy(), held.heads.copy(), held.head_of.tolist())
    last = versions[-1].directory
    versions[-1].close()
    versions.clear()
    del old, new, reader, shared, whoosh, held
    gc.collect()
    fresh = Searcher(last)  # nothing open to carry from: everything read afresh
    try:
        with fresh._using() as reader:
            assert reader._shared.ancestor is None
        assert _results(fresh) == carried
        again = fresh._vectors["en"]  # read from the files: the same rows as carried over
        assert again.keys == vectors[0] and again.head_of.tolist() == vectors[3]
        assert (again.matrix == vectors[1]).all() and (again.heads == vectors[2]).all()
        hidden = fresh.search(SearchQuery("secret", viewer=PUBLIC))
        assert "en/secret" not in [h.key for h in hidden.hits]
    finally:
        fresh.close()


def test_a_carried_over_version_finds_what_a_full_build_finds(tmp_path: Path) -> None:
    first = [article(f"a{i}", f"Printer {i}", f"toner paper jam {i}") for i in range(20)]
    later = [article(f"b{i}", f"Scanner {i}", f"paper feed scanner {i}") for i in range(10)]
    changed = [article(f"a{i}", f"Printer {i} fixed", f"ink only {i}") for i in range(0, 20, 3)]
    texts = ("paper", "printer fixed", "scanner paper", "ink", "toner jam")
    build_index(tmp_path / "v0", first)
    parent = Searcher(tmp_path / "v0")
    for text in texts:  # the parent's caches, as a serving version has them
        parent.search(SearchQuery(text, locale="en"))
    _linked_copy(tmp_path / "v0", tmp_path / "v1")
    update_index(tmp_path / "v1", later, [])
    update_index(tmp_path / "v1", changed, ["en/a1"])
    final = {a.key: a for a in [*first, *later, *changed] if a.key != "en/a1"}
    build_index(tmp_path / "full", final.values())
    carried, full = Searcher(tmp_path / "v1"), Searcher(tmp_path / "full")
    try:
        with carried._using() as reader:
            assert reader._shared.ancestor is not None
        for text in texts:
            for page in (1, 2):
                one = carried.search(SearchQuery(text, locale="en", page=page, per_page=4))
                other = full.search(SearchQuery(text, locale="en", page=page, per_page=4))
                assert one.total == other.total, text
            every = carried.search(SearchQuery(text, locale="en", per_page=100))
            expected = full.search(SearchQuery(text, locale="en", per_page=100))
            assert sorted(h.key for h in every.hits) == sorted(h.key for h in expected.hits)
    finally:
        for searcher in (parent, carried, full):
            searcher.close()

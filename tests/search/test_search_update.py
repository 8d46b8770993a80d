"""Updating an index: replace and remove articles; hard-linked copies stay untouched."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from kbportal.search import IndexFormatError, Searcher, build_index, is_current, update_index
from kbportal.search.query_builder import build_query
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC

from .conftest import article

ARTICLES = [
    article("refunds", "Refunds", "We refund payments.", ("old", "Old rules", "Wombat policy.")),
    article("cards", "Cards", "Card payments."),
    article("keep", "Keep", "Payments stay."),
]


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def test_update_replaces_and_removes(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, ARTICLES)
    new = article("refunds", "Refunds", "Refunds take a week.", ("new", "Platypus", "New rules."))
    added = article("gift", "Gift cards", "Gift payments.")
    update_index(ix, [new, added], ["en/cards", "en/missing"])
    s = Searcher(ix)
    try:
        assert s.search(SearchQuery("wombat")).total == 0
        assert s.search(SearchQuery("platypus")).hits[0].anchor == "new"
        assert sorted(h.slug for h in s.search(SearchQuery("payments")).hits) == ["gift", "keep"]
        assert s.search(SearchQuery("refunds")).total == 1  # no leftover sections
    finally:
        s.close()


def test_an_open_searcher_keeps_its_version_and_a_new_one_sees_the_update(
    tmp_path: Path,
) -> None:
    # As publishing does: the update goes in, and the new version gets a new Searcher.
    ix = tmp_path / "ix"
    build_index(ix, ARTICLES)
    old = Searcher(ix)
    try:
        assert old.search(SearchQuery("payments")).total == 3
        update_index(ix, [], ["en/keep"])
        assert old.search(SearchQuery("payments")).total == 3  # requests in flight: unchanged
        new = Searcher(ix)
        try:
            totals: list[int] = []
            threads = [
                threading.Thread(
                    target=lambda: totals.append(new.search(SearchQuery("payment")).total)
                )
                for _ in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert totals == [2, 2, 2, 2]
        finally:
            new.close()
    finally:
        old.close()


def test_update_on_a_hard_linked_copy_leaves_the_original(tmp_path: Path) -> None:
    live, copy = tmp_path / "live", tmp_path / "copy"
    build_index(live, ARTICLES)
    before = digest(live)
    copy.mkdir()
    for path in live.iterdir():
        os.link(path, copy / path.name)
    for i in range(30):  # enough updates to make Whoosh merge segments
        update_index(copy, [article(f"n{i}", f"New {i}", "payments")], ["en/cards"])
    assert digest(live) == before
    s = Searcher(live)
    try:
        assert s.search(SearchQuery("payments")).total == 3
    finally:
        s.close()


def test_build_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "ix").mkdir()
    (tmp_path / "ix" / "stray").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        build_index(tmp_path / "ix", ARTICLES)


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Searcher(tmp_path / "nothing")


def test_updated_index_finds_what_a_fresh_build_finds(tmp_path: Path) -> None:
    first = [article(f"a{i}", f"Printer {i}", f"toner paper jam {i}") for i in range(20)]
    later = [article(f"b{i}", f"Scanner {i}", f"paper feed scanner {i}") for i in range(10)]
    changed = [article(f"a{i}", f"Printer {i} fixed", f"ink only {i}") for i in range(0, 20, 3)]
    updated, fresh = tmp_path / "updated", tmp_path / "fresh"
    build_index(updated, first)
    update_index(updated, later, [])
    update_index(updated, changed, ["en/a1"])
    final = {a.key: a for a in [*first, *later, *changed] if a.key != "en/a1"}
    build_index(fresh, final.values())
    a, b = Searcher(updated), Searcher(fresh)
    try:
        for text in ("paper", "printer fixed", "scanner paper", "ink", "toner jam"):
            for page in (1, 2):
                ra = a.search(SearchQuery(text, page=page, per_page=4))
                rb = b.search(SearchQuery(text, page=page, per_page=4))
                assert ra.total == rb.total, text
            all_a = a.search(SearchQuery(text, per_page=100))
            all_b = b.search(SearchQuery(text, per_page=100))
            assert sorted(h.key for h in all_a.hits) == sorted(h.key for h in all_b.hits)
    finally:
        a.close()
        b.close()


def test_concurrent_searches_match_sequential_ones(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, [article(f"a{i}", f"Topic {i}", f"word{i % 7} common text") for i in range(60)])
    s = Searcher(ix)
    texts = [f"word{i} common" for i in range(7)] + ["topic", "text 5"]
    try:
        expected = {t: [h.key for h in s.search(SearchQuery(t)).hits] for t in texts}
        errors: list[str] = []

        def work() -> None:
            for _ in range(5):
                for t in texts:
                    if [h.key for h in s.search(SearchQuery(t)).hits] != expected[t]:
                        errors.append(t)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    finally:
        s.close()


def test_close_waits_for_running_searches(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, ARTICLES)
    s = Searcher(ix)
    with s._using() as reader:  # a search running in another request
        s.close()
        built = build_query("payments")
        assert built is not None
        found = reader.first_pass(built, reader.scope(PUBLIC, None, None))
        assert reader.count_articles(found) == 3
    with pytest.raises(RuntimeError, match="closed"):
        s.search(SearchQuery("payments"))


def test_an_index_of_another_format_is_refused(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, ARTICLES)
    assert is_current(ix)
    (ix / "KBPORTAL_FORMAT").write_text("kbportal-search-0\n")
    assert not is_current(ix)
    with pytest.raises(IndexFormatError):
        Searcher(ix)
    with pytest.raises(IndexFormatError):
        update_index(ix, [], ["en/cards"])


def test_an_article_turned_draft_or_internal_leaves_public_search(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, ARTICLES)
    hidden = article("cards", "Cards", "Card payments.", draft=True)
    internal = article("keep", "Keep", "Payments stay.", visibility="internal")
    update_index(ix, [hidden, internal], [])
    s = Searcher(ix)
    try:
        assert [h.slug for h in s.search(SearchQuery("payments")).hits] == ["refunds"]
        assert s.autocomplete("ca", PUBLIC) == [] and s.autocomplete("kee", PUBLIC) == []
    finally:
        s.close()

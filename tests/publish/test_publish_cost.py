"""A one-article publish costs what it changes: bodies shared by hard link, rows read on demand."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kbportal import publish
from kbportal.publish import bodies, layout, store
from kbportal.publish.published import BuildKB
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

STAFF = Viewer(staff=True)
QUERIES = ("refund", "invoices billing", "welcome", "kiwiword", "card")


def current(config: dict[str, Any]) -> Path:
    build = layout.current_build(Path(config["DATA_DIR"]))
    assert build is not None
    return build


def edit(config: dict[str, Any], text: str) -> None:
    (config["ARTICLES_DIR"] / "en/billing/invoices.md").write_text(text)
    publish.update(config, ["en/billing/invoices.md"], [])


def test_a_publish_appends_to_the_shared_bodies_and_old_builds_read_theirs(
    built: dict[str, Any],
) -> None:
    first = current(built)
    size = (first / bodies.FILE).stat().st_size
    old = BuildKB(first, built["ARTICLES_DIR"])
    try:
        edit(built, "# Invoices v2\n\nNew text.\n")
        second = current(built)
        assert second != first
        # One file for both builds, longer by about one article: not a copy of the KB.
        assert (second / bodies.FILE).stat().st_ino == (first / bodies.FILE).stat().st_ino
        assert 0 < (second / bodies.FILE).stat().st_size - size < size
        new = BuildKB(second, built["ARTICLES_DIR"])
        try:
            assert new.article("en", "billing/invoices", PUBLIC).title == "Invoices v2"
        finally:
            new.close()
        # The old version still reads what it published, while the file grows under it.
        assert old.article("en", "billing/invoices", PUBLIC).title == "Download invoices"
        assert old.article("en", "billing/refunds", PUBLIC) is not None
    finally:
        old.close()


def test_replaced_bodies_are_dropped_once_they_outweigh_the_live_ones(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "REWRITE_MIN", 0)
    inodes = set()
    for n in range(12):  # the invoices body is small: a dozen versions outweigh the others
        edit(built, f"# Invoices v{n}\n\n" + "Long text. " * 200 + "\n")
        inodes.add((current(built) / bodies.FILE).stat().st_ino)
    assert len(inodes) > 1  # written afresh at least once
    build = current(built)
    conn = store.open_readonly(build / "content.sqlite")
    try:
        end, live = store.bodies_of(conn)
        assert live == store.body_bytes(conn)  # the live count kept by publishes is exact
    finally:
        conn.close()
    assert not bodies.rewrite_due(end, live)
    assert (build / bodies.FILE).stat().st_size == end
    kb = BuildKB(build, built["ARTICLES_DIR"])
    try:
        assert kb.article("en", "billing/invoices", PUBLIC).title == "Invoices v11"
        assert "Ask us for a refund" in kb.article("en", "billing/refunds", PUBLIC).html
    finally:
        kb.close()


def test_counts_and_targets_follow_publishes_without_a_full_read(built: dict[str, Any]) -> None:
    root = built["ARTICLES_DIR"]
    (root / "en/billing/new.md").write_text("# New\n\nSee [invoices](invoices.md).\n")
    report = publish.update(built, ["en/billing/new.md"], [])
    assert report.added == ["en/billing/new"] and not report.problems
    os.remove(root / "en/billing/invoices.md")
    report = publish.update(built, [], ["en/billing/invoices.md"])
    assert report.removed == ["en/billing/invoices"]
    # The link to the removed article is reported broken: the targets followed the change.
    assert any(p.path == "en/billing/new.md" for p in report.problems)
    conn = store.open_readonly(current(built) / "content.sqlite")
    try:
        counted = conn.execute(
            "SELECT count(*), sum(visibility = 'public') FROM articles"
        ).fetchone()
        assert store.all_counts(conn)[:2] == counted
    finally:
        conn.close()


def test_a_version_opened_from_its_parent_lists_what_a_fresh_open_lists(
    built: dict[str, Any],
) -> None:
    root = built["ARTICLES_DIR"]
    parent = BuildKB(current(built), root)
    for viewer in (PUBLIC, STAFF):  # the scopes and caches a serving version has
        for text in QUERIES:
            parent.search(SearchQuery(text, viewer, "en"))
    (root / "en/billing/invoices.md").write_text("# Invoices moved on\n\nNew platypus.\n")
    (root / "en/newcat").mkdir()
    (root / "en/newcat/fresh.md").write_text("# Fresh\n\nIn a new folder, platypus.\n")
    secret = root / "en/billing/secret-note.md"  # an internal article changed by the publish
    secret.write_text(secret.read_text() + "\nInternal platypus numbat.\n")
    os.remove(root / "en/start/welcome.md")
    changed = ["en/billing/invoices.md", "en/newcat/fresh.md", "en/billing/secret-note.md"]
    publish.update(built, changed, ["en/start/welcome.md"])
    carried = BuildKB(current(built), root, previous=parent)
    fresh = BuildKB(current(built), root)
    try:
        # Search caches came from the parent's (search.segments), and find what a fresh open
        # finds; the internal change reaches staff only.
        with carried.public_searcher._using() as reader:
            assert reader._shared.ancestor is not None
        for viewer in (PUBLIC, STAFF):
            for text in (*QUERIES, "platypus", "numbat"):
                query = SearchQuery(text, viewer, "en")
                found, expected = carried.search(query), fresh.search(query)
                assert found.total == expected.total, (viewer, text)
                assert [h.key for h in found.hits] == [h.key for h in expected.hits]
        public = [h.key for h in carried.search(SearchQuery("platypus", PUBLIC, "en")).hits]
        assert "en/billing/secret-note" not in public and "en/billing/invoices" in public
        assert carried.search(SearchQuery("numbat", PUBLIC, "en")).total == 0
        assert carried.search(SearchQuery("numbat", STAFF, "en")).total == 1
        assert [a.key for a in carried._newest] == [a.key for a in fresh._newest]
        assert carried._light == fresh._light
        assert carried._light is not parent._light
        assert {
            c: [a.key for a in found] for c, found in carried._by_category.items() if found
        } == {c: [a.key for a in found] for c, found in fresh._by_category.items() if found}
        assert "en/start/welcome" in parent._light  # the parent is left as it was
        assert [a.title for a in carried.recent("en", PUBLIC, 50)] == [
            a.title for a in fresh.recent("en", PUBLIC, 50)
        ]
    finally:
        for kb in (parent, carried, fresh):
            kb.close()

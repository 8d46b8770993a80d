"""A full build split over processes makes the same build as one process does."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

from kbportal import forked, publish
from kbportal.config import load_config
from kbportal.content import parallel
from kbportal.publish import layout
from kbportal.search import bulk
from kbportal.search import index as search_index
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

REPO_ARTICLES = Path(__file__).resolve().parents[2] / "articles"
HEADINGS = "".join(f"## Part {n}\n\nText {n}.\n\n" for n in range(8))
EXTRA = {
    # too many headings (MAX_HEADINGS=5 below): skipped with its file and line, while an
    # article before it and one after it in path order link to it
    "en/billing/aardvark.md": "# Aardvark\n\nSee [the long one](zz-long.md) for more.\n",
    "en/billing/zz-long.md": "# Long one\n\n" + HEADINGS,
    "en/billing/zzz-after.md": "# After\n\nAlso see [the long one](zz-long.md).\n",
    "en/billing/broken.md": "---\ntitle: [unclosed\n---\n\nBroken front matter.\n",
}
QUERIES = ["refund", "password reset", "invoice card", "api token", "пароль", "escalation"]
STAFF = Viewer(staff=True)


@pytest.fixture
def articles(tmp_path: Path, make_articles: Callable[..., Path]) -> Path:
    """The sample knowledge base (public and internal, English and Russian) plus bad files."""
    root = make_articles(EXTRA)
    shutil.copytree(REPO_ARTICLES, root, dirs_exist_ok=True)
    return root


@pytest.fixture(autouse=True)
def split_even_small_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork for a few articles too, so a small knowledge base takes the parallel path."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)


def _build(articles: Path, data: Path, procs: int) -> tuple[Any, Path]:
    config = load_config(
        {"ARTICLES_DIR": str(articles), "DATA_DIR": str(data), "MAX_HEADINGS": 5},
        {"KBPORTAL_BUILD_PROCS": str(procs)},
    )
    assert forked.build_procs(config) == procs
    try:
        report = publish.build(config)
        searches = {
            (text, who.staff): [
                (h.key, h.anchor, round(h.score, 9))
                for h in publish.kb_for(config).search(SearchQuery(text, who)).hits
            ]
            for text in QUERIES
            for who in (PUBLIC, STAFF)
        }
    finally:
        publish.close_all()
    build = layout.current_build(data)
    assert build is not None
    return (report, searches), build


def _index(folder: Path) -> dict[str, Any]:
    """Everything a Whoosh index holds, segment names aside, and its vector files."""
    ix = windex.open_dir(str(folder), indexname=search_index.INDEX_NAME)
    with ix.reader() as reader:
        fields = [name for name in ix.schema.names() if ix.schema[name].indexed]
        postings = {}
        for field, term in reader.all_terms():
            matcher = reader.postings(field, term)
            postings[(field, term)] = list(matcher.items_as("weight"))
        content = {
            "docs": list(reader.iter_docs()),
            "field lengths": {name: reader.field_length(name) for name in fields},
            "doc lengths": [
                [reader.doc_field_length(n, name) for name in fields]
                for n in range(reader.doc_count_all())
            ],
            "postings": postings,
        }
    ix.close()
    for path in sorted(folder.glob("semantic*")):
        content[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return content


def _pickled(column: Any) -> bool:
    return isinstance(column, bytes) and column.startswith(b"\x80")


def _value(column: Any) -> Any:
    """A column's value; pickled ones (link targets) compared by what they hold, as a set's
    pickle depends on the order its items went in."""
    if _pickled(column):
        return pickle.loads(column)  # noqa: S301 - the build's own store
    return column


def _store(build: Path) -> dict[str, Any]:
    conn = sqlite3.connect(build / "content.sqlite")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {
            t: sorted(
                ([c for c in r if not _pickled(c)], [_value(c) for c in r])
                for r in conn.execute(f"SELECT * FROM {t}")  # noqa: S608
            )
            for t in tables
        }
    finally:
        conn.close()
    for volatile in ("build_id", "created"):
        rows["meta"] = [r for r in rows["meta"] if r[0][0] != volatile]
    return rows


@pytest.mark.parametrize(("procs", "pool_mb"), [(2, search_index.POOL_MB), (3, 1)])
def test_split_build_equals_one_process(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, procs: int, pool_mb: int
) -> None:
    (one_report, one_hits), one = _build(articles, tmp_path / "one", 1)
    # 1 MB: every process spills its postings to sorted runs on disk, as at 100k articles
    monkeypatch.setattr(search_index, "POOL_MB", pool_mb)
    (many_report, many_hits), many = _build(articles, tmp_path / "many", procs)

    assert one_report.internal > 0 and one_report.public > 0  # two indexes: public and staff
    assert (many_report.articles, many_report.public) == (one_report.articles, one_report.public)
    assert many_report.problems == one_report.problems
    assert many_hits == one_hits and any(one_hits.values())
    assert _store(many) == _store(one)
    assert (many / "bodies.dat").read_bytes() == (one / "bodies.dat").read_bytes()
    for folder in ("index", "public-index"):
        assert _index(many / folder) == _index(one / folder), folder


def test_a_file_that_fails_is_reported_and_links_to_it_are_plain_text(
    articles: Path, tmp_path: Path
) -> None:
    (report, _), build = _build(articles, tmp_path / "data", 2)
    found = {(p.path, p.line, p.code) for p in report.problems}
    assert ("en/billing/zz-long.md", 15, "too-many-headings") in found or any(
        path == "en/billing/zz-long.md" and code == "too-many-headings" for path, _, code in found
    )
    assert any(p == "en/billing/broken.md" and c == "bad-front-matter" for p, _, c in found)
    # Before and after it in path order alike: the link is plain text, reported once each.
    for path, line in (("en/billing/aardvark.md", 3), ("en/billing/zzz-after.md", 3)):
        assert (path, line, "link-to-skipped") in found
    config = {"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data")}
    try:
        kb = publish.kb_for(load_config(config, {}))
        for slug in ("billing/aardvark", "billing/zzz-after"):
            page = kb.article("en", slug, PUBLIC)
            assert page is not None and "zz-long" not in page.html
        assert kb.article("en", "billing/zz-long", PUBLIC) is None
    finally:
        publish.close_all()
    assert build.exists()


def test_a_failing_index_process_fails_the_build_and_serves_the_old_one(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first = _build(articles, tmp_path / "data", 2)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(bulk, "analyse", broken)  # the forked children inherit it
    with pytest.raises(forked.ChildError, match="disk on fire"):
        _build(articles, tmp_path / "data", 2)
    assert layout.current_build(tmp_path / "data") == first
    assert not list((tmp_path / "data" / "builds").glob("*.tmp*"))


def test_a_killed_render_process_fails_the_build(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    real = parallel._each

    def dies_in_child(render: Any, items: Any) -> Any:
        if os.getpid() != parent:
            os._exit(9)  # as if killed
        return real(render, items)

    parent = os.getpid()
    monkeypatch.setattr(parallel, "_each", dies_in_child)
    with pytest.raises(forked.ChildError, match="died"):
        _build(articles, tmp_path / "data", 2)
    assert layout.current_build(tmp_path / "data") is None


def test_one_process_where_it_is_asked_for_or_fork_is_missing(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_forking(*args: object, **kwargs: object) -> None:
        raise AssertionError("forked although one process was asked for")

    monkeypatch.setattr(forked.Children, "start", no_forking)
    _build(articles, tmp_path / "one", 1)
    monkeypatch.setattr(forked, "fork_context", lambda: None)
    _build(articles, tmp_path / "nofork", 2)


def test_the_bulk_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    """The commit's cached lengths change nothing: same postings as Whoosh's own writer."""
    from kbportal.content.loader import load_knowledge_base

    kb = load_knowledge_base(REPO_ARTICLES)
    articles = [a for _, a in sorted(kb.articles.items()) if not a.draft]
    search_index.build_index(tmp_path / "bulk", articles, 1)
    plain = tmp_path / "plain"
    plain.mkdir()
    ix = windex.create_in(str(plain), search_index.make_schema(), indexname="MAIN")
    writer = ix.writer(limitmb=256, compound=False)
    for article in articles:
        for doc in search_index.documents(article):
            writer.add_document(**doc)
    writer.commit(optimize=True)
    ix.close()
    ours, theirs = _index(tmp_path / "bulk"), _index(plain)
    for name in [k for k in ours if k.startswith("semantic")]:
        del ours[name]
    assert ours == theirs

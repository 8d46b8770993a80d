"""A worker's threads share one set of caches per opened index, and still agree on results."""

from __future__ import annotations

import threading

from kbportal.search import Searcher
from kbportal.search.types import SearchQuery
from kbportal.viewer import Viewer

from .conftest import MakeSearcher, article

STAFF = Viewer(staff=True)
ARTICLES = [
    article(f"a{i}", f"Article {i}", f"refund invoice payment word{i} common words here")
    for i in range(30)
] + [article("secret", "Secret refund", "internal refund rules", visibility="internal")]
QUERIES = ("refund", "invoice payment", "word7", "common refund", "refnd", "secret")


def _run(searcher, viewer: Viewer) -> list[tuple[int, list[str], str | None]]:
    out = []
    for text in QUERIES:
        res = searcher.search(SearchQuery(text, viewer=viewer))
        out.append((res.total, [h.key for h in res.hits], res.corrected))
    return out


def test_threads_share_caches_and_agree(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    expected = {viewer: _run(s, viewer) for viewer in (Viewer(), STAFF)}
    seen: list[object] = []
    errors: list[BaseException] = []

    def work(viewer: Viewer) -> None:
        try:
            for _ in range(5):
                assert _run(s, viewer) == expected[viewer]
            with s._using() as reader:
                seen.append(reader._shared)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(v,)) for v in (Viewer(), STAFF) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({id(shared) for shared in seen}) == 1
    assert "en/secret" not in [k for _, keys, _ in expected[Viewer()] for k in keys]


def test_a_newly_opened_index_gets_fresh_caches(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    with s._using() as before:
        old = before._shared
    again = Searcher(s.directory)  # a new build's version is opened anew
    try:
        with again._using() as after:
            assert after._shared is not old
    finally:
        again.close()

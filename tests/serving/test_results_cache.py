"""The search process's results cache: keys, its bound in bytes, one build at a time, and
several search processes per node sharing the work by query."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import write_tree

from kbportal import publish
from kbportal.config import load_config
from kbportal.publish import remote_search
from kbportal.search.types import SearchQuery
from kbportal.serving import searchd
from kbportal.serving.results_cache import ENTRY_OVERHEAD, ResultsCache, normalised
from kbportal.serving.server import search_processes
from kbportal.viewer import PUBLIC, Viewer

OLD, NEW = "/data/builds/1/index", "/data/builds/2/index"


def key(text: str, directory: str = OLD, **more: Any) -> Any:
    args = normalised("search", (SearchQuery(text, **more),))
    return ResultsCache.key(directory, "search", args)


def test_the_key_holds_scope_filters_and_page_and_ignores_extra_whitespace() -> None:
    base = key("reset password", viewer=PUBLIC, locale="en")
    assert key("  reset \t password ", viewer=PUBLIC, locale="en") == base
    others = [
        key("reset password", viewer=Viewer(staff=True), locale="en"),
        key("reset password", viewer=Viewer(True, frozenset({"l2"})), locale="en"),
        key("reset password", locale="de"),
        key("reset password", locale="en", category="billing"),
        key("reset password", locale="en", page=2),
        key("reset password", locale="en", per_page=20),
        key("Reset password", locale="en"),
        key("reset password", NEW, locale="en"),
        key("reset password", "/data/builds/1/public", locale="en"),
    ]
    assert len({base, *others}) == len(others) + 1


def test_it_is_bounded_by_bytes_least_recently_used_first_out() -> None:
    cache = ResultsCache(16 * (1000 + ENTRY_OVERHEAD))
    cache.opened(OLD)
    for n in range(16):
        cache.put(key(f"q{n}"), OLD, b"x" * 1000)
    assert cache.get(key("q0")) is not None  # used: kept
    cache.put(key("q16"), OLD, b"x" * 1000)
    assert cache.get(key("q1")) is None and cache.get(key("q0")) is not None
    stats = cache.stats()
    assert stats["entries"] == 16 and stats["bytes"] <= stats["max_bytes"]
    cache.put(key("huge"), OLD, b"x" * (2 * 1000))  # over 1/16 of the bound: not kept
    assert cache.get(key("huge")) is None
    off = ResultsCache(0)
    off.opened(OLD)
    off.put(key("q"), OLD, b"x")
    assert off.get(key("q")) is None


def test_a_new_build_drops_the_others_and_an_old_one_is_not_kept() -> None:
    cache = ResultsCache(1 << 20)
    cache.opened(OLD)
    cache.put(key("q"), OLD, b"old")
    cache.opened(str(Path(OLD).parent / "public"))  # the same build's other index: kept
    assert cache.get(key("q")) == b"old"
    cache.opened(NEW)
    assert cache.get(key("q")) is None and cache.stats()["dropped"] == 1
    cache.put(key("q"), OLD, b"old")  # a worker still on the old build: answered, not kept
    assert cache.get(key("q")) is None
    cache.put(key("q", NEW), NEW, b"new")
    cache.closed(NEW)
    assert cache.get(key("q", NEW)) is None


def test_default_search_processes_follow_the_cores() -> None:
    cores = len(__import__("os").sched_getaffinity(0))
    assert search_processes(3) == 3
    assert search_processes(0) == max(1, min(cores // 2, 4))


@pytest.fixture
def config(tmp_path: Path) -> Iterator[dict[str, Any]]:
    articles = {
        "en/billing/refunds.md": "# Getting a refund\n\nRefunds take five working days.\n",
        "en/billing/invoices.md": "# Invoices\n\nDownload an invoice or a refund receipt.\n",
        "en/account/password.md": "# Reset your password\n\nUse the reset link.\n",
    }
    root = write_tree(tmp_path / "articles", articles)
    found = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    publish.build(found)
    master = subprocess.Popen(["sleep", "120"])  # the stand-in for the gunicorn master
    yield {**found, "master_pid": master.pid}
    remote_search.disable()
    publish.close_all()
    master.kill()
    master.wait()


def test_several_search_processes_answer_as_one_and_cache_by_query(
    config, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Without the sentence encoder (it runs in search processes only), they answer as here.
    monkeypatch.setenv("KBPORTAL_SEARCH_ENCODER", "0")
    kb = publish.kb_for(config)
    queries = [SearchQuery(t, PUBLIC, "en") for t in ("refund", "invoice", "password", "refnud")]
    here = [kb.search(q) for q in queries]
    remote_search.enable(
        config["master_pid"], Path(str(config["DATA_DIR"])), processes=2, cache_mb=4
    )
    remote = remote_search.current()
    assert remote is not None
    assert [kb.search(q) for q in queries] == here  # computed there
    assert [kb.search(q) for q in queries] == here  # answered from the caches
    spaced = kb.search(SearchQuery("  refund ", PUBLIC, "en"))
    assert spaced.query == "  refund " and spaced.hits == here[0].hits
    stats = remote.cache_stats()
    assert len(stats) == 2  # both were started: the queries are shared out by their words
    assert sum(s["hits"] for s in stats) == len(queries) + 1
    assert sum(s["entries"] for s in stats) == len(queries)
    assert {remote._slot(q.text, q.locale) for q in queries} == {0, 1}


def test_answers_that_may_still_change_are_kept_only_briefly(
    config, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from kbportal.search import encoded, searcher
    from kbportal.serving import results_cache

    folder = str(publish.kb_for(config).index_dirs["public"])
    searchers = searchd.Searchers(cache=ResultsCache(1 << 20))
    clock = [1000.0]
    monkeypatch.setattr(results_cache.time, "monotonic", lambda: clock[0])
    args = (SearchQuery("refund", PUBLIC, "en"),)
    try:
        monkeypatch.setattr(searcher, "BUDGET", -1.0)  # every search "ran past" its budget
        first = searchd.answer(searchers, "search", folder, args)
        assert searchd.answer(searchers, "search", folder, args) == first  # a burst: one search
        clock[0] += results_cache.BRIEF
        searchd.answer(searchers, "search", folder, args)  # its time is up: searched again
        assert searchers.cache.stats()["hits"] == 1
        monkeypatch.setattr(searcher, "BUDGET", 60.0)
        monkeypatch.setattr(encoded, "skipped", lambda: True)  # went without the encoder
        clock[0] += results_cache.BRIEF
        searchd.answer(searchers, "search", folder, args)
        clock[0] += results_cache.BRIEF
        searchd.answer(searchers, "search", folder, args)
        assert searchers.cache.stats()["hits"] == 1
        monkeypatch.setattr(encoded, "skipped", lambda: False)  # the whole ranking: kept
        clock[0] += results_cache.BRIEF
        searchd.answer(searchers, "search", folder, args)
        clock[0] += 3600
        searchd.answer(searchers, "search", folder, args)
        assert searchers.cache.stats()["hits"] == 2
        failed = searchd.answer(searchers, "nope", folder, args)  # errors are never kept
        assert searchd.answer(searchers, "nope", folder, args) == failed
        assert searchers.cache.stats()["entries"] == 1
    finally:
        for opened in searchers._open.values():
            opened.close()


def test_the_encoder_says_when_a_search_went_without_it() -> None:
    import numpy as np

    from kbportal.search import encoded

    articles = encoded.EncodedArticles(Path("/nowhere"), None, ["a", "b"])  # type: ignore[arg-type]
    encoded.begin()
    articles.rerank("refund", [0, 1], [2.0, 1.0], ["a", "b"])  # no query vector, no vectors
    assert encoded.skipped()
    encoded.begin()
    assert not encoded.skipped()
    articles.rerank("refund", [0], [2.0], ["a"])  # nothing to re-order: nothing went without
    assert not encoded.skipped()
    assert np is not None


def test_under_serve_cached_answers_are_still_counted_as_searches(tmp_path: Path) -> None:
    from server_process import serve
    from sqlalchemy import func, select

    from kbportal.analytics.models import SearchRow
    from kbportal.db import make_engine

    db_url = f"sqlite:///{tmp_path / 'analytics.sqlite'}"
    settings = {"KBPORTAL_DATABASE_URL": db_url, "KBPORTAL_SEARCH_PROCESSES": "2"}
    with serve(tmp_path, workers=2, **settings) as served:
        for _ in range(5):
            status, body = served.get("/en/search?q=refund")
            assert status == 200 and b"billing/refunds" in body
        assert len(re.findall(r"search process (\d+) ready", served.log.read_text())) <= 2
        engine = make_engine(db_url)
        try:
            deadline = time.monotonic() + 30
            while True:
                with engine.connect() as connection:
                    searches = connection.scalar(select(func.count(SearchRow.id)))
                if searches >= 5 or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
        finally:
            engine.dispose()
    assert searches == 5  # four of them answered from the cache: each still a search made

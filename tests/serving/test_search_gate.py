"""Expensive searches take at most a few threads: pages keep serving, a search over the limit waits
and then gets 503, never a 500."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from kbportal.publish import gate
from kbportal.search.searcher import Searcher


def test_searches_beyond_the_slots_are_shed_while_pages_serve(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert client.get("/api/v1/search?q=refund").status_code == 200  # built and warm
    monkeypatch.setattr(gate, "_gate", gate.SearchGate(slots=1, wait=0.2))
    started, release = threading.Event(), threading.Event()
    real_search = Searcher.search

    def slow_search(self: Searcher, query: object) -> object:
        started.set()
        release.wait(30)  # an expensive query, running
        return real_search(self, query)  # type: ignore[arg-type]

    monkeypatch.setattr(Searcher, "search", slow_search)
    statuses: list[int] = []
    expensive = threading.Thread(
        target=lambda: statuses.append(app.test_client().get("/en/search?q=refund").status_code)
    )
    expensive.start()
    try:
        assert started.wait(30)
        busy = client.get("/api/v1/search?q=refund")
        assert busy.status_code == 503
        assert busy.get_json() == {"error": "search is busy; try again in a moment"}
        assert busy.headers["Retry-After"] == "2"
        assert client.get("/en/search?q=refund").status_code == 503
        for page in ("/en/", "/en/articles/billing/refunds", "/sitemap.xml"):
            assert client.get(page).status_code == 200, page  # pages never wait for searches
    finally:
        release.set()
        expensive.join(30)
    assert statuses == [200]  # the running search itself finished normally
    assert client.get("/api/v1/search?q=refund").status_code == 200

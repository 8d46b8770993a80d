"""A first start with nothing to publish answers 503 "not published yet", never 500."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest
from e2e_portal import Portal

from kbportal import publish
from kbportal.publish import accessor

GOOD = {"en/start/welcome.md": "# Welcome\n\nCreate your workspace.\n"}
NOTHING_PUBLISHABLE = {
    "empty folder": {},
    "only drafts": {"en/start/soon.md": "---\ntitle: Soon\ndraft: true\n---\nSoon.\n"},
    "missing folder": None,
}
PAGES = ["/en/", "/ru/", "/en/search?q=refund", "/en/articles/start/welcome", "/en/categories/x"]
FEEDS = ["/sitemap.xml", "/en/feed.xml", "/media/img/logo.png"]
API = ["/api/v1/search?q=refund", "/api/v1/articles/start/welcome", "/api/v1/autocomplete?q=re"]


@pytest.mark.parametrize("case", list(NOTHING_PUBLISHABLE))
def test_every_path_says_not_published_yet(
    portal: Callable[..., Portal], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = portal(NOTHING_PUBLISHABLE[case]).app().test_client()
    for url in PAGES + FEEDS:
        response = client.get(url.replace("/en/", "/ru/"), headers={"Accept-Language": "ru"})
        assert response.status_code == 503, url
        assert response.headers["Retry-After"]
        assert response.headers["Cache-Control"] == "no-store"  # a shared cache must not keep it
        if url in PAGES:
            assert "База знаний ещё не опубликована" in response.text, url
    for url in API:
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.json == {"error": "the knowledge base has not been published yet"}
    assert "503 until a build succeeds" in caplog.text  # the operator learns why, from the log


def test_unknown_pages_stay_helpful_404s(portal: Callable[..., Portal]) -> None:
    client = portal({}).app().test_client()
    response = client.get("/en/no/such/page")
    assert response.status_code == 404
    assert 'type="search"' in response.text


def test_a_failed_first_build_is_not_retried_on_every_request(
    portal: Callable[..., Portal], caplog: pytest.LogCaptureFixture
) -> None:
    client = portal({}).app().test_client()
    for _ in range(5):
        assert client.get("/en/").status_code == 503
    assert caplog.text.count("503 until a build succeeds") == 1


def test_the_portal_serves_once_articles_arrive(
    portal: Callable[..., Portal], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = portal({})
    client = one.app().test_client()
    assert client.get("/en/").status_code == 503
    monkeypatch.setattr(accessor, "RETRY_FAILED_AFTER", 0.0)
    for relpath, text in GOOD.items():
        (one.articles / relpath).parent.mkdir(parents=True)
        (one.articles / relpath).write_text(text, encoding="utf-8")
    assert client.get("/en/articles/start/welcome").status_code == 200


def test_cli_search_without_a_build_is_a_clear_error(portal: Callable[..., Portal]) -> None:
    result = portal({}).run("search", "refund", "--json")
    assert result.exit_code == 1
    assert "Error: refusing to publish an empty knowledge base" in result.output


@pytest.mark.parametrize("damage", ["index lost", "store garbage"])
def test_an_unreadable_build_is_rebuilt_not_a_500_forever(
    portal: Callable[..., Portal], damage: str
) -> None:
    one = portal(GOOD)
    client = one.app().test_client()
    assert client.get("/en/").status_code == 200
    publish.close_all()  # as after a restart: the next request opens the build again
    build = one.root / "data" / os.readlink(one.root / "data" / "current")
    if damage == "index lost":
        shutil.rmtree(build / "index")
    else:
        (build / "content.sqlite").write_bytes(b"not a database" * 100)
    assert client.get("/en/articles/start/welcome").status_code == 200
    assert client.get("/api/v1/search?q=workspace").json["total"] == 1


def test_the_message_says_what_is_served(portal: Callable[..., Portal]) -> None:
    one = portal({})
    assert "nothing is served yet" in one.run("index").output
    (one.articles / "en").mkdir()
    (one.articles / "en" / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    assert one.run("index").exit_code == 0
    (one.articles / "en" / "a.md").unlink()
    assert "the old version keeps serving" in one.run("index").output


def test_a_build_from_index_or_sync_is_served_at_once(portal: Callable[..., Portal]) -> None:
    one = portal({})
    client = one.app().test_client()
    assert client.get("/en/").status_code == 503
    (one.articles / "en").mkdir()
    (one.articles / "en" / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    assert one.run("index").exit_code == 0  # what kbportal sync does too: a new `current`
    assert client.get("/en/articles/a").status_code == 200  # no wait for the retry interval

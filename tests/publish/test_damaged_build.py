"""A build damaged under a running worker: an earlier one stands in, a rebuild follows, no 500s."""

from __future__ import annotations

import gc
import glob
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import close_app, make_app

from kbportal import publish
from kbportal.publish import layout
from kbportal.publish.accessor import config_of

# Whoosh's readers of a build whose files were deleted or cut leave their column files to the
# garbage collector: collected in the fixture's teardown, so the warnings stay in this module,
# where the damage is made on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ARTICLES = {
    f"en/topic{n % 7}/article-{n}.md": (
        f"# Article number {n}\n\nRefunds and invoices, case {n}. " + "Filler words. " * 2500 + "\n"
    )
    for n in range(60)
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The real app serving its second build (the first is there to stand in)."""
    application = make_app(tmp_path, ARTICLES)
    publish.build(config_of(application))
    publish.build(config_of(application))
    yield application
    close_app(application)
    publish.close_all()
    gc.collect()


def in_new_thread(app: Flask, path: str) -> int:
    """GET from a thread of its own: like a worker thread opening its own index reader."""
    statuses: list[int] = []
    thread = threading.Thread(
        target=lambda: statuses.append(app.test_client().get(path).status_code)
    )
    thread.start()
    thread.join(60)
    return statuses[0]


def current(app: Flask) -> str | None:
    return layout.current_build_id(Path(app.config["KBPORTAL_DATA_DIR"]))


def wait_for_rebuild(app: Flask, damaged: str | None) -> None:
    deadline = time.monotonic() + 60
    while current(app) == damaged and time.monotonic() < deadline:
        time.sleep(0.1)
    assert current(app) != damaged


def damage_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "is damaged" in r.getMessage()]


def test_deleted_index_files_do_not_make_search_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    assert client.get("/en/search?q=refunds").status_code == 200
    damaged = current(app)
    live = Path(app.config["KBPORTAL_DATA_DIR"]) / "current"
    for name in glob.glob(str(live / "**" / "*.*"), recursive=True):
        if name.endswith((".trm", ".pst", ".toc", ".col")):
            os.remove(name)
    caplog.set_level(logging.INFO)
    for path in ("/en/search?q=refunds", "/api/v1/search?q=invoices", "/en/search?q=case"):
        assert in_new_thread(app, path) == 200, path
    response = app.test_client().get("/api/v1/search?q=refunds")
    assert response.status_code == 200 and response.get_json()["total"] > 0
    assert len(damage_messages(caplog)) == 1  # logged once, not per request
    wait_for_rebuild(app, damaged)
    assert in_new_thread(app, "/en/search?q=refunds") == 200


def test_a_truncated_content_store_does_not_make_pages_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    assert client.get("/en/articles/topic0/article-0").status_code == 200
    damaged = current(app)
    build = Path(app.config["KBPORTAL_DATA_DIR"]) / "current"
    for store in (build / "content.sqlite", build / "bodies.dat"):  # the rows and the bodies
        with open(store, "r+b") as handle:
            handle.truncate(store.stat().st_size // 3)
    caplog.set_level(logging.INFO)
    for n in range(59, 0, -3):
        response = client.get(f"/en/articles/topic{n % 7}/article-{n}")
        assert response.status_code == 200, n
        assert f"Article number {n}" in response.get_data(as_text=True)
    assert len(damage_messages(caplog)) == 1
    wait_for_rebuild(app, damaged)
    assert client.get("/en/articles/topic3/article-3").status_code == 200

"""`kbportal serve --reload`: edits under the articles folder are republished as they are saved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchfiles import Change

from kbportal import publish
from kbportal.config import load_config
from kbportal.preview import changes_of, republish, watch_and_republish
from kbportal.viewer import PUBLIC

FILES = {"en/start/hello.md": "# Hello\n\nFirst words.\n"}


@pytest.fixture
def config(make_articles: Callable[..., Path], tmp_path: Path) -> Iterator[dict]:
    articles = make_articles(FILES)
    settings = load_config({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "d")}, {})
    publish.build(settings)
    yield settings
    publish.close_all()


def _title(config: dict, slug: str) -> str | None:
    article = publish.kb_for(config).article("en", slug, PUBLIC)
    return article.title if article else None


def test_changes_keep_articles_and_drop_editor_noise(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    (root / "en").mkdir(parents=True)
    events = [
        (Change.added, str(root / "en/new.md")),
        (Change.modified, str(root / "en/.new.md.swp")),
        (Change.modified, str(root / ".git/index")),
        (Change.deleted, str(root / "en/old.md")),
        (Change.modified, str(root / "en/edited.md~")),
        (Change.added, str(root / "en")),  # a folder: its files come as their own events
        (Change.modified, str(tmp_path / "elsewhere.md")),
    ]
    assert changes_of(root, events) == (["en/new.md"], ["en/old.md"])


def test_republish_serves_the_edit_and_survives_a_broken_one(config: dict) -> None:
    articles = Path(config["ARTICLES_DIR"])
    (articles / "en/start/hello.md").write_text("# Hello again\n\nEdited.\n", encoding="utf-8")
    report = republish(config, ["en/start/hello.md"], [])
    assert report is not None and report.changed == ["en/start/hello"]
    assert _title(config, "start/hello") == "Hello again"
    (articles / "en/start/hello.md").unlink()
    assert republish(config, [], ["en/start/hello.md"]) is None  # would empty the KB: refused
    assert _title(config, "start/hello") == "Hello again"  # the last good version still serves


def test_the_watcher_republishes_a_saved_file(config: dict) -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_republish, args=(config, stop), daemon=True)
    watcher.start()
    try:
        time.sleep(0.5)  # let the watch start before the edit
        page = Path(config["ARTICLES_DIR"]) / "en/start/second.md"
        page.write_text("# Second page\n\nWritten while serving.\n", encoding="utf-8")
        deadline = time.monotonic() + 30  # a wait for the event, not a timing assertion
        while _title(config, "start/second") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _title(config, "start/second") == "Second page"
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()

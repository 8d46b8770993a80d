"""Several nodes on one database: a publish on one reaches the others; keys must agree."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from kbportal import publish
from kbportal.cluster import records
from kbportal.cluster import service as cluster
from kbportal.cluster.node import database
from kbportal.search.types import SearchQuery
from kbportal.sync.follower import Follower, serving
from kbportal.sync.service import _announce, sync
from kbportal.viewer import PUBLIC


def node(repos: Any, tmp_path: Path, name: str, db_url: str) -> dict[str, object]:
    """A second (third...) node: its own working copy and data folder, the shared database."""
    articles = tmp_path / f"{name}-articles"
    if not articles.exists():
        clone = ["git", "clone", "-q", "-b", "main", str(repos.origin), str(articles)]
        subprocess.run(clone, check=True, capture_output=True)
    config = repos.config(DATABASE_URL=db_url, SECRET_KEY="shared", NODE_NAME=name)
    return {**config, "ARTICLES_DIR": articles, "DATA_DIR": tmp_path / f"{name}-data"}


def finds(config: dict[str, object], word: str) -> bool:
    kb = publish.kb_for(config)
    return bool(kb.search(SearchQuery(word, PUBLIC, "en")).hits)


@pytest.fixture(autouse=True)
def _close_builds() -> object:
    yield
    publish.close_all()


def test_a_publish_on_one_node_reaches_another_that_catches_up(
    repos: Any, tmp_path: Path, db_url: str
) -> None:
    repos.editor.write({"en/start.md": "# Start\n\nFirst aardvark words.\n"})
    first = repos.editor.push("first")
    a, b = node(repos, tmp_path, "a", db_url), node(repos, tmp_path, "b", db_url)
    assert sync(a).status == "published"
    newest = cluster.latest(a)
    assert newest is not None and (newest.commit, newest.node) == (first, "a")

    follower = Follower(b)
    report = follower.check()
    assert report is not None and report.status == "published"
    assert serving(b)[0] == first and finds(b, "aardvark")
    assert follower.check() is None  # nothing new: no sync at all

    # b is down while two pushes are published on a; when it starts, it catches up.
    repos.editor.write({"en/second.md": "# Second\n\nBuffalo words.\n"})
    repos.editor.push("second")
    sync(a)
    repos.editor.write({"en/third.md": "# Third\n\nCapybara words.\n"})
    third = repos.editor.push("third")
    sync(a)
    Follower(b).check()
    assert serving(b)[0] == third and finds(b, "capybara") and finds(b, "buffalo")
    shown = {s.name: s for s in cluster.statuses(b)}
    assert shown["b"].commit == third and shown["b"].live


def test_an_older_commit_is_never_announced_over_a_newer_one(
    repos: Any, tmp_path: Path, db_url: str
) -> None:
    repos.editor.write({"en/start.md": "# Start\n\nOne.\n"})
    old = repos.editor.push("old")
    repos.editor.write({"en/start.md": "# Start\n\nTwo.\n"})
    new = repos.editor.push("new")
    a = node(repos, tmp_path, "a", db_url)
    sync(a)
    assert cluster.latest(a).commit == new  # type: ignore[union-attr]
    _announce(a, old)  # a slow node that fetched before the last push finishes late
    assert cluster.latest(a).commit == new  # type: ignore[union-attr]


def test_a_node_with_another_secret_key_is_refused(tmp_path: Path, db_url: str) -> None:
    config = {"DATABASE_URL": db_url}
    with database(config).session() as session:
        records.started(session, "a", records.key_check("shared"))
        records.started(session, "b", records.key_check("shared"))
        with pytest.raises(records.ClusterRefused, match="KBPORTAL_SECRET_KEY"):
            records.started(session, "c", records.key_check("random-in-its-data-folder"))
        records.started(session, "a", records.key_check("shared"))  # a restart is fine
    assert records.key_check("shared") != records.key_check("Shared")
    assert "shared" not in records.key_check("shared")

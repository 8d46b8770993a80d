"""Shared fixtures: real article trees, a real database per backend; the slow-test switch."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import Files, write_tree
from throwaway_db import BACKENDS, postgres_url, temporary_database


@pytest.fixture
def make_articles(tmp_path: Path) -> Callable[..., Path]:
    """A function that writes {relpath: text} into a fresh articles folder and returns it."""

    def make(files: Files, name: str = "articles") -> Path:
        return write_tree(tmp_path / name, files)

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked slow unless KBPORTAL_SLOW_TESTS=1."""
    if os.environ.get("KBPORTAL_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(
        reason="slow; set KBPORTAL_SLOW_TESTS=1 to run (the tldr ones also need the corpus)"
    )
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    """Register the slow marker (so strict marker checks and -W error accept it)."""
    config.addinivalue_line("markers", "slow: scale tests, run only with KBPORTAL_SLOW_TESTS=1")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite always, PostgreSQL when KBPORTAL_TEST_POSTGRES_URL is set."""
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip("KBPORTAL_TEST_POSTGRES_URL is not set (see scripts/test-postgres.sh)")
    with temporary_database(request.param, tmp_path) as url:
        yield url

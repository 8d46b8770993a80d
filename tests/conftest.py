"""Shared fixtures: real article trees in a temporary folder; the slow-test switch."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from support import Files, write_tree


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
    skip = pytest.mark.skip(reason="slow; set KBPORTAL_SLOW_TESTS=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    """Register the slow marker (so strict marker checks and -W error accept it)."""
    config.addinivalue_line("markers", "slow: scale tests, run only with KBPORTAL_SLOW_TESTS=1")

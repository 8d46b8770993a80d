"""Shared test helpers: build real article trees in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ArticleFiles = Mapping[str, str | bytes]


def write_articles(root: Path, files: ArticleFiles) -> Path:
    """Write {relpath: text or bytes} under root (creating folders) and return root."""
    root.mkdir(parents=True, exist_ok=True)
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_articles(tmp_path: Path) -> Callable[..., Path]:
    """A function that writes {relpath: text} into a fresh articles folder and returns it."""

    def make(files: ArticleFiles, name: str = "articles") -> Path:
        return write_articles(tmp_path / name, files)

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

"""End-to-end fixtures: portals over real article trees, closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_portal import Portal
from support import Files, write_tree


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Callable[..., Portal]]:
    """Make a portal over {relpath: content} files (None: no articles folder at all)."""
    made: list[Portal] = []

    def make(files: Files | None, **overrides: object) -> Portal:
        one = Portal(tmp_path / f"p{len(made)}", **overrides)
        if files is not None:
            write_tree(one.articles, files)
        made.append(one)
        return one

    yield make
    for one in made:
        one.close()

"""Fixtures for search tests: Article values and real Whoosh indexes in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from kbportal.content.models import Article, Section
from kbportal.search import Searcher, build_index


def article(
    slug: str,
    title: str,
    *sections: tuple[str, str, str] | str,
    locale: str = "en",
    category: str = "",
    **kwargs: object,
) -> Article:
    """An Article; each section is (anchor, heading, text), or a bare string for the intro."""
    secs = []
    for sec in sections:
        if isinstance(sec, str):
            secs.append(Section(anchor="", title=title, text=sec))
        else:
            anchor, heading, text = sec
            secs.append(Section(anchor=anchor, title=heading, text=text, level=2))
    return Article(
        locale=locale,
        slug=slug,
        path=f"{slug}.md",
        title=title,
        html="",
        category=category,
        sections=tuple(secs),
        **kwargs,  # type: ignore[arg-type]
    )


MakeSearcher = Callable[[Iterable[Article]], Searcher]


@pytest.fixture
def make_searcher(tmp_path: Path) -> Iterator[MakeSearcher]:
    """Build a real index from articles in tmp_path and open a Searcher on it."""
    opened: list[Searcher] = []

    def make(articles: Iterable[Article]) -> Searcher:
        directory = tmp_path / f"index{len(opened)}"
        build_index(directory, articles)
        searcher = Searcher(directory)
        opened.append(searcher)
        return searcher

    yield make
    for searcher in opened:
        searcher.close()


@pytest.fixture
def always_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every first pass pruned, however few documents a query matches (a small test index)."""
    from kbportal.search import pruning

    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 0)
    monkeypatch.setattr(pruning, "MAX_CANDIDATES", 1.0)

"""Any text and any paging numbers are accepted; nothing raises."""

from __future__ import annotations

import pytest

from kbportal.search import Searcher
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC

from .conftest import MakeSearcher, article

HOSTILE = [
    "",
    "   ",
    '"unclosed quote',
    "title:refund",
    "refund AND NOT OR",
    "*",
    "ref*",
    "((([[{{",
    "refund~2^10",
    "🙂🔥 refund 💳",
    "\x00\x01\x02",
    "<script>alert(1)</script>",
    "a" * 5000,
    "refund " * 1000,
    "-refund +card",
    "\\",
    "ёЁ «кавычки» — тире",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b\ufeff",
]


@pytest.fixture
def searcher(make_searcher: MakeSearcher) -> Searcher:
    return make_searcher(
        [
            article("refunds", "Refunds", "We refund card payments."),
            article("script", "Scripts", "Never run <script> tags.", locale="ru"),
        ]
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_is_accepted(searcher: Searcher, text: str) -> None:
    results = searcher.search(SearchQuery(text))
    assert results.query == text
    # At most the two articles there are; every hit one of them.
    assert results.total <= 2 and {h.slug for h in results.hits} <= {"refunds", "script"}
    assert isinstance(searcher.autocomplete(text, PUBLIC), list)


def test_operators_are_plain_words(searcher: Searcher) -> None:
    assert [h.slug for h in searcher.search(SearchQuery("title:refund AND")).hits] == ["refunds"]
    assert searcher.search(SearchQuery("refund " * 1000)).total == 1


@pytest.mark.parametrize(("page", "per_page"), [(0, 0), (-5, -1), (10**9, 10**9), (1, 10**6)])
def test_any_paging_is_clamped(searcher: Searcher, page: int, per_page: int) -> None:
    results = searcher.search(SearchQuery("refund", page=page, per_page=per_page))
    assert results.total == 1
    assert 1 <= results.per_page <= 100 and results.page >= 1


@pytest.mark.parametrize(
    ("page", "per_page"), [("2", "x"), (None, None), (float("inf"), 1.5), ("", [])]
)
def test_unreadable_paging_falls_back(searcher: Searcher, page: object, per_page: object) -> None:
    results = searcher.search(SearchQuery("refund", page=page, per_page=per_page))  # type: ignore[arg-type]
    assert results.total == 1 and results.per_page >= 1


def test_text_that_is_not_a_string(searcher: Searcher) -> None:
    assert searcher.search(SearchQuery(None)).total == 0  # type: ignore[arg-type]
    assert searcher.search(SearchQuery(12345)).total == 0  # type: ignore[arg-type]

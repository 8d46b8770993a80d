"""A search past its time budget drops its optional stages and still answers."""

from __future__ import annotations

import pytest

from kbportal.search import searcher as searcher_module
from kbportal.search.types import SearchQuery

from .conftest import MakeSearcher, article


def test_over_budget_a_search_skips_correction_and_reranking(
    make_searcher: MakeSearcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make_searcher(
        [
            article("password", "Reset your password", "Use the link in the email."),
            article("invoices", "Download invoices", "Invoices are PDF files."),
        ]
    )
    assert s.search(SearchQuery("resset pasword")).corrected == "reset password"
    reranked: list[object] = []
    real_rerank = searcher_module.semantic.rerank
    monkeypatch.setattr(
        searcher_module.semantic,
        "rerank",
        lambda *args: reranked.append(args) or real_rerank(*args),
    )
    assert s.search(SearchQuery("download invoices")).hits[0].key == "en/invoices"
    assert reranked  # within budget: re-ranked by meaning
    reranked.clear()
    monkeypatch.setattr(searcher_module, "BUDGET", -1.0)  # every search is over budget at once
    over = s.search(SearchQuery("download invoices"))
    assert over.hits[0].key == "en/invoices"  # still answered, from the first pass
    assert not reranked
    assert s.search(SearchQuery("resset pasword")).corrected is None  # no second search

"""Internal articles never reach a reader who may not see them, by any search path."""

from __future__ import annotations

import pytest

from kbportal.search import Searcher
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

STAFF = Viewer(staff=True)
BILLING_AGENT = Viewer(staff=True, groups=frozenset({"billing"}))
SALES_AGENT = Viewer(staff=True, groups=frozenset({"sales"}))


@pytest.fixture
def searcher(make_searcher: MakeSearcher) -> Searcher:
    return make_searcher(
        [
            article("refunds", "Refunds", "We refund payments within 14 days.", category="billing"),
            article("cards", "Cards", "Card payments and refund rules.", category="billing"),
            article(
                "escalation",
                "Zanzibar escalation",
                "Refundable exceptions: call the zanzibar desk about the refund.",
                category="billing",
                visibility="internal",
            ),
            article(
                "chargebacks",
                "Chargeback playbook",
                "Quokka refund steps for disputed payments.",
                category="billing/secret",
                visibility="internal",
                audience=("billing",),
            ),
            article("draft", "Draft refund", "Unreleased refund text.", draft=True),
        ]
    )


def test_public_search_counts_and_pages_only_public(searcher: Searcher) -> None:
    results = searcher.search(SearchQuery("refund"))
    assert results.total == 2
    assert sorted(h.slug for h in results.hits) == ["cards", "refunds"]
    page2 = searcher.search(SearchQuery("refund", per_page=1, page=2))
    assert page2.total == 2 and len(page2.hits) == 1
    assert searcher.search(SearchQuery("refund", page=3, per_page=1)).hits == []


def test_internal_only_words_find_nothing_for_the_public(searcher: Searcher) -> None:
    for text in ("zanzibar", "quokka", "escalation", "chargeback playbook", "unreleased"):
        results = searcher.search(SearchQuery(text))
        assert (results.total, results.hits) == (0, []), text


def test_snippets_of_public_hits_hold_no_internal_text(searcher: Searcher) -> None:
    for hit in searcher.search(SearchQuery("refund zanzibar quokka")).hits:
        assert "anzibar" not in hit.snippet and "uokka" not in hit.snippet


def test_staff_and_audiences(searcher: Searcher) -> None:
    assert searcher.search(SearchQuery("zanzibar", viewer=STAFF)).total == 1
    assert searcher.search(SearchQuery("quokka", viewer=STAFF)).total == 0
    assert searcher.search(SearchQuery("quokka", viewer=SALES_AGENT)).total == 0
    hit = searcher.search(SearchQuery("quokka", viewer=BILLING_AGENT)).hits[0]
    assert (hit.slug, hit.visibility) == ("chargebacks", "internal")
    assert searcher.search(SearchQuery("refund", viewer=BILLING_AGENT)).total == 4


def test_drafts_are_never_indexed(searcher: Searcher) -> None:
    assert searcher.search(SearchQuery("unreleased", viewer=BILLING_AGENT)).total == 0


def test_category_filter_keeps_visibility(searcher: Searcher) -> None:
    assert searcher.search(SearchQuery("refund", category="billing/secret")).total == 0
    q = SearchQuery("refund", category="billing/secret", viewer=BILLING_AGENT)
    assert searcher.search(q).total == 1


def test_spelling_never_offers_internal_words(searcher: Searcher) -> None:
    public = searcher.search(SearchQuery("zanzibr"))
    assert public.corrected is None and public.total == 0
    assert searcher.search(SearchQuery("refundabel")).corrected is None
    assert searcher.search(SearchQuery("zanzibr", viewer=STAFF)).corrected == "zanzibar"
    assert searcher.search(SearchQuery("quoka", viewer=STAFF)).corrected is None
    assert searcher.search(SearchQuery("quoka", viewer=BILLING_AGENT)).corrected == "quokka"


def test_autocomplete_never_offers_internal_titles(searcher: Searcher) -> None:
    assert searcher.autocomplete("zan", PUBLIC) == []
    assert searcher.autocomplete("char", STAFF) == []
    assert [s.slug for s in searcher.autocomplete("zan", STAFF)] == ["escalation"]
    assert [s.slug for s in searcher.autocomplete("char", BILLING_AGENT)] == ["chargebacks"]
    assert searcher.autocomplete("draft", BILLING_AGENT) == []


def test_a_word_only_hidden_articles_hold_acts_like_an_unknown_word(
    make_searcher: MakeSearcher,
) -> None:
    s = make_searcher(
        [
            article("pay", "Payments", "Every payment is confirmed."),
            *(article(f"mail{i}", f"Mail {i}", "email settings") for i in range(3)),
            article("secret", "Paymint desk", "The paymint procedure.", visibility="internal"),
        ]
    )
    hidden = s.search(SearchQuery("paymint email"))  # held only by the internal article
    unknown = s.search(SearchQuery("paymunt email"))  # held by nobody
    assert hidden.total == unknown.total == 4
    assert [h.key for h in hidden.hits] == [h.key for h in unknown.hits]
    assert hidden.corrected == unknown.corrected
    staff = s.search(SearchQuery("paymint", viewer=STAFF))
    assert [h.slug for h in staff.hits] == ["secret"]

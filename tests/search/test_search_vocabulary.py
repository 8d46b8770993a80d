"""The in-memory spelling vocabulary finds what Whoosh's lexicon automaton finds."""

from __future__ import annotations

from kbportal.search.spelling import FIELD
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

STAFF = Viewer(staff=True)
WORDS = (
    "refund refunds refunded invoice invoices billing payment paymint password passwords "
    "reset restore remove removal repository commit comit combine git gist get getting "
    "подписка подписку подписки оплата"
)


def test_near_words_match_whoosh_terms_within(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("a", "Words", WORDS), article("b", "More", "zebra zebras")])
    typed = ("refnd", "invoise", "pasword", "comit", "gti", "getin", "подпеску", "zebar", "x")
    with s._using() as reader:
        lexicon = reader.searcher.reader()
        for word in typed:
            for maxdist in (1, 2):
                expected = set(lexicon.terms_within(FIELD, word, maxdist, prefix=1))
                assert set(reader.vocabulary.within(reader, word, maxdist)) == expected, word


def test_threads_of_one_index_share_one_vocabulary(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("a", "Words", WORDS)])
    with s._using() as first:
        assert first.vocabulary is s._vocabulary
    s.refresh()
    with s._using() as second:
        assert second.vocabulary is s._vocabulary and second.vocabulary is not first.vocabulary


def test_corrections_still_come_from_visible_words_only(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("pay", "Payments", "Every payment is confirmed."),
            article("secret", "Zanzibar desk", "The zanzibar procedure.", visibility="internal"),
        ]
    )
    assert s.search(SearchQuery("zanzibr", viewer=PUBLIC)).corrected is None
    assert s.search(SearchQuery("zanzibr", viewer=STAFF)).corrected == "zanzibar"
    assert s.search(SearchQuery("paymnt", viewer=PUBLIC)).corrected == "payment"

"""The in-memory spelling vocabulary finds what Whoosh's lexicon automaton finds."""

from __future__ import annotations

import random
import threading

from rapidfuzz.distance import OSA

from kbportal.search.lexicon import FIELD
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
                assert set(reader.vocabulary.within(lexicon, word, maxdist)) == expected, word


def test_threads_of_one_index_share_one_vocabulary(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("a", "Words", WORDS)])
    seen = []

    def read() -> None:
        with s._using() as reader:
            seen.append(reader.vocabulary)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 3 and all(v is s._vocabulary for v in seen)
    # Another index (a new build's Searcher) has its own.
    other = make_searcher([article("b", "Words", WORDS)])
    with other._using() as reader:
        assert reader.vocabulary is not s._vocabulary


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


def _reference_distance(a: str, b: str) -> int:
    """The hand-written edit distance spelling used before rapidfuzz's OSA (kept as a reference)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def test_rapidfuzz_osa_is_the_distance_spelling_always_used() -> None:
    rng = random.Random(11)
    words = WORDS.split() + ["ab", "ba", "abc", "acb", "ca", "abcd", "badc", ""]
    pairs = [(a, b) for a in words for b in words]
    pairs += [
        ("".join(rng.choices("abcд", k=rng.randint(0, 7))), "".join(rng.choices("abcд", k=6)))
        for _ in range(2000)
    ]
    for a, b in pairs:
        assert OSA.distance(a, b) == _reference_distance(a, b), (a, b)

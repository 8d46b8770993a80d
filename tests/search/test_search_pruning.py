"""The pruned first pass is exact for its k best documents, on a real index with updates."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from kbportal.search import Searcher, build_index, postings, pruning, query_builder, update_index
from kbportal.search.reader import IndexReader
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import article

WORDS = [
    "printer",
    "paper",
    "jam",
    "toner",
    "ink",
    "refund",
    "invoice",
    "card",
    "payment",
    "order",
    "delivery",
    "account",
    "password",
    "reset",
    "email",
    "login",
    "network",
    "cable",
    "router",
    "update",
    "install",
    "backup",
    "restore",
    "sync",
    "file",
    "folder",
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def _articles(count: int, seed: int = 5) -> list:
    rng = random.Random(seed)
    return [
        article(
            f"a{i}",
            f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}",
            _text(rng, rng.randint(3, 40)),
            *[
                (f"s{j}", f"{rng.choice(WORDS).title()} {j}", _text(rng, rng.randint(0, 80)))
                for j in range(rng.randint(0, 3))
            ],
            category=rng.choice(["billing", "devices", "devices/printers"]),
            visibility="internal" if i % 9 == 0 else "public",
            tags=(rng.choice(WORDS),),
        )
        for i in range(count)
    ]


QUERIES = (
    "printer paper",
    "paper jam toner ink",
    "refund invoice card payment order",
    "reset password email login",
    "network",
    "backup restore sync file folder update install",
    "Printer paper 3",  # an exact title: the title_key bonus term
)


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    arts = _articles(240)
    build_index(tmp_path / "ix", arts[:200])
    # Updates add segments and delete documents from older ones: the lists skip them.
    update_index(tmp_path / "ix", arts[200:] + _articles(20, seed=9)[:10], ["en/a7"])
    s = Searcher(tmp_path / "ix")
    yield s
    s.close()


def _top(found, k: int) -> list[tuple[int, float]]:
    docs = sorted(found.top(k))
    return list(zip(docs, found.scores[np.searchsorted(found.docs, docs)].tolist(), strict=True))


def test_pruned_top_k_equals_the_full_pass(searcher: Searcher, always_pruned: None) -> None:
    pruned = 0
    with searcher._using() as reader:
        assert len(reader.searcher.leaf_searchers()) > 1
        for viewer in (PUBLIC, Viewer(staff=True)):
            for category in (None, "devices"):
                scope = reader.scope(viewer, "en", category)
                for text in QUERIES:
                    built = query_builder.build_query(text)
                    assert built is not None
                    full = reader.first_pass(built, scope)
                    for k in (1, 3, 10, 30):
                        found = reader.first_pass(built, scope, k)
                        if found.exact_for is not None:
                            pruned += 1
                            assert found.estimate and set(found.docs.tolist()) <= scope
                        assert _top(found, k) == _top(full, k), (text, k)
                        assert found.articles() <= full.articles()
    assert pruned > 50  # the comparison is of pruned passes, not of the fallback


def test_search_pages_are_the_same_pruned_or_not(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pages(prune_above: int) -> list[list[tuple[str, str, float, float]]]:
        monkeypatch.setattr(pruning, "PRUNE_ABOVE", prune_above)
        monkeypatch.setattr(pruning, "MAX_CANDIDATES", 1.0)
        out = []
        for text in QUERIES:
            for page in (1, 2, 5):  # page 5 wants more than the pruned pass is exact for
                r = searcher.search(SearchQuery(text, PUBLIC, page=page, per_page=10))
                out.append([(h.key, h.anchor, h.score, h.confidence) for h in r.hits])
        return out

    assert pages(0) == pages(10**9)


def test_a_pruned_total_is_flagged_as_an_estimate(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 10**9)
    exact = searcher.search(SearchQuery("printer paper", PUBLIC))
    assert not exact.total_is_estimate
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 0)
    monkeypatch.setattr(pruning, "MAX_CANDIDATES", 1.0)
    about = searcher.search(SearchQuery("printer paper", PUBLIC))
    assert about.total_is_estimate
    assert 0 < about.total <= exact.total


def _terms(reader: IndexReader, field: str) -> list[str]:
    out = []
    for sub, _ in reader.searcher.leaf_searchers():
        out += [t.decode() for t in sub.reader().lexicon(field)]
    return sorted(set(out))


def test_decoded_postings_and_bounds_agree_with_whoosh(searcher: Searcher) -> None:
    with searcher._using() as reader:
        for field in ("body", "title", "article_text", "section", "tags"):
            for term in _terms(reader, field):
                docs, scores = reader.field_scores(field, term)
                m = reader.searcher.postings(field, term)
                slow = {}
                while m.is_active():
                    slow[m.id()] = m.score()
                    m.next()
                assert docs.tolist() == sorted(slow), (field, term)
                assert np.allclose(scores, [slow[d] for d in docs.tolist()], rtol=1e-12)
                assert scores.max() <= reader.bound(field, term), (field, term)
                some = docs[::3]
                picked = reader.scores_of(field, term, some)
                assert picked[0].tolist() == some.tolist()
                assert picked[1].tolist() == scores[::3].tolist()


def test_body_words_are_in_their_articles_whole_text(searcher: Searcher) -> None:
    """The invariant the body bound rests on: a section's body words are its article's."""
    with searcher._using() as reader:
        for term in _terms(reader, "body"):
            bodies = reader.doc_ids("body", term)
            wholes = reader.doc_ids("article_text", term)
            articles = reader._shared.article_array
            assert set(articles[bodies].tolist()) <= set(articles[wholes].tolist()), term


def test_leaf_postings_skip_blocks_without_wanted_ids(tmp_path: Path) -> None:
    arts = [article(f"a{i}", f"Page {i}", "common words here") for i in range(600)]
    build_index(tmp_path / "ix", arts)
    s = Searcher(tmp_path / "ix")
    try:
        with s._using() as reader:
            sub = reader.searcher.leaf_searchers()[0][0].reader()
            every = list(postings.blocks(sub, "body", "common", None))
            assert len(every) > 3  # several blocks
            wanted = [5, 590]
            read = list(postings.blocks(sub, "body", "common", None, wanted))
            assert len(read) == 2
            ids, _ = postings.leaf_postings_in(sub, "body", "common", None, wanted)
            assert ids.tolist() == wanted
    finally:
        s.close()

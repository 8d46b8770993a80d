"""Semantic re-ranking: the shipped word table, article vectors beside the index, the fusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kbportal.search import Searcher, build_index, semantic, update_index, wordvectors
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

# Lexically tied for any query whose only indexed word is "text": same lengths, one "text" each.
STRIKE = article("strikethrough", "Strikethrough", "Draw a line through deleted text.")
COLOUR = article("colour", "Colours", "Paint the letters of bright text.")
REFUNDS = article("refunds", "Refunds", "Ask for your money back within a month of paying.")


def cos(a: np.ndarray | None, b: np.ndarray | None) -> float:
    assert a is not None and b is not None
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_word_table_puts_related_words_closer() -> None:
    words = semantic.table()
    assert words is not None
    assert words.dims == 128
    v = words.vector
    assert cos(v("delete"), v("remove")) > cos(v("delete"), v("banana")) + 0.3
    assert cos(v("password"), v("login")) > cos(v("password"), v("weather"))
    # A word missing from the table is spelt from WordPiece pieces, not dropped.
    assert "strikethrough" not in words.index
    assert len(words.ids("strikethrough")) > 1
    assert words.vector("zzzqqq") is None or words.ids("zzzqqq")
    assert words.vector("слово") is None


def test_meaning_breaks_a_lexical_tie_both_ways(make_searcher: MakeSearcher) -> None:
    s = make_searcher([STRIKE, COLOUR, REFUNDS])
    assert [h.slug for h in s.search(SearchQuery("crossed out text")).hits] == [
        "strikethrough",
        "colour",
    ]
    assert [h.slug for h in s.search(SearchQuery("red text", locale="en")).hits] == [
        "colour",
        "strikethrough",
    ]


def test_vectors_are_written_per_language_for_published_articles_only(tmp_path: Path) -> None:
    ru = article("strikethrough", "Зачёркнутый текст", "Линия через текст.", locale="ru")
    draft = article("draft", "Draft", "Unfinished text.", draft=True)
    build_index(tmp_path / "ix", [STRIKE, COLOUR, ru, draft])
    vectors = semantic.ArticleVectors.load(tmp_path / "ix")
    assert vectors is not None
    assert sorted(vectors.keys) == ["en/colour", "en/strikethrough"]
    assert vectors.matrix.shape == (2, 128)
    assert vectors.matrix.dtype == np.float16
    assert sorted(vectors.head_of.tolist()) == [0, 1]  # each title is a head
    russian = semantic.ArticleVectors.load(tmp_path / "ix", "ru")
    assert russian is not None and russian.keys == ["ru/strikethrough"]


def test_update_replaces_and_drops_rows(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, [STRIKE, COLOUR, REFUNDS])
    changed = article("colour", "Colours", "Make text red, green or blue.")
    gift = article("gift", "Gift cards", "Give a card as a present.")
    gone_draft = article("strikethrough", "Strikethrough", "Rewriting.", draft=True)
    update_index(ix, [changed, gift, gone_draft], ["en/refunds"])
    vectors = semantic.ArticleVectors.load(ix)
    assert vectors is not None
    assert sorted(vectors.keys) == ["en/colour", "en/gift"]
    s = Searcher(ix)
    try:
        assert [h.slug for h in s.search(SearchQuery("red text")).hits] == ["colour"]
    finally:
        s.close()


def test_reranking_never_surfaces_what_the_viewer_may_not_see(
    make_searcher: MakeSearcher,
) -> None:
    secret = article(
        "secret", "Crossed out text", "Crossed out text, struck through.", visibility="internal"
    )
    s = make_searcher([STRIKE, COLOUR, REFUNDS, secret])
    public = s.search(SearchQuery("crossed out text", viewer=PUBLIC))
    assert public.total == 2
    assert {h.slug for h in public.hits} == {"strikethrough", "colour"}
    staff = s.search(SearchQuery("crossed out text", viewer=Viewer(staff=True)))
    assert staff.hits[0].slug == "secret"


def test_russian_queries_are_compared_in_the_russian_table(make_searcher: MakeSearcher) -> None:
    arts = [
        article("a", "Оплата картой", "Оплата картой и возврат денег.", locale="ru"),
        article("b", "Возврат", "Возврат денег за оплату.", locale="ru"),
    ]
    make_searcher([*arts, STRIKE, COLOUR])
    assert semantic.language_for("ru", "text") == "ru"
    assert semantic.language_for(None, "возврат денег") == "ru"
    assert semantic.language_for(None, "refund") == "en"
    assert semantic.language_for("de", "Geld") is None
    words = semantic.table("ru")
    assert words is not None
    v = words.vector
    # Forms of one stem share a row; related words are closer than unrelated ones.
    assert cos(v("видео"), v("видео")) > 0.99 and v("видеоролика") is not None
    assert cos(v("деньги"), v("денег")) > cos(v("деньги"), v("погода")) + 0.3
    assert cos(v("оплата"), v("платёж".replace("ё", "е"))) > cos(v("оплата"), v("погода"))


def test_an_index_without_vectors_searches_lexically(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, [STRIKE, COLOUR])
    (ix / semantic.VECTORS_FILE).unlink()
    s = Searcher(ix)
    try:
        assert "en" not in s._vectors
        assert s.search(SearchQuery("crossed out text")).total == 2
    finally:
        s.close()


def test_rerank_orders_the_head_and_keeps_the_tail() -> None:
    keys = [f"en/{i}" for i in range(semantic.DEPTH + 5)]
    matrix = np.zeros((len(keys), 128), dtype=np.float16)
    vectors = semantic.ArticleVectors(keys, matrix, {}, len(keys))
    words = semantic.table()
    assert words is not None
    query = words.vector("refund")
    assert query is not None
    vectors.matrix[1] = query / np.linalg.norm(query)  # article 1 means what the query means
    best = [(i, 10.0 - i * 0.01) for i in range(len(keys))]
    out = semantic.rerank(vectors, "refund", best, keys)
    assert [d for d, _ in out][:2] == [1, 0]
    assert [d for d, _ in out][semantic.DEPTH :] == list(range(semantic.DEPTH, len(keys)))
    assert sorted(d for d, _ in out) == list(range(len(keys)))
    # A candidate without a vector (another locale): the lexical order stands.
    assert semantic.rerank(vectors, "refund", best, ["ru/x", *keys[1:]]) == best


@pytest.mark.parametrize("text", ["", "   ", "the and of", "12345", "!!!"])
def test_queries_without_meaningful_words_stay_lexical(
    make_searcher: MakeSearcher, text: str
) -> None:
    keys = [f"en/{i}" for i in range(4)]
    vectors = semantic.ArticleVectors(keys, np.ones((4, 128), dtype=np.float16), {}, len(keys))
    best = [(i, 10.0 - i) for i in range(len(keys))]
    assert vectors.query_vector(text) is None
    assert semantic.rerank(vectors, text, best, keys) == best  # not even the scores change
    s = make_searcher([STRIKE, COLOUR])
    result = s.search(SearchQuery(text))
    assert result.total == 0 and result.hits == []  # nothing here names either article


def test_vectors_out_of_step_with_their_keys_are_ignored(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, [STRIKE, COLOUR])
    np.save(ix / semantic.VECTORS_FILE, np.zeros((5, 128), dtype=np.float16))
    assert semantic.ArticleVectors.load(ix) is None
    (ix / semantic.META_FILE).write_text("{not json", encoding="utf-8")
    assert semantic.ArticleVectors.load(ix) is None


def test_a_missing_word_table_leaves_search_lexical(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A broken install (data files left out of the package): builds and searches still work.
    monkeypatch.setattr(wordvectors, "DATA_DIR", tmp_path / "nowhere")
    # Fresh load state for this test (the process's loaded tables come back afterwards).
    monkeypatch.setattr(wordvectors, "_tables", {})
    monkeypatch.setattr(wordvectors, "_failed", set())
    build_index(tmp_path / "ix", [STRIKE, COLOUR])
    assert not (tmp_path / "ix" / semantic.VECTORS_FILE).exists()
    assert "search stays lexical" in caplog.text
    s = Searcher(tmp_path / "ix")
    try:
        assert s.search(SearchQuery("crossed out text")).total == 2
    finally:
        s.close()


def test_customers_questions_find_the_article(make_searcher: MakeSearcher) -> None:
    card = article(
        "card",
        "Payment methods",
        "We take Visa and Mastercard.",
        questions=("Why was my card declined?", "Can I pay with a credit card?"),
    )
    other = article("declined", "Declined requests", "A request may be declined by an agent.")
    s = make_searcher([card, other, REFUNDS])
    assert s.search(SearchQuery("why was my card declined")).hits[0].slug == "card"


def test_update_keeps_each_head_with_its_article(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, [STRIKE, COLOUR, REFUNDS])
    changed = article("colour", "Colours", "Make text red.", questions=("How to paint words?",))
    update_index(ix, [changed], ["en/strikethrough"])
    vectors = semantic.ArticleVectors.load(ix)
    assert vectors is not None
    owners = sorted(vectors.keys[i] for i in vectors.head_of.tolist())
    assert owners == ["en/colour", "en/colour", "en/refunds"]


def test_head_cosines_take_each_articles_best_head() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(4, 8)).astype(np.float16)
    heads = rng.normal(size=(5, 8)).astype(np.float16)
    # Article 0 has two heads (stored apart), 1 has none, 2 one, 3 two.
    head_of = [0, 2, 3, 0, 3]
    vectors = semantic.ArticleVectors(["a", "b", "c", "d"], matrix, {}, 4, "en", heads, head_of)
    query = rng.normal(size=8).astype(np.float32)
    sims = heads.astype(np.float32) @ query
    expected = {
        "a": max(sims[0], sims[3], 0.0),
        "b": 0.0,
        "c": max(sims[1], 0.0),
        "d": max(sims[2], sims[4], 0.0),
        "unknown": 0.0,
    }
    keys = ["d", "unknown", "a", "b", "c", "a"]
    got = vectors.head_cosines(query, keys)
    assert got == pytest.approx([expected[k] for k in keys], abs=1e-5)
    assert vectors.head_cosines(query, []) == []

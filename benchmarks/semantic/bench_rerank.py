"""What the semantic re-rank costs on tldr: latency with and without it, and its memory.

Usage: .venv/bin/python benchmarks/semantic/bench_rerank.py [--queries 300]
Builds the tldr index once, then in a fresh process times the same English queries with
locale "en" and locale None, each with the article vectors and without (lexical only).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from harness import anon_mb, build_then_measure, pct  # noqa: E402
from tldr_data import queries, tldr_articles, tldr_root  # noqa: E402

from kbportal.search import Searcher, build_index, semantic  # noqa: E402
from kbportal.search.index import semantic_texts  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def timed(searcher: Searcher, qs: list[str], locale: str | None) -> list[float]:
    """Milliseconds per search, first page of 10 with snippets."""
    lat = []
    for text in qs:
        t = time.perf_counter()
        searcher.search(SearchQuery(text, viewer=PUBLIC, locale=locale))
        lat.append((time.perf_counter() - t) * 1000)
    return lat


def search_only(live: Path, count: int) -> None:
    """Latency of each variant, and the memory the vectors and the word table take."""
    qs = [q for q in queries(tldr_root(), count * 2) if q.isascii()][:count]
    before = anon_mb()
    extra = semantic.ArticleVectors.load(live)  # a second copy, only to weigh it
    vectors_mb = anon_mb() - before
    del extra
    before = anon_mb()
    semantic.table()
    table_mb = anon_mb() - before
    searcher = Searcher(live)
    vectors = searcher._vectors
    rows = []
    for name, vec in (("lexical", {}), ("semantic", vectors), ("lexical", {})):
        searcher._vectors = vec
        for locale in ("en", None):
            timed(searcher, qs[:20], locale)  # warm this variant's caches
            lat = timed(searcher, qs, locale)
            rows.append((name, locale, pct(lat, 50), pct(lat, 95), max(lat)))
    words = semantic.table()
    cache_mb = (words._pieced.cache_info().currsize if words else 0) * 0.6 / 1000
    for name, locale, p50, p95, top in rows:
        print(f"{name:9} locale={locale!s:5} p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {top:.1f} ms")
    print(
        f"memory: word table +{table_mb} MB, article vectors +{vectors_mb} MB, "
        f"pieced-word cache ~{cache_mb:.1f} MB"
    )
    searcher.close()


def build(live: Path) -> None:
    """Build the tldr index into `live`, timing the article vectors on their own."""
    articles = tldr_articles(tldr_root())
    t = time.perf_counter()
    build_index(live, articles)
    took = time.perf_counter() - t
    t = time.perf_counter()
    semantic.ArticleVectors.build(item for lang, item in semantic_texts(articles) if lang == "en")
    vec_took = time.perf_counter() - t
    size = (live / semantic.VECTORS_FILE).stat().st_size / 1e6
    print(
        f"index build {took:.1f} s, of which article vectors ~{vec_took:.1f} s "
        f"(vectors file {size:.1f} MB)"
    )


def main() -> None:
    """Build the tldr index once, then measure in a fresh process."""
    build_then_measure(__file__, __doc__, build, search_only)


if __name__ == "__main__":
    main()

"""Search engine benchmark on the tldr corpus: index build, one-article update, query latency.

Usage: .venv/bin/python benchmarks/bench_search.py [--queries 300]
Loads the corpus with the content pipeline, then times kbportal.search alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import anon_mb, build_then_measure, pct  # noqa: E402
from tldr_data import queries, tldr_articles, tldr_root  # noqa: E402

from kbportal.search import Searcher, build_index, update_index  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def build(live: Path) -> None:
    """Load the corpus, build the index into `live`, and time one-article updates of it."""
    root = tldr_root()
    t0 = time.perf_counter()
    articles = tldr_articles(root)
    t1 = time.perf_counter()
    sections = sum(max(1, len(a.sections)) for a in articles)
    print(f"content load: {t1 - t0:.1f} s for {len(articles)} articles ({sections} sections)")
    t2 = time.perf_counter()
    build_index(live, articles)
    t3 = time.perf_counter()
    size = sum(p.stat().st_size for p in live.iterdir()) / 1e6
    print(f"index build: {t3 - t2:.1f} s ({size:.1f} MB); content + index: {t3 - t0:.1f} s")

    # One changed article, on a hard-linked copy as the publisher does it.
    times = []
    for i in range(5):
        copy = live.parent / f"copy{i}"
        copy.mkdir()
        t = time.perf_counter()
        for path in live.iterdir():
            if not path.name.endswith("_WRITELOCK"):
                os.link(path, copy / path.name)
        changed = replace(articles[i * 997], title=articles[i * 997].title + " changed")
        update_index(copy, [changed], [])
        times.append(time.perf_counter() - t)
        shutil.rmtree(copy)
    print(
        f"update one article (link copy + update): max {max(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms"
    )


def search_only(live: Path, count: int) -> None:
    """Query latency and the searcher's memory, on an existing index."""
    qs = queries(tldr_root(), count)
    before = anon_mb()
    searcher = Searcher(live)
    for text in qs[:20]:  # warm caches (scope sets, stems)
        searcher.search(SearchQuery(text, viewer=PUBLIC))
    lat = []
    for text in qs:
        t = time.perf_counter()
        searcher.search(SearchQuery(text, viewer=PUBLIC))
        lat.append((time.perf_counter() - t) * 1000)
    print(
        f"search ({len(qs)} queries, with snippets): p50 {pct(lat, 50):.1f} ms, "
        f"p95 {pct(lat, 95):.1f} ms, max {max(lat):.1f} ms"
    )
    lat = []
    for text in qs:
        t = time.perf_counter()
        searcher.autocomplete(text[:4], PUBLIC)
        lat.append((time.perf_counter() - t) * 1000)
    print(f"autocomplete: p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms")
    print(f"searcher memory after {2 * len(qs)} calls: +{anon_mb() - before} MB private")
    searcher.close()


def main() -> None:
    """Build the tldr index, then time queries in a fresh process (its memory: the searcher's)."""
    build_then_measure(__file__, __doc__, build, search_only)


if __name__ == "__main__":
    main()

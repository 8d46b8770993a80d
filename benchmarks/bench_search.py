"""Search engine benchmark on the tldr corpus: index build, one-article update, query latency.

Usage: .venv/bin/python benchmarks/bench_search.py [--queries 300]
Loads the corpus with the content pipeline, then times kbportal.search alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tldr_data import queries, tldr_root  # noqa: E402

from kbportal.content.loader import load_knowledge_base  # noqa: E402
from kbportal.search import Searcher, build_index, update_index  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def anon_mb() -> int:
    """This process's private (anonymous) resident memory, in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("RssAnon:")[1].split()[0]) // 1024


def pct(values: list[float], p: float) -> float:
    """The p-th percentile of the values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--search-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        search_only(args.search_only, args.queries)
        return
    root = tldr_root()
    t0 = time.perf_counter()
    kb = load_knowledge_base(root)
    articles = list(kb.articles.values()) if isinstance(kb.articles, dict) else list(kb.articles)
    t1 = time.perf_counter()
    sections = sum(max(1, len(a.sections)) for a in articles)
    print(f"content load: {t1 - t0:.1f} s for {len(articles)} articles ({sections} sections)")
    with tempfile.TemporaryDirectory() as tmp:
        live = Path(tmp) / "live"
        t2 = time.perf_counter()
        build_index(live, articles)
        t3 = time.perf_counter()
        size = sum(p.stat().st_size for p in live.iterdir()) / 1e6
        print(f"index build: {t3 - t2:.1f} s ({size:.1f} MB); content + index: {t3 - t0:.1f} s")

        # One changed article, on a hard-linked copy as the publisher does it.
        times = []
        for i in range(5):
            copy = Path(tmp) / f"copy{i}"
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

        # Queries in a fresh process: its memory is the searcher's, not the loaded corpus's.
        cmd = [sys.executable, __file__, "--search-only", str(live), "--queries", str(args.queries)]
        subprocess.run(cmd, check=True)


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


if __name__ == "__main__":
    main()

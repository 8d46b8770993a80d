"""Issue 2's scale figures on the tldr corpus, each beside SQLite FTS5 on the same data.

Full build, one changed article re-published, and search API latency with snippets (through
Flask's test client, so routing and JSON are included). Usage:
    .venv/bin/python benchmarks/bench_tldr.py [--queries 300]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fts5_baseline  # noqa: E402
from tldr_data import pages, queries, tldr_root  # noqa: E402

from kbportal import create_app, publish  # noqa: E402
from kbportal.config import load_config  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def timed(calls: list, run) -> list[float]:
    """Milliseconds for each call."""
    times = []
    for call in calls:
        start = time.perf_counter()
        run(call)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--updates", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-tldr-"))
    try:
        articles = work / "articles"
        shutil.copytree(tldr_root(), articles)
        corpus = pages(articles)
        qs = queries(articles, args.queries)
        rows: list[tuple[str, float, float, str]] = []

        fts_db = work / "fts.sqlite"
        fts_build = fts5_baseline.build(fts_db, corpus)
        config = load_config({"ARTICLES_DIR": articles, "DATA_DIR": work / "data"})
        start = time.perf_counter()
        report = publish.build(config)
        kb_build = time.perf_counter() - start
        rows.append(("full build (s)", kb_build, fts_build, f"{report.summary()}"))

        targets = corpus[:: max(1, len(corpus) // args.updates)][: args.updates]
        kb_updates, fts_updates = [], []
        for number, page in enumerate(targets):
            with page.open("a", encoding="utf-8") as handle:
                handle.write(f"\n- Benchmark edit {number}:\n\n`true`\n")
            rel = page.relative_to(articles).as_posix()
            start = time.perf_counter()
            publish.update(config, changed=[rel], removed=[])
            kb_updates.append(time.perf_counter() - start)
            fts_updates.append(fts5_baseline.update_one(fts_db, page))
        rows.append(
            (
                "one article re-published (s, median)",
                statistics.median(kb_updates),
                statistics.median(fts_updates),
                f"max {max(kb_updates):.3f} s",
            )
        )

        app = create_app({"ARTICLES_DIR": articles, "DATA_DIR": work / "data", "TESTING": True})
        client = app.test_client()
        urls = [f"/api/v1/search?q={quote(q)}&limit=10" for q in qs]
        for url in urls[:20]:  # warm the worker's searcher and caches, as a running server is
            client.get(url)
        api_ms = timed(urls, lambda url: client.get(url).get_json())
        search = fts5_baseline.searcher(fts_db)
        fts_ms = timed(qs, search)
        for p in (50, 95, 99):
            rows.append(
                (
                    f"search p{p} (ms)",
                    percentile(api_ms, p),
                    percentile(fts_ms, p),
                    "API incl. Flask + JSON" if p == 95 else "",
                )
            )

        print(f"tldr corpus: {len(corpus)} pages, {len(qs)} queries")
        print(f"{'measure':40s} {'kbportal':>10s} {'FTS5':>10s} {'ratio':>7s}")
        for name, ours, base, note in rows:
            print(f"{name:40s} {ours:10.3f} {base:10.3f} {ours / base:7.1f}x  {note}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

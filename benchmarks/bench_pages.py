"""In-process page latency on the tldr corpus: what one worker spends per request, no network.

Article, category, home and search pages and the search API through Flask's test client,
plus 4 threads searching at once (a gthread worker) with the process's memory. Usage:
    .venv/bin/python benchmarks/bench_pages.py [--data DIR] [--rounds 3]
--data reuses a data folder built before (e.g. by `kbportal index`), else one is built by
`kbportal index` in a child process, so the memory shown is a serving process's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tldr_data import pages, queries, tldr_root  # noqa: E402

from kbportal import create_app, publish  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def rss_mb() -> float:
    """This process's resident memory."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = tldr_root()
    work = Path(tempfile.mkdtemp(prefix="kb-pages-"))
    data = args.data or work / "data"
    try:
        if args.data is None:
            env = {**os.environ, "KBPORTAL_ARTICLES_DIR": str(root), "KBPORTAL_DATA_DIR": str(data)}
            kbportal = Path(sys.executable).parent / "kbportal"
            subprocess.run([str(kbportal), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
        app = create_app({"ARTICLES_DIR": str(root), "DATA_DIR": str(data)})
        client = app.test_client()
        articles = []
        for page in pages(root)[::40]:
            rel = page.relative_to(root)
            slug = "/".join(rel.parts[1:-1]) + "/" + rel.stem
            articles.append(f"/{rel.parts[0]}/articles/{quote(slug)}")
        qs = queries(root, 200)
        sets = {
            "article page": articles,
            "category page": ["/en/categories/linux", "/en/categories/common"] * 20,
            "home page": ["/en/", "/ru/"] * 20,
            "search page": [f"/en/search?q={quote(q)}" for q in qs],
            "search API": [f"/api/v1/search?q={quote(q)}&limit=10" for q in qs],
        }
        for urls in sets.values():  # open the build, compile templates, fill caches once
            for url in urls[:20]:
                client.get(url)
        print(f"tldr: {len(pages(root))} pages; in-process, test client; rss {rss_mb():.0f} MB")
        for name, urls in sets.items():
            times: list[float] = []
            for _ in range(args.rounds):
                for url in urls:
                    start = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
            mean = sum(times) / len(times)
            print(
                f"{name:14s} mean {mean:6.2f} ms  p50 {percentile(times, 50):6.2f}"
                f"  p95 {percentile(times, 95):6.2f}  p99 {percentile(times, 99):6.2f}"
            )
        kb = publish.kb_for(publish.config_of(app))

        def work_through(offset: int) -> None:
            for i in range(len(qs)):
                kb.search(SearchQuery(qs[(i + offset) % len(qs)], PUBLIC, "en"))

        start = time.perf_counter()
        threads = [threading.Thread(target=work_through, args=(k * 50,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = 4 * len(qs) / (time.perf_counter() - start)
        print(f"4 threads x {len(qs)} kb.search: {rate:.0f} searches/s; rss {rss_mb():.0f} MB")
    finally:
        publish.close_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Content pipeline benchmark on the tldr corpus: whole-KB load + render, and one-file reloads.

Usage: .venv/bin/python benchmarks/bench_content.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tldr_data import tldr_root  # noqa: E402

from kbportal.content.loader import load_article, load_knowledge_base  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="whole-corpus loads to time")
    args = parser.parse_args()
    root = tldr_root()
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        kb = load_knowledge_base(root)
        times.append(time.perf_counter() - started)
    sections = sum(len(article.sections) for article in kb.articles.values())
    best, median = min(times), statistics.median(times)
    print(
        f"whole load + render: {len(kb.articles)} articles, {sections} sections, "
        f"{len(kb.problems)} problems; best {best:.2f} s, median {median:.2f} s "
        f"({len(kb.articles) / best:.0f} articles/s)"
    )
    paths = sorted(article.path for article in kb.articles.values())[::400]
    one = []
    for path in paths:
        started = time.perf_counter()
        load_article(root, path, known=kb.targets)
        one.append(time.perf_counter() - started)
    print(
        f"one-file reload: median {statistics.median(one) * 1000:.1f} ms, "
        f"max {max(one) * 1000:.1f} ms over {len(one)} files"
    )


if __name__ == "__main__":
    main()

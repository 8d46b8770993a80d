"""What the separate public search index costs a build (issue 7 §1), beside the one-index build.

    .venv/bin/python benchmarks/bench_public_index.py [--internal-every 10] [--rounds 2]

Loads tldr once, makes every Nth article internal, then times in the same run, alternating:
the staff index alone (the build before issue 7) and the staff index plus the public index.
A KB with only public articles pays nothing (one index serves both), so that is not measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tldr_data import tldr_articles, tldr_root  # noqa: E402

from kbportal.publish import public_index  # noqa: E402
from kbportal.search import build_index  # noqa: E402


def _size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--internal-every", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    articles = tldr_articles(tldr_root())
    articles = [
        replace(a, visibility="internal") if n % args.internal_every == 0 else a
        for n, a in enumerate(articles)
    ]
    public = sum(1 for a in articles if a.is_public)
    print(f"{len(articles)} articles, {public} public, machine: {os.cpu_count()} cores")
    one: list[float] = []
    both: list[float] = []
    sizes = (0, 0)
    for _round in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            build_index(Path(tmp) / "a" / "index", articles)
            one.append(time.perf_counter() - start)
            start = time.perf_counter()
            target = Path(tmp) / "b"
            target.mkdir()
            public_index.build_indexes(target, articles)
            both.append(time.perf_counter() - start)
            sizes = (_size(target / "index"), _size(target / public_index.SEPARATE))
    print(f"staff index only:            median {statistics.median(one):.2f} s  {one}")
    print(f"staff + public index:        median {statistics.median(both):.2f} s  {both}")
    print(f"index sizes: staff {sizes[0] / 1e6:.1f} MB, public {sizes[1] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

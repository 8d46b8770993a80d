"""Full build times at a given size: one process, every core, a reference checkout, FTS5, tantivy.

Each kbportal build is `kbportal index` in a fresh data folder, run as a child process so its
wall time and the CPU time of it and its forked workers are measured alike; FTS5 and tantivy
(`bench_scale.py`'s, English stemmer, title x3) index the same pages in this process, in the
same run. The load average is printed beside each figure (the machine is shared). Usage:

    .venv/bin/python benchmarks/bench_build.py --copies 4 --work /tmp/kb-30k
    .venv/bin/python benchmarks/bench_build.py --articles DIR --ref-src /tmp/main-src
        # --ref-src: a checkout of another version (e.g. `git archive main`), built the same
        # way with PYTHONPATH pointing at it: the baseline in the same run
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fts5_baseline  # noqa: E402
from bench_scale import tantivy_index  # noqa: E402
from replicated_tldr import write_articles  # noqa: E402
from tldr_data import pages  # noqa: E402


def load() -> str:
    """The 1-minute load average now."""
    return f"{os.getloadavg()[0]:.1f}"


def kbportal_build(articles: Path, data: Path, procs: int, src: Path | None = None) -> str:
    """One full build by `kbportal index` in a fresh data folder: a table row's figures."""
    shutil.rmtree(data, ignore_errors=True)
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(articles),
        "KBPORTAL_DATA_DIR": str(data),
        "KBPORTAL_BUILD_PROCS": str(procs),
    }
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-c", "import sys; from kbportal.cli import main; main()", "index"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    at_start, start = load(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=src or None)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(data, ignore_errors=True)
    return f"{wall:.1f} | {cpu:.1f} | {at_start} -> {load()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbportal-bench-build"))
    parser.add_argument("--articles", type=Path, help="an articles folder to use as it is")
    parser.add_argument("--ref-src", type=Path, help="another checkout to build as a baseline")
    parser.add_argument("--procs", default="1,0", help="BUILD_PROCS values to time (0: cores)")
    parser.add_argument("--no-engines", action="store_true", help="skip FTS5 and tantivy")
    args = parser.parse_args()

    articles = args.articles or args.work / "articles"
    if not articles.is_dir():
        print(f"writing {write_articles(articles, args.copies)} articles", flush=True)
    corpus = pages(articles)
    print(f"{len(corpus)} pages in {articles}; {os.cpu_count()} cores", flush=True)
    print("| build | wall s | CPU s (with forked workers) | load average before -> after |")
    print("|---|---|---|---|")
    data = args.work / "data"
    if args.ref_src:
        print(f"| reference ({args.ref_src}) | {kbportal_build(articles, data, 1, args.ref_src)} |")
    for procs in (int(p) for p in args.procs.split(",")):
        name = f"BUILD_PROCS={procs}" + (" (one per core)" if procs == 0 else "")
        print(f"| kbportal, {name} | {kbportal_build(articles, data, procs)} |", flush=True)
    if not args.no_engines:
        fts_db = args.work / "fts.sqlite"
        fts_db.parent.mkdir(parents=True, exist_ok=True)
        fts_db.unlink(missing_ok=True)
        at_start = load()
        fts = fts5_baseline.build(fts_db, corpus)
        print(f"| SQLite FTS5 | {fts:.1f} | | {at_start} -> {load()} |", flush=True)
        at_start = load()
        _, took = tantivy_index(corpus)
        print(f"| tantivy (1 thread) | {took:.1f} | | {at_start} -> {load()} |", flush=True)
        fts_db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

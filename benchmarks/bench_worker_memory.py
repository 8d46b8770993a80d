"""Worker memory of `kbportal serve` over searches and publishes, and push-to-found as served.

Starts `kbportal serve --workers N` on a built data folder, waits until every worker is warm,
runs --searches searches through GET /api/v1/search (two clients, so both workers answer),
then --publishes one-article publishes from this process (each appends a new word to another
page and waits until the served search finds it: push-to-found through the real server, its
background switch and its search process), and prints the RSS of each worker and of the
node's search process after the searches, after each publish, and once the old versions
retired (workers after 10 s, the search process after 60 s). Flat means the last row is
where the first one was. Usage:

    .venv/bin/python benchmarks/bench_worker_memory.py --articles DIR --data DIR
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import wait_warm  # noqa: E402
from harness import free_port, serve, stop  # noqa: E402
from tldr_data import pages, queries  # noqa: E402

from kbportal import publish  # noqa: E402
from kbportal.config import load_config  # noqa: E402

BIN = Path(sys.executable).parent
# Seconds until old versions are closed: workers retire one 10 s after switching
# (publish.accessor), the search process closes an index unused for 60 s (serving.searchd)
SETTLE = 65


def rss_mb(pid: int) -> int | None:
    """Resident memory of a process, in MB (None for one that has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(status.split("VmRSS:")[1].split()[0]) // 1024 if "VmRSS:" in status else None


def children(pid: int) -> list[int]:
    """Direct child processes of a process."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split())


def memory(master: int) -> tuple[list[int], list[int]]:
    """(RSS of each worker, RSS of the search process(es) the workers started), in MB."""
    workers = children(master)
    helpers = [c for w in workers for c in children(w)]
    sizes = [[rss_mb(p) for p in pids] for pids in (workers, helpers)]
    return [s for s in sizes[0] if s is not None], [s for s in sizes[1] if s is not None]


def search(base: str, text: str) -> dict:
    """One search through the public API."""
    url = f"{base}/api/v1/search?q={quote(text)}&limit=10"
    with urllib.request.urlopen(url, timeout=300) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="a built data folder")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--publishes", type=int, default=5)
    parser.add_argument("--log", type=Path, default=Path("/tmp/kbportal-bench-memory.log"))
    args = parser.parse_args()

    qs = queries(args.articles, 200)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(args.articles),
        "KBPORTAL_DATA_DIR": str(args.data),
    }
    cmd = [str(BIN / "kbportal"), "serve", "--port", str(port), "--workers", str(args.workers)]
    proc = serve(cmd, env, base + "/api/v1/search?q=install", log=args.log.open("wb"), seconds=900)
    rows: list[tuple[str, list[int], list[int]]] = []
    try:
        wait_warm(args.log, "warm and accepting requests", args.workers, seconds=900)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda i: search(base, qs[i % len(qs)]), range(args.searches)))
        rows.append((f"after {args.searches} searches", *memory(proc.pid)))
        config = load_config({"ARTICLES_DIR": args.articles, "DATA_DIR": args.data})
        corpus = pages(args.articles)
        step = max(1, len(corpus) // max(1, args.publishes))
        found_after, published = [], []
        for number, page in enumerate(corpus[step // 3 :: step][: args.publishes]):
            word = f"zqmem{number}x{int(time.time())}"
            with page.open("a", encoding="utf-8") as handle:
                handle.write(f"\n- Memory benchmark {word}:\n\n`true`\n")
            start = time.perf_counter()
            publish.update(config, [page.relative_to(args.articles).as_posix()], [])
            published.append(time.perf_counter() - start)
            while not search(base, word)["results"]:  # each worker switches in the background
                if time.perf_counter() - start > 300:
                    raise SystemExit(f"{word} not found after 300 s: see {args.log}")
                time.sleep(0.02)
            found_after.append(time.perf_counter() - start)
            for text in qs[:20]:
                search(base, text)
            rows.append((f"after publish {number + 1}", *memory(proc.pid)))
        time.sleep(SETTLE)
        for text in qs[:20]:
            search(base, text)
        rows.append(("old versions retired", *memory(proc.pid)))
    finally:
        stop(proc)
    print(f"{len(corpus)} pages; {args.workers} workers; RSS in MB")
    for name, workers, helpers in rows:
        print(f"| {name} | {', '.join(map(str, workers))} | {', '.join(map(str, helpers))} |")
    if found_after:
        print(
            f"one-article publish median {statistics.median(published):.3f} s; push to found by "
            f"the served search median {statistics.median(found_after):.3f} s, max "
            f"{max(found_after):.3f} s ({len(found_after)} publishes)"
        )


if __name__ == "__main__":
    main()

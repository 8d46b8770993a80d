"""Load on `kbportal serve` with the tldr corpus: requests/s from wrk, and memory per worker.

Baseline in the same run: a one-line Flask app under the same gunicorn settings, so the ratio
shows what kbportal's pages cost over the bare framework on this machine. The load starts only
once every worker has logged that it is warm, and the established connections each worker
holds are sampled halfway through every run (wrk keeps its connections open, so a worker that
was still warming up when they were made would sit idle the whole run).

The search page is measured twice: with every query distinct (wrk's threads never ask the same
one: no answer can come from the search process's results cache) and with the realistic mix
(200 queries cycled), measured once every query has been asked once (a node serving its
customers for a while has them cached; within one short run from a cold cache, the first round
alone takes longer than the run). Each search process's cache figures are printed after the
runs. Settings such as `KBPORTAL_SEARCH_PROCESSES` and `KBPORTAL_SEARCH_CACHE_MB` pass through
from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, serve, stop  # noqa: E402
from tldr_data import pages, queries, tldr_root  # noqa: E402

BIN = Path(sys.executable).parent
# The same worker as `kbportal serve` (uvicorn's event loop in front of 4 app threads).
HELLO_APP = (
    "from flask import Flask\nfrom kbportal.serving.buffered import BufferedWSGI\n"
    "flask_app = Flask(__name__)\nflask_app.config['KBPORTAL_MAX_REQUEST_BODY'] = 65536\n\n"
    "@flask_app.get('/')\ndef hello():\n    return 'ok'\n\n"
    "app = BufferedWSGI(flask_app, threads=4)\n"
)


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn workers (children of the master)."""
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    return sorted(int(pid) for pid in out.stdout.split())


def wait_warm(log: Path, marker: str, count: int, seconds: float = 180) -> None:
    """Wait until the server log holds `count` lines with `marker` (one per ready worker)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count(marker) >= count:
            return
        time.sleep(0.2)
    raise SystemExit(f"only some workers got warm: see {log}")


def connections_per_worker(master_pid: int, port: int) -> list[int]:
    """Established client connections on `port` that each worker holds right now."""
    established: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])  # the socket's inode
    counts = []
    for pid in worker_pids(master_pid):
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed while we looked
            if target.startswith("socket:[") and target[8:-1] in established:
                held += 1
        counts.append(held)
    return counts


def wrk(
    url: str,
    paths: list[str],
    seconds: int,
    connections: int,
    workdir: Path,
    master_pid: int | None = None,
) -> dict:
    """Run wrk rotating over paths; requests/s, latency p50/p99, errors, connections per worker."""
    script = workdir / "paths.lua"
    body = ",\n".join(json.dumps(p) for p in paths)
    # Each of wrk's threads walks its own share of the paths (thread n: n, n + 2, ...), so a
    # list of distinct queries is never asked twice while the list lasts.
    script.write_text(
        "local paths = {" + body + "}\nlocal threads = 0\n"
        "setup = function(thread)\n  thread:set('id', threads)\n  threads = threads + 1\nend\n"
        "init = function(args)\n  i = id\nend\n"
        "request = function()\n  local path = paths[i % #paths + 1]\n  i = i + 2\n"
        "  return wrk.format('GET', path)\nend\n"
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format(\'JSON {"p50": %f, "p99": %f, "non2xx": %d}\\n\','
        " latency:percentile(50)/1000, latency:percentile(99)/1000, summary.errors.status))\nend\n"
    )
    spread: list[int] = []
    if master_pid is not None:
        port = int(url.rsplit(":", 1)[1])
        sample = threading.Timer(
            seconds / 2, lambda: spread.extend(connections_per_worker(master_pid, port))
        )
        sample.start()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    extra = json.loads(out.split("JSON ", 1)[1].splitlines()[0])
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        **extra,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "per_worker": spread,
    }


def cache_figures(master_pid: int, data_dir: Path) -> list[dict]:
    """The results cache figures of each search process of the server (kbportal.serving.searchd)."""
    import socket

    from kbportal import searchwire

    found = []
    for slot in range(16):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(searchwire.address(master_pid, data_dir, slot))
                searchwire.send(sock, ("stats", "", ()))
                status, value = searchwire.receive(sock)
        except OSError:
            continue
        if status == "ok":
            found.append(value)
    return found


def ask_each_once(base: str, paths: list[str], connections: int) -> None:
    """Request every path once, `connections` at a time (fills the results cache)."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import urlopen

    def get(path: str) -> None:
        with urlopen(base + path, timeout=120) as response:
            response.read()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(get, paths))


def distinct_queries(root: Path, skip: set[str]) -> list[str]:
    """Every distinct example description of the corpus, in a fixed shuffled order."""
    return [q for q in dict.fromkeys(queries(root, 10**9)) if q not in skip]


def search_process_pids(master_pid: int) -> list[int]:
    """The server's search processes (kbportal.serving.searchd, started by its workers)."""
    pattern = f"kbportal.serving.searchd --master {master_pid} "
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return sorted(int(pid) for pid in out.stdout.split())


def worker_rss_mb(master_pid: int, pids: list[int] | None = None) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master), or of `pids`."""
    sizes = []
    for pid in worker_pids(master_pid) if pids is None else pids:
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        sizes.append(kb / 1024)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, help="a data folder built before (kbportal index)")
    parser.add_argument("--articles", type=Path, help="the articles of --data (default: tldr)")
    parser.add_argument("--startup", type=float, default=120, help="seconds to wait for serve")
    parser.add_argument(
        "--before",
        default="",
        help='settings of a first, baseline run, e.g. "KBPORTAL_SEARCH_CACHE_MB=0 '
        'KBPORTAL_SEARCH_PROCESSES=1" (search as before the results cache)',
    )
    args = parser.parse_args()
    root = args.articles or tldr_root()
    work = Path(tempfile.mkdtemp(prefix="kb-load-"))
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(root),
        "KBPORTAL_DATA_DIR": str(args.data or work / "data"),
        # The sentence encoder off unless asked for: a fresh data folder's first fill of article
        # vectors (minutes at tldr, hours at 100k, at the lowest priority) would run under the
        # load being measured. KBPORTAL_SEARCH_ENCODER=1 with a filled --data measures it on.
        "KBPORTAL_SEARCH_ENCODER": os.environ.get("KBPORTAL_SEARCH_ENCODER", "0"),
    }
    try:
        if args.data is None:
            subprocess.run(
                [str(BIN / "kbportal"), "index"], env=env, check=True, stdout=subprocess.DEVNULL
            )
        article_paths = []
        for page in pages(root)[::40]:
            rel = page.relative_to(root)
            locale, category, stem = rel.parts[0], "/".join(rel.parts[1:-1]), rel.stem
            article_paths.append(f"/{locale}/articles/{quote(category + '/' + stem)}")
        mix = queries(root, 200)
        search_paths = [f"/en/search?q={quote(q)}" for q in mix]
        distinct_paths = [f"/en/search?q={quote(q)}" for q in distinct_queries(root, set(mix))]

        results: dict[str, dict] = {}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        hello_dir = work / "hello"
        hello_dir.mkdir()
        (hello_dir / "hello.py").write_text(HELLO_APP)
        proc = serve(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--chdir",
                str(hello_dir),
                "--log-level",
                "info",
                "-k",
                "kbportal.serving.worker.KBPortalWorker",
                "hello:app",
            ],
            env,
            base + "/",
            log=(work / "hello.log").open("wb"),
        )
        try:
            wait_warm(work / "hello.log", "Booting worker", args.workers)
            time.sleep(1)  # the bare app loads in milliseconds once booted
            results["baseline: bare Flask 'ok' page"] = wrk(
                base, ["/"], args.seconds, args.connections, work, proc.pid
            )
        finally:
            stop(proc)

        rss: list[float] = []
        search_rss: list[float] = []
        caches: list[dict] = []
        variants: list[tuple[str, dict[str, str]]] = [("", {})]
        if args.before:  # the same server with other settings first, e.g. without the cache
            variants.insert(0, ("before: ", dict(v.split("=", 1) for v in args.before.split())))
        for prefix, extra in variants:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = serve(
                [
                    str(BIN / "kbportal"),
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                ],
                {**env, **extra},
                base + article_paths[0],
                log=(work / "serve.log").open("wb"),
                seconds=args.startup,  # a 100k build takes a while to open on a loaded machine
            )
            try:
                wait_warm(work / "serve.log", "warm and accepting requests", args.workers)
                runs = (
                    ("article page", article_paths),
                    (f"search page, {len(distinct_paths)} distinct", distinct_paths),
                    ("search page, 200 cycled", search_paths),
                )
                for name, paths in runs:
                    if paths is search_paths:
                        ask_each_once(base, paths, args.connections)
                    results[prefix + name] = wrk(
                        base, paths, args.seconds, args.connections, work, proc.pid
                    )
                rss = worker_rss_mb(proc.pid)
                search_rss = worker_rss_mb(proc.pid, search_process_pids(proc.pid))
                caches = cache_figures(proc.pid, Path(env["KBPORTAL_DATA_DIR"]))
            finally:
                stop(proc)
        print(f"workers: {args.workers}, connections: {args.connections}, {args.seconds}s each")
        print(f"sentence encoder (KBPORTAL_SEARCH_ENCODER): {env['KBPORTAL_SEARCH_ENCODER']}")
        base_rps = results["baseline: bare Flask 'ok' page"]["rps"]
        for name, row in results.items():
            print(
                f"{name:40s} {row['rps']:8.1f} req/s  ({row['rps'] / base_rps:.2f}x baseline)"
                f"  p50 {row['p50']:.1f} ms  p99 {row['p99']:.1f} ms  non-2xx {row['non2xx']}"
                f"  {row['socket_errors']}"
                f"  connections per worker {row['per_worker']}"
            )
        print("worker RSS after load (MB): " + ", ".join(f"{mb:.0f}" for mb in rss))
        print("search process RSS after load (MB): " + ", ".join(f"{mb:.0f}" for mb in search_rss))
        for slot, figures in enumerate(caches):
            print(f"search process {slot} results cache: {figures}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

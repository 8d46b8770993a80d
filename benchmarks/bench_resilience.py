"""Pages served under attack (issue 7): slow bodies, broad searches, 1 GiB webhooks, vs. idle.

Starts `kbportal serve` (2 workers x 4 threads) on loopback over a ~100k-article build (tldr
copied 12 times, see replicated_tldr.py; built once and reused), then for each scenario fetches
pages from 2 clients for a fixed time and reports their p50/p99 latency, errors and the peak
memory of the server's processes (workers and search process), beside an idle run of the same
server, with the load average and each search's own latency:

  idle      nothing else happens
  slow      16 clients send a POST /login body at one byte a second
  search    8 clients run broad and misspelled searches back to back
  webhooks  6 clients post 1 GiB unsigned bodies to /hooks/git, again and again

Usage: python benchmarks/bench_resilience.py [--seconds 20] [--work /tmp/kbportal-bench-100k]
       [--copies 12] [--only idle search]   (KBPORTAL_SEARCH_* variables reach the server)
All traffic stays on 127.0.0.1; every loop ends when its scenario's time is up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from replicated_tldr import COPIES, prepared

# Pages from several of the copies (r00..r11), so the worker's caches do not hide the store.
PAGE_TEMPLATES = [
    "/en/",
    "/ru/",
    "/en/categories/r{a}/common",
    "/en/articles/r{b}/common/tar",
    "/en/articles/r{c}/linux/lsblk",
    "/en/articles/r{d}/common/git-commit",
    "/en/articles/r{a}/common/curl",
]


def page_paths(copies: int) -> list[str]:
    """The pages read during each scenario, spread over the copies there are."""
    picks = {k: f"{n % copies:02d}" for k, n in zip("abcd", (0, 3, 7, 11), strict=True)}
    return [template.format(**picks) for template in PAGE_TEMPLATES]


BROAD = ["how to", "file", "list files", "compresion fles", "show the", "git", "remove direcotry"]
BROAD += ["create a new"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, timeout: float = 60) -> tuple[int, float]:
    """(status, seconds) of one GET; status 0 for a connection error."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def worker_pids(master: int) -> list[int]:
    """The master's descendants: its workers and the search process one of them started."""
    found: list[int] = []
    todo = [master]
    while todo:
        pid = todo.pop()
        children = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            below = [int(p) for p in children.read_text().split()]
        except OSError:
            below = []
        found += below
        todo += below
    return found


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


class Load:
    """Background traffic for one scenario; stops when `stop` is set."""

    def __init__(self, base: str, port: int, stop: threading.Event) -> None:
        self.base, self.port, self.stop = base, port, stop
        self.counts: dict[str, int] = {}
        self.search_seconds: list[float] = []  # each search's own latency: it may degrade

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def slow_body(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail="
            )
            while not self.stop.wait(1.0):
                try:
                    sock.sendall(b"a")
                except OSError:  # the server gave up on us (408): come back, as an attacker would
                    self.count("slow client cut off")
                    return

    def slow(self) -> None:
        while not self.stop.is_set():
            try:
                self.slow_body()
            except OSError:
                self.count("slow client refused")
                self.stop.wait(0.5)

    def search(self, offset: int) -> None:
        n = offset
        while not self.stop.is_set():
            query = urllib.request.quote(BROAD[n % len(BROAD)])
            status, seconds = fetch(f"{self.base}/api/v1/search?q={query}&locale=en")
            self.count(f"search {status}")
            self.search_seconds.append(seconds)
            n += 1

    def webhook(self) -> None:
        chunk = b"\0" * (1 << 20)
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                    sock.sendall(
                        b"POST /hooks/git HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
                    )
                    sent = 0
                    while sent < 1 << 30 and not self.stop.is_set():
                        sock.sendall(chunk)
                        sent += len(chunk)
                    if sent >= 1 << 30:
                        self.count("webhook sent whole")
            except OSError:
                self.count("webhook cut off by the server")


def scenario(
    name: str, base: str, port: int, master: int, seconds: float, paths: list[str]
) -> dict[str, object]:
    stop = threading.Event()
    load = Load(base, port, stop)
    threads: list[threading.Thread] = []
    if name == "slow":
        threads = [threading.Thread(target=load.slow) for _ in range(16)]
    elif name == "search":
        threads = [threading.Thread(target=load.search, args=(i,)) for i in range(8)]
    elif name == "webhooks":
        threads = [threading.Thread(target=load.webhook) for _ in range(6)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    time.sleep(2 if threads else 0)  # let the attack get going
    latencies: list[float] = []
    errors = 0
    peak = 0.0
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def pages(offset: int) -> None:
        nonlocal errors
        n = offset
        while time.monotonic() < deadline:
            status, took = fetch(base + paths[n % len(paths)])
            with lock:
                latencies.append(took)
                errors += status != 200
            n += 1

    readers = [threading.Thread(target=pages, args=(i,)) for i in range(2)]
    for reader in readers:
        reader.start()
    while time.monotonic() < deadline:
        peak = max(peak, sum(rss_mb(pid) for pid in worker_pids(master)))
        time.sleep(0.2)
    for reader in readers:
        reader.join()
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    latencies.sort()
    return {
        "scenario": name,
        "pages": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "workers_peak_rss_mb": round(peak),  # the search process included
        "attack": load.counts,
        "search_p50_ms": round(statistics.median(load.search_seconds) * 1000)
        if load.search_seconds
        else None,
    }


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return f"{os.cpu_count()} x {cpu}, {memory // 1024 // 1024} GiB RAM, {platform.platform()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--work", default="/tmp/kbportal-bench-100k")
    parser.add_argument("--copies", type=int, default=COPIES)
    parser.add_argument("--only", nargs="*", default=["idle", "slow", "search", "webhooks"])
    args = parser.parse_args()
    articles, data = prepared(Path(args.work), args.copies)
    port = free_port()
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(articles),
        "KBPORTAL_DATA_DIR": str(data),
        "KBPORTAL_WEBHOOK_SECRET": "bench-secret",
    }
    kbportal = str(Path(sys.executable).with_name("kbportal"))
    log = open(Path(args.work) / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [kbportal, "serve", "--port", str(port), "--workers", "2", "--threads", "4"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while fetch(base + "/en/", timeout=5)[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start; see serve.log")
            time.sleep(1)
        paths = page_paths(args.copies)
        for path in paths:
            status, _ = fetch(base + path)
            assert status == 200, (path, status)
        load = [os.getloadavg()[0]]
        results = []
        for name in args.only:
            results.append(scenario(name, base, port, server.pid, args.seconds, paths))
            load.append(os.getloadavg()[0])  # the machine is shared: say how busy it was
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    report = {"machine": machine(), "copies": args.copies, "load_average": load, "results": results}
    report["search_process"] = os.environ.get("KBPORTAL_SEARCH_PROCESS", "1")
    print(json.dumps(report, indent=2))
    print(
        "\n| scenario | pages served | errors | p50 ms | p99 ms | peak RSS MB | searches | p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in results:
        attack = row["attack"]
        searches = sum(n for k, n in attack.items() if k.startswith("search"))  # type: ignore[union-attr]
        print(
            f"| {row['scenario']} | {row['pages']} | {row['errors']} | {row['p50_ms']} "
            f"| {row['p99_ms']} | {row['workers_peak_rss_mb']} | {searches or ''} "
            f"| {row['search_p50_ms'] or ''} |"
        )


if __name__ == "__main__":
    main()

"""Shared benchmark plumbing: servers in their own process group, percentiles, memory, and
the build-then-measure-in-a-fresh-process pattern of the search benchmarks."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, seconds: float = 120) -> None:
    """Poll `url` until it answers; exit the benchmark if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def serve(
    cmd: list[str],
    env: dict[str, str],
    url: str,
    *,
    log: int | IO[bytes] = subprocess.DEVNULL,
    seconds: float = 120,
) -> subprocess.Popen[bytes]:
    """Start a server in its own process group and wait until `url` answers."""
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_up(url, seconds)
    except BaseException:
        stop(proc)  # never leave a server behind when it fails to come up
        raise
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by `serve`, workers included (the whole process group)."""
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def anon_mb() -> int:
    """This process's private (anonymous) resident memory, in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("RssAnon:")[1].split()[0]) // 1024


def pct(values: list[float], p: float) -> float:
    """The p-th percentile of the values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1)]


def build_then_measure(
    script: str,
    description: str | None,
    build: Callable[[Path], None],
    measure: Callable[[Path, int], None],
) -> None:
    """Parse --queries; build an index into a temporary folder, then measure it in a fresh run
    of `script` (--search-only), so the memory measured is the searcher's, not the corpus's."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--search-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        measure(args.search_only, args.queries)
        return
    with tempfile.TemporaryDirectory() as tmp:
        live = Path(tmp) / "live"
        build(live)
        cmd = [sys.executable, script, "--search-only", str(live), "--queries", str(args.queries)]
        subprocess.run(cmd, check=True)

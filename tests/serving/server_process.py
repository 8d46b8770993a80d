"""A real `kbportal serve` (gunicorn master and workers) in a child process, for fault tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support import write_tree

ARTICLES = {"en/billing/refunds.md": "# Getting a refund\n\nRefunds take five working days.\n"}
WORKER_PID = re.compile(r"Booting worker with pid: (\d+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A running server: its address, master process and log."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        return {int(pid) for pid in WORKER_PID.findall(self.log.read_text())}

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours is dead too
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@contextmanager
def serve(tmp_path: Path, workers: int = 2, threads: int = 2, **env: str) -> Iterator[Served]:
    """Start `kbportal serve` on a free loopback port and wait until it answers."""
    write_tree(tmp_path / "articles", ARTICLES)
    port = free_port()
    log = tmp_path / "serve.log"
    environ = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(tmp_path / "articles"),
        "KBPORTAL_DATA_DIR": str(tmp_path / "data"),
        "KBPORTAL_WEBHOOK_SECRET": "hook-secret",
        **env,
    }
    args = [str(Path(sys.executable).with_name("kbportal")), "serve", "--port", str(port)]
    args += ["--workers", str(workers), "--threads", str(threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=environ, stdout=out, stderr=subprocess.STDOUT)
    served = Served(proc, port, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if served.get("/en/", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield served
    finally:
        pids = served.worker_pids()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in pids:  # never leave a worker behind, whatever the test did
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

"""The node's search process: every worker's searches run here, below the workers' priority.

A broad or misspelled query on 100k articles is about a second of CPU-bound Python. Run inside
a worker it held that worker's GIL and a core while the worker's pages waited for both: eight
such queries took the page p99 from 67 ms to 1.8 s (docs/benchmarks.md). Here searches share
one process, niced below the workers: together they use at most one core of Python, the
scheduler gives the workers' pages the CPU first, and no page waits for a search's GIL. An
expensive query then slows searches only.

Run by the first worker that needs it (kbportal.publish.remote_search); it listens on an
abstract Unix socket named after the gunicorn master, the data folder and its slot (a node may
run several, `KBPORTAL_SEARCH_PROCESSES`, each niced: together they take only the CPU the
workers leave), answers only processes of its own user, and exits when the master is gone.
Answers are kept in a results cache (kbportal.serving.results_cache) for the current build.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import pickle
import signal
import socket
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from kbportal.memory import limit_arenas, release_free_memory

# The wire protocol (frames, socket name, peer check) is shared with the worker side.
from kbportal.searchwire import STATS, address, frame, receive, same_user
from kbportal.serving.results_cache import ResultsCache, normalised

log = logging.getLogger("kbportal.searchd")

OPEN_INDEXES = 4  # public and staff index of the current build and the one before
IDLE_CLOSE = 60.0  # seconds after which an index no worker asks for is closed
METHODS = frozenset({"search", "autocomplete"})  # the Searcher methods a worker may call
CACHE_MB = 64  # default bound of the results cache (kbportal.serving.results_cache)
MASTER_POLL = 1.0  # seconds between checks that the gunicorn master is still alive


class Searchers:
    """Open searchers by index folder, the few most recently used (builds change on publish)."""

    def __init__(
        self, keep: int = OPEN_INDEXES, idle: float = IDLE_CLOSE, cache: ResultsCache | None = None
    ) -> None:
        self.keep = keep
        self.idle = idle
        self.cache = cache if cache is not None else ResultsCache(0)
        self._open: OrderedDict[str, Any] = OrderedDict()
        self._used: dict[str, float] = {}  # folder -> when it was last asked for
        self._lock = threading.Lock()

    def get(self, directory: str) -> Any:
        from kbportal.search import Searcher

        now = time.monotonic()
        with self._lock:  # opening one takes a second on 100k articles: once, not per thread
            found = self._open.get(directory)
            if found is None:
                found = self._open[directory] = Searcher(Path(directory))
                self.cache.opened(directory)  # a new build: the other builds' answers go
            self._open.move_to_end(directory)
            self._used[directory] = now
            evicted = []
            # The previous build's indexes once no worker has asked for them for a while
            # (workers retire a version 10 s after switching): ~300 MB at 100k articles.
            for other in [d for d in self._open if now - self._used[d] > self.idle]:
                evicted.append(self._open.pop(other))
                del self._used[other]
            while len(self._open) > self.keep:
                gone, searcher = self._open.popitem(last=False)
                del self._used[gone]
                evicted.append(searcher)
            for old in evicted:
                self.cache.closed(str(old.directory))
        for old in evicted:
            old.close()  # waits for searches still running in it
        if evicted:
            # An old build's searchers, caches and vectors refer to each other: collect them
            # now and give the pages back, or this process grew by ~100 MB per publish at 100k.
            gc.collect()
            release_free_memory()
        return found


def answer(searchers: Searchers, method: str, directory: str, args: tuple[object, ...]) -> bytes:
    """The reply frame to one call: from the results cache, or searched and then kept."""
    from kbportal.search import encoded
    from kbportal.search.searcher import BUDGET

    cache = searchers.cache
    if method == STATS:
        return frame(("ok", cache.stats()))
    args = normalised(method, args)
    key = cache.key(directory, method, args) if method in METHODS else None
    cached = cache.get(key) if key is not None else None
    if cached is not None:
        return cached
    started = time.monotonic()
    encoded.begin()
    try:
        if method not in METHODS:
            raise ValueError(f"no such method: {method!r}")
        reply: tuple[str, object] = ("ok", getattr(searchers.get(directory), method)(*args))
    except Exception as error:  # the worker searches itself and sees the real error
        log.warning("search in %s failed: %s: %s", directory, type(error).__name__, error)
        return frame(("error", f"{type(error).__name__}: {error}"))
    data = frame(reply)
    if key is not None:
        # Past the budget the search dropped its optional stages, and without the encoder's
        # re-rank it may order differently once the vectors are there: kept only briefly.
        lesser = time.monotonic() - started >= BUDGET or encoded.skipped()
        cache.put(key, directory, data, brief=lesser)
    return data


def handle(conn: socket.socket, searchers: Searchers) -> None:
    """Answer one worker connection's searches until it closes."""
    with conn:
        while True:
            try:
                method, directory, args = receive(conn)
            except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
                return
            data = answer(searchers, method, directory, args)
            try:
                conn.sendall(data)
            except OSError:
                return


def _watch_master(master_pid: int) -> None:
    """Exit once the gunicorn master is gone: the search process belongs to its server."""
    while True:
        try:
            os.kill(master_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass  # alive, under another user
        time.sleep(MASTER_POLL)


def serve(name: str, master_pid: int, nice: int, cache_mb: int = CACHE_MB) -> None:
    """Listen on the abstract socket `name` and answer searches until the master dies."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(name)
    except OSError:  # another worker started it first: that one serves
        listener.close()
        return
    listener.listen(64)
    if nice:
        os.nice(nice)  # every thread of this process: searches yield the CPU to pages
    limit_arenas()  # before the threads: freed pages are not scattered over an arena each
    # The sentence encoder's 72 MB of weights and its CPU live here, never in a web worker.
    from kbportal.search import encoder  # noqa: PLC0415 - as Searchers.get imports search

    encoder.enable()
    encoder.warm()
    threading.Thread(target=_watch_master, args=(master_pid,), daemon=True).start()
    searchers = Searchers(cache=ResultsCache(cache_mb * 1024 * 1024))
    log.info(
        "search process %d ready (nice %d), results cache %d MB",
        os.getpid(),
        os.getpriority(os.PRIO_PROCESS, 0),
        cache_mb,
    )
    while True:
        conn, _ = listener.accept()
        if not same_user(conn):
            conn.close()
            continue
        threading.Thread(target=handle, args=(conn, searchers), daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="kbportal's search process (started by workers)")
    parser.add_argument("--master", type=int, required=True, help="gunicorn master's pid")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--slot", type=int, default=0, help="which of the node's search processes")
    parser.add_argument("--cache-mb", type=int, default=CACHE_MB, help="results cache bound")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    name = address(args.master, args.data_dir, args.slot)
    serve(name, args.master, args.nice, args.cache_mb)


if __name__ == "__main__":
    main()

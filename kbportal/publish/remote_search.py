"""A worker's side of the node's search process (kbportal.serving.searchd).

`kbportal serve` turns it on in each worker; everywhere else (tests, the CLI, a worker whose
search process cannot be reached) searches run in the calling process, behind the gate.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

from kbportal import searchwire
from kbportal.publish.gate import SearchBusy
from kbportal.search.types import SearchQuery, SearchResults, Suggestion
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

START_WAIT = 10.0  # seconds a worker waits for a search process it started to listen
START_EVERY = 2.0  # seconds between starts by one worker (one that dies at once: not a loop)
RETRY_FAILED_AFTER = 30.0  # a search process that would not listen is tried again this late


class RemoteSearch:
    """Sends searches to the node's search processes, starting one when it is not there.

    With several (`processes`), a query always goes to the same one, chosen by a hash of its
    text: each process's results cache then holds its own share of the queries, and every
    worker finds a query's cached answer, whichever worker asked it first.
    """

    def __init__(
        self,
        master_pid: int,
        data_dir: Path,
        *,
        nice: int = 10,
        wait: float = 30.0,
        processes: int = 1,
        cache_mb: int = 64,
    ) -> None:
        self.master_pid, self.data_dir, self.nice, self.wait = master_pid, data_dir, nice, wait
        self.processes, self.cache_mb = max(1, processes), cache_mb
        self.names = [searchwire.address(master_pid, data_dir, n) for n in range(self.processes)]
        self.name = self.names[0]
        self._local = threading.local()  # each thread's connections: no locking per search
        self._start_lock = threading.Lock()
        self._started: dict[int, subprocess.Popen[bytes]] = {}
        self._last_start: dict[int, float] = {}
        self._failed_at: dict[int, float] = {}
        self._down = False  # logged once per outage, not once per search
        self._sockets: set[socket.socket] = set()  # every thread's, to close them all

    def search(self, directory: Path, query: SearchQuery) -> SearchResults | None:
        """Results from the search process; None if it cannot answer (search here instead)."""
        found = self._call("search", directory, (query,), self._slot(query.text, query.locale))
        if not isinstance(found, SearchResults):
            return None
        if found.query != query.text:  # answered for the same text with other whitespace
            found = replace(found, query=query.text)
        return found

    def autocomplete(
        self, directory: Path, prefix: str, viewer: Viewer, locale: str | None, limit: int
    ) -> list[Suggestion] | None:
        """Completions from the search process; None if it cannot answer (complete here)."""
        args = (prefix, viewer, locale, limit)
        found = self._call("autocomplete", directory, args, self._slot(prefix, locale))
        return found if isinstance(found, list) else None

    def cache_stats(self) -> list[dict[str, int]]:
        """Each running search process's results cache figures."""
        found = [
            self._call(searchwire.STATS, Path(), (), n, start=False) for n in range(self.processes)
        ]
        return [f for f in found if isinstance(f, dict)]

    def _slot(self, text: object, locale: str | None) -> int:
        """The search process a query goes to: the same one for the same words, in any worker."""
        if self.processes == 1:
            return 0
        words = " ".join(text.split()) if isinstance(text, str) else ""
        return zlib.crc32(f"{locale}\0{words}".encode("utf-8", "replace")) % self.processes

    def _call(
        self,
        method: str,
        directory: Path,
        args: tuple[object, ...],
        slot: int = 0,
        *,
        start: bool = True,
    ) -> object | None:
        """What the search process answers, or None if it cannot.

        SearchBusy when it takes longer than `wait`: running the same query here as well would
        cost the worker the very time the search process is there to spare it.
        """
        for attempt in range(2):
            try:
                sock = self._connection(slot)
                searchwire.send(sock, (method, str(directory), args))
                status, value = searchwire.receive(sock)
            except TimeoutError:
                self._drop(slot)
                raise SearchBusy("search is busy; try again in a moment") from None
            except (OSError, EOFError, ValueError) as error:
                self._drop(slot)
                if attempt == 0 and start and self._start(slot):
                    continue  # (re)started: ask again
                if not self._down and start:
                    self._down = True
                    log.warning("search process unavailable (%s): searching in the worker", error)
                return None
            self._down = False
            if status == "ok":
                return value
            return None  # it failed there: here the real error surfaces (and heals, if damage)
        return None

    def _connections(self) -> dict[int, socket.socket]:
        found: dict[int, socket.socket] | None = getattr(self._local, "socks", None)
        if found is None:
            found = self._local.socks = {}
        return found

    def _connection(self, slot: int) -> socket.socket:
        sock = self._connections().get(slot)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.wait)
                sock.connect(self.names[slot])
                if not searchwire.same_user(sock):  # someone else took the name: never unpickle
                    raise ConnectionRefusedError("the search socket belongs to another user")
            except OSError:
                sock.close()
                raise
            self._connections()[slot] = sock
            with self._start_lock:
                self._sockets.add(sock)
        return sock

    def _drop(self, slot: int) -> None:
        sock = self._connections().pop(slot, None)
        if sock is not None:
            with self._start_lock:
                self._sockets.discard(sock)
            sock.close()

    def _start(self, slot: int) -> bool:
        """Start search process `slot` (one worker wins its name); True once it listens."""
        with self._start_lock:
            running = self._started.get(slot)
            if running is not None and running.poll() is not None:
                del self._started[slot]  # reaped: no zombie left behind
            now = time.monotonic()
            if (
                now - self._last_start.get(slot, float("-inf")) < START_EVERY
                or now - self._failed_at.get(slot, float("-inf")) < RETRY_FAILED_AFTER
            ):
                return False
            self._last_start[slot] = now
            command = [sys.executable, "-m", "kbportal.serving.searchd"]
            command += ["--master", str(self.master_pid), "--data-dir", str(self.data_dir)]
            command += ["--slot", str(slot), "--cache-mb", str(self.cache_mb)]
            self._started[slot] = subprocess.Popen(
                [*command, "--nice", str(self.nice)], stdin=subprocess.DEVNULL
            )
            deadline = time.monotonic() + START_WAIT
            while time.monotonic() < deadline:
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(self.names[slot])
                    return True
                except OSError:
                    time.sleep(0.05)
                finally:
                    probe.close()
            self._failed_at[slot] = time.monotonic()
            return False

    def close(self) -> None:
        """Close every connection, and stop the search processes this worker started."""
        with self._start_lock:
            sockets, self._sockets = self._sockets, set()
            started, self._started = self._started, {}
        for sock in sockets:
            sock.close()
        for proc in started.values():
            proc.terminate()
            proc.wait(10)


_remote: RemoteSearch | None = None


def enable(
    master_pid: int, data_dir: Path, nice: int = 10, processes: int = 1, cache_mb: int = 64
) -> None:
    """Send this process's searches to the node's search processes (kbportal serve's workers)."""
    global _remote
    _remote = RemoteSearch(
        master_pid, Path(data_dir), nice=nice, processes=processes, cache_mb=cache_mb
    )
    log.debug("searches of worker %d go to the search process", os.getpid())


def disable() -> None:
    """Search in this process again."""
    global _remote
    if _remote is not None:
        _remote.close()
    _remote = None


def current() -> RemoteSearch | None:
    """The search process client of this process, or None to search here."""
    return _remote

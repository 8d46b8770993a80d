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
    """Sends searches to the node's search process, starting it when it is not there."""

    def __init__(
        self, master_pid: int, data_dir: Path, *, nice: int = 10, wait: float = 30.0
    ) -> None:
        self.master_pid, self.data_dir, self.nice, self.wait = master_pid, data_dir, nice, wait
        self.name = searchwire.address(master_pid, data_dir)
        self._local = threading.local()  # one connection per thread: no locking per search
        self._start_lock = threading.Lock()
        self._started: subprocess.Popen[bytes] | None = None
        self._last_start = self._failed_at = float("-inf")
        self._down = False  # logged once per outage, not once per search
        self._sockets: set[socket.socket] = set()  # every thread's, to close them all

    def search(self, directory: Path, query: SearchQuery) -> SearchResults | None:
        """Results from the search process; None if it cannot answer (search here instead)."""
        found = self._call("search", directory, (query,))
        return found if isinstance(found, SearchResults) else None

    def autocomplete(
        self, directory: Path, prefix: str, viewer: Viewer, locale: str | None, limit: int
    ) -> list[Suggestion] | None:
        """Completions from the search process; None if it cannot answer (complete here)."""
        found = self._call("autocomplete", directory, (prefix, viewer, locale, limit))
        return found if isinstance(found, list) else None

    def _call(self, method: str, directory: Path, args: tuple[object, ...]) -> object | None:
        """What the search process answers, or None if it cannot.

        SearchBusy when it takes longer than `wait`: running the same query here as well would
        cost the worker the very time the search process is there to spare it.
        """
        for attempt in range(2):
            try:
                sock = self._connection()
                searchwire.send(sock, (method, str(directory), args))
                status, value = searchwire.receive(sock)
            except TimeoutError:
                self._drop()
                raise SearchBusy("search is busy; try again in a moment") from None
            except (OSError, EOFError, ValueError) as error:
                self._drop()
                if attempt == 0 and self._start():
                    continue  # (re)started: ask again
                if not self._down:
                    self._down = True
                    log.warning("search process unavailable (%s): searching in the worker", error)
                return None
            self._down = False
            if status == "ok":
                return value
            return None  # it failed there: here the real error surfaces (and heals, if damage)
        return None

    def _connection(self) -> socket.socket:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.wait)
                sock.connect(self.name)
                if not searchwire.same_user(sock):  # someone else took the name: never unpickle
                    raise ConnectionRefusedError("the search socket belongs to another user")
            except OSError:
                sock.close()
                raise
            self._local.sock = sock
            with self._start_lock:
                self._sockets.add(sock)
        return sock

    def _drop(self) -> None:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            with self._start_lock:
                self._sockets.discard(sock)
            sock.close()

    def _start(self) -> bool:
        """Start the search process (one worker wins the name); True once it listens."""
        with self._start_lock:
            if self._started is not None and self._started.poll() is not None:
                self._started = None  # reaped: no zombie left behind
            now = time.monotonic()
            if now - self._last_start < START_EVERY or now - self._failed_at < RETRY_FAILED_AFTER:
                return False
            self._last_start = now
            command = [sys.executable, "-m", "kbportal.serving.searchd"]
            command += ["--master", str(self.master_pid), "--data-dir", str(self.data_dir)]
            self._started = subprocess.Popen(
                [*command, "--nice", str(self.nice)], stdin=subprocess.DEVNULL
            )
            deadline = time.monotonic() + START_WAIT
            while time.monotonic() < deadline:
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(self.name)
                    return True
                except OSError:
                    time.sleep(0.05)
                finally:
                    probe.close()
            self._failed_at = time.monotonic()
            return False

    def close(self) -> None:
        """Close every connection, and stop a search process this worker started."""
        with self._start_lock:
            sockets, self._sockets = self._sockets, set()
            started, self._started = self._started, None
        for sock in sockets:
            sock.close()
        if started is not None:
            started.terminate()
            started.wait(10)


_remote: RemoteSearch | None = None


def enable(master_pid: int, data_dir: Path, nice: int = 10) -> None:
    """Send this process's searches to the node's search process (kbportal serve's workers)."""
    global _remote
    _remote = RemoteSearch(master_pid, Path(data_dir), nice=nice)
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

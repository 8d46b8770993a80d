"""Runs syncs in a background thread: single-flight, with pushes during a sync coalesced."""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from kbportal.sync.service import SyncReport, sync

log = logging.getLogger(__name__)

KEEP_RESULTS = 50


class SyncRunner:
    """One per process: at most one sync thread; a request during a sync queues one more."""

    def __init__(
        self, config: Mapping[str, Any], sync_fn: Callable[..., SyncReport] = sync
    ) -> None:
        self.config = dict(config)
        self._sync = sync_fn
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: str | None = None  # id of the sync in progress
        self._queued: str | None = None  # id of the one that will run after it
        self._done: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._finished = threading.Condition(self._lock)
        self.last_requested: str | None = None  # id returned by the latest request()

    def request(self) -> str:
        """Ask for a sync soon; returns its id (the already-queued one if there is one)."""
        with self._lock:
            if self._running is None:
                self._running = secrets.token_hex(6)
                self._thread = threading.Thread(
                    target=self._loop, name="kbportal-sync", daemon=True
                )
                self._thread.start()
                self.last_requested = self._running
                return self._running
            # A sync is in progress and may have fetched before this push: run once more.
            if self._queued is None:
                self._queued = secrets.token_hex(6)
            self.last_requested = self._queued
            return self._queued

    def _loop(self) -> None:
        while True:
            with self._lock:
                sync_id = self._running
            assert sync_id is not None
            result = self._run_one(sync_id)
            with self._lock:
                self._done[sync_id] = result
                while len(self._done) > KEEP_RESULTS:
                    self._done.popitem(last=False)
                self._running, self._queued = self._queued, None
                self._finished.notify_all()
                if self._running is None:
                    return

    def _run_one(self, sync_id: str) -> dict[str, Any]:
        # The other process's sync may hold the lock for a while; wait for it, then fetch.
        try:
            report = self._sync(self.config, wait=120.0)
        except Exception as exc:  # noqa: BLE001 - a thread must record, not die silently
            log.exception("sync %s failed", sync_id)
            return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
        if report.status == "published":
            self._warm()
        return report.to_dict()

    def _warm(self) -> None:
        """Open the new version in this thread, before a reader's request would have to."""
        from kbportal import publish  # heavy; only once something was published

        try:
            publish.warm(self.config)
        except Exception:  # noqa: BLE001 - the next request opens it instead
            log.warning("could not open the new version ahead of readers", exc_info=True)

    def status(self, sync_id: str) -> str | None:
        """The sync's state: queued, running, or its finished status; None if unknown."""
        with self._lock:
            if sync_id == self._running:
                return "running"
            if sync_id == self._queued:
                return "queued"
            done = self._done.get(sync_id)
        return str(done["status"]) if done else None

    def wait(self, sync_id: str, timeout: float = 60.0) -> dict[str, Any] | None:
        """Block until a sync finishes (tests and CLI); its report, or None on timeout."""
        with self._finished:
            self._finished.wait_for(lambda: sync_id in self._done, timeout=timeout)
            return self._done.get(sync_id)

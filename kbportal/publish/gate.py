"""At most a few searches run at once in a worker, so expensive ones cannot take every thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class SearchBusy(RuntimeError):
    """Every search slot of this worker stayed taken for the whole wait (503, try again)."""


class SearchGate:
    """A counting gate: `slots` searches at once; a further one waits up to `wait` seconds.

    Eight broad queries on 100k articles used to take all eight threads and delay every page
    by seconds; now they queue behind each other (and at worst are refused) while pages, which
    never pass the gate, keep the remaining threads.
    """

    def __init__(self, slots: int = 1, wait: float = 10.0) -> None:
        self.slots = slots
        self.wait = wait
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a search slot for the block; SearchBusy if none frees up in time."""
        if not self._semaphore.acquire(timeout=self.wait):
            log.warning(
                "search refused: %d searches still running after %.0f s", self.slots, self.wait
            )
            raise SearchBusy("search is busy; try again in a moment")
        try:
            yield
        finally:
            self._semaphore.release()


_gate = SearchGate()


def configure(slots: int, wait: float = 10.0) -> None:
    """Set this process's gate (from KBPORTAL_SEARCH_CONCURRENCY; a worker has one gate)."""
    global _gate
    if (_gate.slots, _gate.wait) != (slots, wait):
        _gate = SearchGate(slots, wait)


def search_slot() -> SearchGate:
    """This process's gate."""
    return _gate

"""A small in-process rate limiter for the public API, keyed by a hash, never by an address."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def client_key(secret: str, address: str | None, salt: str) -> str:
    """A keyed hash of the client's address: rate limits need a key, the logs need no IP."""
    message = f"{salt}\x00{address or '-'}".encode()
    return hashlib.blake2b(message, key=secret.encode()[:64], digest_size=16).hexdigest()


class RateLimiter:
    """Fixed windows: at most `limit` hits per key per `window` seconds, in this process."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one hit; 0 when allowed, else the seconds until the key may try again."""
        now = self.clock()
        with self._lock:
            if len(self._hits) > 50_000:  # forget finished windows before they pile up
                self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.window}
            start, count = self._hits.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.limit:
                return max(0.001, self.window - (now - start))
            self._hits[key] = (start, count + 1)
            return 0.0

"""Who made a search, click or vote: a visitor session, its segment, and as-you-type collapsing."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import crawleruseragents
from rapidfuzz.distance import Levenshtein

SESSION_IDLE = 30 * 60  # seconds without activity after which a visitor gets a new session
COLLAPSE_WINDOW = 30.0  # a keystroke this soon after the previous search updates its row
REFORMULATION_WINDOW = 60.0  # a different search this soon marks the previous as reformulated
COLLAPSE_EDITS = 2
BOT_SEARCHES_PER_MINUTE = 30  # no person searches this fast; as-you-type rows are collapsed first


@dataclass(frozen=True)
class LastSearch:
    """The visitor's previous search, as remembered in their session cookie."""

    id: int
    query: str
    locale: str
    at: float  # epoch seconds


@dataclass(frozen=True)
class Visitor:
    """The person behind a request, as far as analytics may know them."""

    session_id: str | None  # None: Do-Not-Track / Global Privacy Control (counted, not tracked)
    segment: str = "customer"  # "customer", "staff" or "bot"
    user_id: int | None = None  # signed-in staff only
    recording: bool = True  # False: a staff preview with recording turned off
    last: LastSearch | None = None

    @property
    def tracked(self) -> bool:
        """Whether rows may carry a session (no DNT/GPC)."""
        return self.session_id is not None


def new_session_id() -> str:
    """A first-party random session id (no relation to the person, address or browser)."""
    return secrets.token_urlsafe(12)


def new_search_id() -> int:
    """A random search id that JavaScript can hold exactly (53 bits)."""
    return secrets.randbits(53) or 1


def opted_out(dnt: str | None, gpc: str | None) -> bool:
    """Whether the browser asks not to be tracked (DNT: 1 or Sec-GPC: 1)."""
    return (dnt or "").strip() == "1" or (gpc or "").strip() == "1"


@lru_cache(maxsize=4096)
def is_bot_agent(user_agent: str) -> bool:
    """Whether a user agent is a crawler, per the community list (or says nothing at all)."""
    agent = user_agent.strip()
    if not agent:
        return True
    return bool(crawleruseragents.is_crawler(agent[:512]))


def extends(previous: str, current: str) -> bool:
    """Whether `current` is `previous` typed further or back (prefix either way, or <= 2 edits)."""
    a, b = previous.casefold().strip(), current.casefold().strip()
    if not a or not b:
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    return Levenshtein.distance(a, b, score_cutoff=COLLAPSE_EDITS) <= COLLAPSE_EDITS


def same_search(last: LastSearch | None, query: str, locale: str, now: float) -> bool:
    """Whether a new query updates the previous search's row instead of making one."""
    # -1: the clocks of two workers may differ a little.
    if last is None or last.locale != locale or not -1 <= now - last.at <= COLLAPSE_WINDOW:
        return False
    return extends(last.query, query)


def reformulates(last: LastSearch | None, now: float) -> bool:
    """Whether a new, different search comes soon enough to count as a reformulation."""
    return last is not None and -1 <= now - last.at <= REFORMULATION_WINDOW


class Pace:
    """Searches per session in the last minute, to flag sessions that search like a script."""

    def __init__(self, limit: int = BOT_SEARCHES_PER_MINUTE, max_sessions: int = 10_000) -> None:
        self.limit = limit
        self.max_sessions = max_sessions
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def too_fast(self, session_id: str, now: float | None = None) -> bool:
        """Count one search for the session; True once it exceeds the limit in a minute."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.get(session_id)
            if times is None:
                if len(self._seen) >= self.max_sessions:
                    self._seen.clear()  # a bounded memory beats a perfect count
                times = self._seen[session_id] = deque()
            times.append(now)
            while times and now - times[0] > 60:
                times.popleft()
            return len(times) > self.limit


class Throttle:
    """At most `limit` actions per key in `window` seconds (votes per address hash)."""

    def __init__(self, limit: int, window: float, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one action; False when the key has used up its allowance."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] > self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            if len(self._seen) > self.max_keys:
                self._seen = {key: times}
            times.append(now)
            return True


def daily_hash(secret: str, address: str | None, now: datetime | None = None) -> str:
    """A salted hash of an address that changes every day: for rate limits, never stored."""
    day = (now or datetime.now(UTC)).date().isoformat()
    raw = f"{secret}|{day}|{address or ''}".encode("utf-8", "surrogateescape")
    return hashlib.blake2b(raw, digest_size=12).hexdigest()

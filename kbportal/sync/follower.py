"""Following the publication record: LISTEN/NOTIFY on PostgreSQL, polling as the fallback."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from kbportal import publish
from kbportal.cluster import records
from kbportal.cluster.node import database, key_of, node_name
from kbportal.publish.layout import current_build_id
from kbportal.sync.git import Git
from kbportal.sync.service import SyncReport, read_state, sync

log = logging.getLogger(__name__)

POLL_WITH_NOTIFY = 30.0  # seconds between checks when PostgreSQL wakes us on each publish
POLL_WITHOUT = 2.0  # seconds between checks of the record when nothing wakes us
HEARTBEAT_EVERY = 30.0


def serving(config: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The git commit and build id this node serves now."""
    commit = read_state(config).get("commit")
    return (str(commit) if commit else None), current_build_id(Path(config["DATA_DIR"]))


class Follower:
    """A thread that publishes, on this node, whatever commit another node announced."""

    def __init__(
        self, config: Mapping[str, Any], sync_fn: Callable[..., SyncReport] = sync
    ) -> None:
        self.config = dict(config)
        self._sync = sync_fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat_at = 0.0
        self._beat_state: tuple[str | None, str | None] | None = None
        self.name = node_name(self.config)
        self._check = records.key_check(key_of(self.config))
        self._git = Git(self.config["ARTICLES_DIR"]).is_repo()
        url = make_url(self.config["DATABASE_URL"])
        self._listen_url = (
            url.set(drivername="postgresql").render_as_string(hide_password=False)
            if url.get_backend_name() == "postgresql"
            else None
        )

    def start(self) -> None:
        """Catch up now (a node that was down), then follow in the background."""
        self._thread = threading.Thread(target=self._run, name="kbportal-follow", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop following (tests)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def check(self) -> SyncReport | None:
        """Publish the newest announced commit if this node serves another one; beat."""
        with database(self.config).session() as session:
            newest = records.latest(session)
        report = None
        commit, _build = serving(self.config)
        if newest is not None and newest.commit != commit and self._git:
            log.info(
                "node %s follows %s's publish of %s", self.name, newest.node, newest.commit[:10]
            )
            report = self._sync(self.config, wait=120.0, target=newest.commit)
        self._beat()
        # Open (and search) a new version here, so no reader's request waits for it.
        publish.warm(self.config)
        return report

    def _beat(self) -> None:
        """Tell the others what this node serves: on every change, and every 30 s."""
        state = serving(self.config)
        if state == self._beat_state and time.monotonic() - self._beat_at < HEARTBEAT_EVERY:
            return
        with database(self.config).session() as session:
            records.heartbeat(session, self.name, state[0], state[1], self._check)
        self._beat_state, self._beat_at = state, time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._listen_url is None:
                    self.check()
                    self._stop.wait(POLL_WITHOUT)
                else:
                    self._follow_notifications(self._listen_url)
            except Exception:  # noqa: BLE001 - a database or git hiccup: try again soon
                log.warning("could not follow the publication record", exc_info=True)
                self._stop.wait(POLL_WITHOUT)

    def _follow_notifications(self, url: str) -> None:
        """LISTEN, then check on every notification and every 30 s (a lost one is not lost)."""
        import psycopg  # the PostgreSQL driver, present whenever the URL names it

        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {records.CHANNEL}")
            self.check()  # after LISTEN: a publish just before it is not missed
            checked = time.monotonic()
            while not self._stop.is_set():
                woke = any(True for _note in conn.notifies(timeout=1.0, stop_after=1))
                if woke or time.monotonic() - checked > POLL_WITH_NOTIFY:
                    self.check()
                    checked = time.monotonic()

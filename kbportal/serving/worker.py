"""The gunicorn worker of `kbportal serve`: uvicorn's event loop (h11) in front of app threads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn_worker import UvicornH11Worker

# Header block (request line included) h11 buffers before giving up. Above the app's own
# KBPORTAL_MAX_URL_LENGTH / KBPORTAL_MAX_HEADER_BYTES, so the app answers those (JSON under
# /api/); only beyond this does the server answer itself, in the same format (see below).
MAX_HEADER_BLOCK = 64 * 1024
PARENT_POLL = 0.2  # seconds between checks that the gunicorn master is still alive
PARENT_GONE_GRACE = 2.0  # seconds in-flight requests get once the master is gone
ACCEPT_PAUSE = 0.0001  # seconds per connection held that a worker waits before its next accept
MAX_ACCEPT_PAUSE = 0.002  # so a worker holding many connections still accepts 500 a second
SWITCH_INTERVAL = 0.0005  # seconds a thread holds the GIL while another waits (Python: 0.005)


class LimitedH11Protocol(H11Protocol):
    """h11 that answers an over-long request line or header block with 414/431, not a bare 400."""

    def send_400_response(self, msg: str) -> None:
        data, _closed = self.conn.trailing_data
        if len(data) < MAX_HEADER_BLOCK:
            super().send_400_response(msg)  # malformed, not too long
            return
        line_end = data.find(b"\r\n")
        status, reason, message = (
            (414, "URI Too Long", "the URL is too long")
            if line_end == -1 or line_end >= MAX_HEADER_BLOCK // 2
            else (
                431,
                "Request Header Fields Too Large",
                "the request's header fields are too large",
            )
        )
        parts = data[: max(line_end, 0) or 256].split(b" ", 2)
        target = parts[1] if len(parts) > 1 else b""
        if target.startswith((b"/api/", b"/hooks/")):
            body, kind = json.dumps({"error": message}).encode(), b"application/json"
        else:
            body, kind = message.encode(), b"text/plain; charset=utf-8"
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: {kind.decode()}"
            f"\r\ncontent-length: {len(body)}\r\nconnection: close"
            "\r\ncache-control: no-store\r\n\r\n"
        ).encode()
        self.transport.write(head + body)  # h11 is in its error state: write the bytes directly
        self.transport.close()


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """An event loop that accepts one connection per wake-up of the listening socket, then
    looks away from it for a moment that grows with the connections it already holds.

    Every worker polls the one socket gunicorn shares; asyncio accepts up to the backlog in one
    go, so the first worker to wake took every connection of a burst (wrk's 16, or a proxy's
    keep-alive pool) and the others sat idle for the life of those connections. One at a time,
    the woken workers take turns. That was not enough when the other worker was busy for the
    millisecond a burst arrived (its GIL held by a page or an analytics write): one worker
    still took all 16 (bench_load.py saw [16, 0], and half the search page's req/s). The pause
    after each accept (`pause_per_connection` per connection held, at most `MAX_ACCEPT_PAUSE`;
    set only when there are several workers) gives the others that time: the less loaded a
    worker, the sooner it takes the next connection.
    """

    pause_per_connection = 0.0

    def _accept_connection(
        self,
        protocol_factory: Any,
        sock: Any,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *args: Any,
    ) -> None:
        super()._accept_connection(  # type: ignore[misc]
            protocol_factory, sock, sslcontext, server, 1, *args
        )
        held = int(getattr(server, "_active_count", 0) or 0) + 1
        pause = min(self.pause_per_connection * held, MAX_ACCEPT_PAUSE)
        if pause <= 0 or server is None or sock.fileno() == -1:
            return
        self._remove_reader(sock.fileno())  # type: ignore[attr-defined]
        self.call_later(
            pause,
            self._resume_accepting,
            protocol_factory,
            sock,
            sslcontext,
            server,
            backlog,
            *args,
        )

    def _resume_accepting(
        self, protocol_factory: Any, sock: Any, sslcontext: Any, server: Any, *rest: Any
    ) -> None:
        if sock.fileno() == -1 or not server.is_serving():
            return  # the server closed meanwhile: never listen again on its socket
        self._start_serving(  # type: ignore[attr-defined]
            protocol_factory, sock, sslcontext, server, *rest
        )


class KBPortalWorker(UvicornH11Worker):
    """A worker that reads requests on an event loop, and exits promptly when its master dies."""

    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "kbportal.serving.worker:FairAcceptLoop",  # uvicorn takes a loop factory
        "http": LimitedH11Protocol,
        "lifespan": "off",
        "h11_max_incomplete_event_size": MAX_HEADER_BLOCK,
        # X-Forwarded-* are honoured by the app only as KBPORTAL_PROXY_FIX says; uvicorn's own
        # handling would trust any local peer and let it choose its address (throttle, sessions).
        "proxy_headers": False,
        "server_header": False,
        # Connections are cheap (a coroutine each) but not free: beyond this, 503 at once.
        "limit_concurrency": 2048,
        "timeout_graceful_shutdown": 20,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_notify = 1  # tell the master we are alive every second

    def init_process(self) -> None:
        # A request crosses between the event loop and a thread a dozen times, each crossing a
        # wait for the GIL: behind a CPU-bound search at Python's default 5 ms interval a 4 ms
        # page took 400 ms. A shorter interval hands the GIL over sooner.
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.cfg.workers > 1:  # alone, a worker takes every connection without waiting
            FairAcceptLoop.pause_per_connection = ACCEPT_PAUSE
        watchdog = threading.Thread(target=self._watch_parent, name="parent-watch", daemon=True)
        watchdog.start()
        super().init_process()

    def _watch_parent(self) -> None:
        """Exit soon after the master is killed (kill -9): nobody else will stop this worker."""
        while os.getppid() == self.ppid:
            time.sleep(PARENT_POLL)
        self.log.warning("gunicorn master %s is gone: worker %s exits", self.ppid, os.getpid())
        # First stop accepting (uvicorn closes its listeners), then cut what is left short.
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(PARENT_GONE_GRACE)
        os.kill(os.getpid(), signal.SIGINT)  # uvicorn: a second signal forces the exit
        time.sleep(PARENT_GONE_GRACE)
        os._exit(1)  # still here: a thread is stuck; the process must not linger

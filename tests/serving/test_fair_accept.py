"""Workers sharing gunicorn's socket take turns: one accepted connection per wake-up."""

from __future__ import annotations

import asyncio
import socket

from kbportal.serving.worker import FairAcceptLoop, KBPortalWorker


class Backlog:
    """A listening socket with real connections waiting: counts what accept() handed out."""

    def __init__(self, waiting: int) -> None:
        self.pairs = [socket.socketpair() for _ in range(waiting)]
        self.accepted = 0

    def accept(self) -> tuple[socket.socket, str]:
        if self.accepted == len(self.pairs):
            raise BlockingIOError
        self.accepted += 1
        return self.pairs[self.accepted - 1][0], "peer"

    def close(self) -> None:
        for ours, theirs in self.pairs:
            ours.close()
            theirs.close()


def accepted_in_one_wake_up(loop: asyncio.AbstractEventLoop) -> int:
    made: list[asyncio.BaseTransport] = []

    class Keep(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.append(transport)

    backlog = Backlog(3)
    try:
        loop._accept_connection(Keep, backlog, None, None, 2048)  # type: ignore[attr-defined]
        loop.run_until_complete(asyncio.sleep(0.01))  # let the accepted ones connect
        for transport in made:
            transport.close()
        loop.run_until_complete(asyncio.sleep(0.01))
        return backlog.accepted
    finally:
        backlog.close()
        loop.close()


def test_one_accept_per_wake_up_not_the_whole_backlog() -> None:
    assert accepted_in_one_wake_up(asyncio.SelectorEventLoop()) == 3  # asyncio's own: all
    assert accepted_in_one_wake_up(FairAcceptLoop()) == 1


def test_the_worker_runs_on_that_loop() -> None:
    assert KBPortalWorker.CONFIG_KWARGS["loop"] == "kbportal.serving.worker:FairAcceptLoop"


def test_after_an_accept_a_worker_holding_connections_looks_away_for_a_moment() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    loop = FairAcceptLoop()
    loop.pause_per_connection = 0.01  # this instance only: 10 ms per connection held

    class Held:
        _active_count = 4  # connections this worker already holds

        def __init__(self) -> None:
            self.serving = True

        def is_serving(self) -> bool:
            return self.serving

        def _attach(self, *transport: object) -> None:  # what asyncio tells its Server
            pass

        def _detach(self, *transport: object) -> None:
            pass

    made: list[asyncio.BaseTransport] = []

    class Keep(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.append(transport)

    server = Held()
    clients = [socket.create_connection(listener.getsockname()) for _ in range(2)]
    try:
        loop._start_serving(Keep, listener, None, server, 100)  # type: ignore[attr-defined]
        loop._accept_connection(Keep, listener, None, server, 100)  # type: ignore[attr-defined]
        selector = loop._selector  # type: ignore[attr-defined]
        assert listener.fileno() not in selector.get_map()  # paused: another worker's turn
        loop.run_until_complete(asyncio.sleep(0.1))  # 5 x 10 ms later: listening again
        assert listener.fileno() in selector.get_map()
        loop._accept_connection(Keep, listener, None, server, 100)  # type: ignore[attr-defined]
        server.serving = False  # closed during the pause: it stays closed
        loop.run_until_complete(asyncio.sleep(0.1))
        assert listener.fileno() not in selector.get_map()
    finally:
        for transport in made:
            transport.close()
        for client in clients:
            client.close()
        loop.run_until_complete(asyncio.sleep(0.01))
        loop.close()
        listener.close()

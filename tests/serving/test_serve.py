"""`kbportal serve` for real: slow clients, huge bodies, long URLs, a killed master."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

from server_process import Served, alive, serve

FORM_HEAD = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail="
)


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or 30 s pass)."""
    sock.settimeout(30)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:  # closed with our unread bytes still queued: the kernel resets
        pass
    return data


def request(served: Served, raw: bytes) -> bytes:
    with served.connect() as sock:
        sock.sendall(raw)
        return answer(sock)


def test_sixteen_slow_bodies_do_not_starve_pages(tmp_path: Path) -> None:
    """16 clients trickling a POST /login body held every thread of the old 2 x 4 server."""
    with serve(tmp_path, workers=1, threads=2) as served:
        slow = [served.connect() for _ in range(16)]
        try:
            for sock in slow:
                sock.sendall(FORM_HEAD)
            for _ in range(3):
                status, _body = served.get("/en/", timeout=20)
                assert status == 200
                for sock in slow:
                    sock.sendall(b"a")  # still sending, a byte at a time
        finally:
            for sock in slow:
                sock.close()


def test_a_body_that_never_finishes_gets_408(tmp_path: Path) -> None:
    with serve(tmp_path, KBPORTAL_REQUEST_BODY_TIMEOUT="1") as served, served.connect() as sock:
        sock.sendall(FORM_HEAD)
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]


def test_declared_1gib_webhook_is_413_without_reading(tmp_path: Path) -> None:
    with serve(tmp_path) as served, served.connect() as sock:
        sock.sendall(
            b"POST /hooks/git HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        )
        reply = answer(sock)  # answered and closed with the body never sent
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body) == {"error": "the request body is too large"}


def test_chunked_webhook_over_the_limit_is_413(tmp_path: Path) -> None:
    chunk = b"x" * 65536
    with serve(tmp_path) as served, served.connect() as sock:
        sock.sendall(
            b"POST /hooks/git HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(64):  # 4 MiB offered against a 1 MiB limit
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            stopped = False
        except OSError:
            stopped = True  # the server stopped reading and closed: that is the point
        reply = answer(sock)
    # The 413 is sent before the close; the client may lose it to the reset that follows.
    assert stopped or reply.startswith(b"HTTP/1.1 413"), reply[:200]


def get_raw(target: bytes, extra: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"


def test_api_urls_and_headers_too_long_for_the_server_are_json(tmp_path: Path) -> None:
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"v" * 4000) for n in range(20))
    with serve(tmp_path) as served:
        over_app = request(served, get_raw(b"/api/v1/search?q=" + b"a" * 9000))
        over_server = request(served, get_raw(b"/api/v1/search?q=" + b"a" * 70000))
        big_headers = request(served, get_raw(b"/api/v1/search?q=a", headers))
        page = request(served, get_raw(b"/en/search?q=" + b"a" * 70000))
    for reply, status in ((over_app, 414), (over_server, 414), (big_headers, 431)):
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d" % status), head
        assert b"application/json" in head.lower()
        assert "error" in json.loads(body)
    assert page.startswith(b"HTTP/1.1 414") and b"application/json" not in page


def test_workers_exit_promptly_when_the_master_is_killed(tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        workers = served.worker_pids()
        assert len(workers) == 2
        slow = served.connect()
        slow.sendall(FORM_HEAD)  # a request in flight must not keep a worker alive
        os.kill(served.proc.pid, signal.SIGKILL)
        served.proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers)
        slow.close()
        try:
            with served.connect():
                refused = False
        except OSError:
            refused = True
        assert refused  # nobody is left accepting connections it will never answer

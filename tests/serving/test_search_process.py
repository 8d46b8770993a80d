"""Issue 7 §2: an expensive search degrades only itself.

`kbportal serve` runs every search in one search process per node, niced below the workers
(no page waits for a search's GIL or CPU), and on threads of each worker that pages do not use
(no page waits for a thread held by a waiting search). These tests check the mechanism, not
timings; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from server_process import alive, serve
from support import write_tree

from kbportal import publish
from kbportal.config import load_config
from kbportal.publish import remote_search
from kbportal.search.types import SearchQuery
from kbportal.serving import searchd
from kbportal.serving.buffered import BufferedWSGI, is_search
from kbportal.viewer import PUBLIC, Viewer

READY = re.compile(r"search process (\d+) ready \(nice (\d+)\)")
ARTICLES = {
    "en/billing/refunds.md": "# Getting a refund\n\nRefunds take five working days.\n",
    "en/billing/invoices.md": "# Invoices\n\nDownload an invoice or a refund receipt.\n",
    "en/staff/_category.yml": "visibility: internal\n",
    "en/staff/refund-policy.md": "# Refund policy\n\nApprove a refund up to 100 EUR.\n",
}


def wait_for(condition, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def test_serve_searches_in_one_niced_search_process(tmp_path: Path) -> None:
    # One search process (the default is one per two cores; test_results_cache.py runs two).
    with serve(tmp_path, workers=2, KBPORTAL_SEARCH_PROCESSES="1") as served:
        for _ in range(6):  # both workers search
            status, body = served.get("/api/v1/search?q=refund")
            assert status == 200 and b"billing/refunds" in body
        started = READY.findall(served.log.read_text())
        assert len(started) == 1, served.log.read_text()  # one per node, not one per worker
        pid = int(started[0][0])
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.nice(0) + 10)
        assert pid not in served.worker_pids()
        assert served.get("/api/v1/autocomplete?q=refu")[0] == 200

        os.kill(pid, signal.SIGKILL)  # a crashed search process costs no search
        for _ in range(4):
            status, body = served.get("/api/v1/search?q=refund")
            assert status == 200 and b"billing/refunds" in body
        master = served.proc
        master.send_signal(signal.SIGTERM)
        master.wait(30)
        again = [int(p) for p, _ in READY.findall(served.log.read_text())]
        # ... and the search processes go with their server.
        assert wait_for(lambda: not any(alive(p) for p in again)), again


@pytest.fixture
def config(tmp_path: Path) -> Iterator[dict[str, object]]:
    root = write_tree(tmp_path / "articles", ARTICLES)
    found = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    publish.build(found)
    yield found
    remote_search.disable()
    publish.close_all()


@pytest.fixture
def master() -> Iterator[subprocess.Popen[bytes]]:
    """A stand-in for the gunicorn master: the search process lives as long as it does."""
    proc = subprocess.Popen(["sleep", "120"])
    yield proc
    proc.kill()
    proc.wait()


def search_process_pid(name: str) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(name)
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[:4], sys.byteorder)


def test_the_search_process_answers_as_the_worker_would(config, master) -> None:  # type: ignore[no-untyped-def]
    kb = publish.kb_for(config)
    queries = [
        SearchQuery("refund", PUBLIC, "en"),
        SearchQuery("refund", Viewer(staff=True), "en"),
        SearchQuery("refnud", PUBLIC, "en"),
        SearchQuery("", PUBLIC, "en"),
    ]
    here = [kb.search(q) for q in queries]
    completions = kb.autocomplete("refu", PUBLIC, "en")
    remote_search.enable(master.pid, Path(str(config["DATA_DIR"])), nice=5)
    there = [kb.search(q) for q in queries]
    pid = search_process_pid(searchd.address(master.pid, Path(str(config["DATA_DIR"]))))
    assert pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.nice(0) + 5)
    assert there == here
    assert "en/staff/refund-policy" not in {h.key for h in there[0].hits}
    assert kb.autocomplete("refu", PUBLIC, "en") == completions
    master.kill()
    master.wait()
    assert wait_for(lambda: not alive(pid))  # its master is gone: so is it


def test_a_search_process_that_cannot_answer_leaves_the_search_to_the_worker(
    config, master, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    kb = publish.kb_for(config)
    expected = kb.search(SearchQuery("refund", PUBLIC, "en"))
    monkeypatch.setattr(remote_search, "START_WAIT", 0.5)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # it can never start
    remote_search.enable(master.pid, Path(str(config["DATA_DIR"])))
    assert kb.search(SearchQuery("refund", PUBLIC, "en")) == expected


def test_with_the_search_process_a_worker_opens_no_index_of_its_own(
    config, master, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    expected = publish.kb_for(config).search(SearchQuery("refund", PUBLIC, "en"))
    publish.close_all()
    remote_search.enable(master.pid, Path(str(config["DATA_DIR"])))
    kb = publish.kb_for(config)  # opened as a worker of `kbportal serve` opens it
    assert kb.search(SearchQuery("refund", PUBLIC, "en")) == expected
    assert kb._searchers == {}  # the memory of an open index is the search process's alone
    remote_search.disable()
    monkeypatch.setattr(remote_search, "START_WAIT", 0.5)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    remote_search.enable(master.pid, Path(str(config["DATA_DIR"])) / "elsewhere")
    assert kb.search(SearchQuery("refund", PUBLIC, "en")) == expected  # opened when needed
    assert list(kb._searchers) == [kb.index_dirs["public"]]


@pytest.mark.skipif(
    os.getuid() != 0 or not os.access("/usr/bin/python3", os.X_OK),
    reason="needs root (to run a client as another user) and a system python3",
)
def test_the_search_process_answers_only_its_own_user(config, master) -> None:  # type: ignore[no-untyped-def]
    kb = publish.kb_for(config)
    remote_search.enable(master.pid, Path(str(config["DATA_DIR"])))
    kb.search(SearchQuery("refund", PUBLIC, "en"))  # started
    name = searchd.address(master.pid, Path(str(config["DATA_DIR"])))
    request = pickle.dumps(("search", "/nowhere", ()))  # a valid frame: answered with an error
    frame = len(request).to_bytes(4, "big") + request
    probe = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.connect({name!r})\n"
        "s.settimeout(10)\n"
        "try:\n"
        f"    s.sendall({frame!r})\n"
        "    sys.exit(0 if s.recv(10) == b'' else 3)\n"
        "except (ConnectionResetError, BrokenPipeError):\n"
        "    sys.exit(0)\n"
    )
    ours = subprocess.run(["/usr/bin/python3", "-c", probe], timeout=30, cwd="/")
    assert ours.returncode == 3  # our own user is answered
    theirs = subprocess.run(["/usr/bin/python3", "-c", probe], user=65534, timeout=30, cwd="/")
    assert theirs.returncode == 0  # another user's connection is closed, nothing unpickled


def test_search_routes_are_told_apart_from_pages() -> None:
    searches = ["/en/search", "/api/v1/search", "/api/v1/autocomplete", "/staff/search"]
    searches += ["/staff/search.json", "/widget/api/suggest", "/en/requests/suggestions"]
    assert all(is_search(path) for path in searches)
    pages = ["/en/", "/en/articles/billing/refunds", "/api/v1/articles/en/search-tips"]
    pages += ["/sitemap.xml", "/en/categories/search"]
    assert not any(is_search(path) for path in pages[:4])


def test_waiting_searches_do_not_hold_the_page_threads() -> None:
    app = Flask(__name__)
    app.config["KBPORTAL_MAX_REQUEST_BODY"] = 1024
    release = threading.Event()

    @app.get("/api/v1/search")
    def slow_search() -> str:
        release.wait(30)  # a search waiting for the search process
        return "found"

    @app.get("/en/")
    def page() -> str:
        return "page"

    served = BufferedWSGI(app, threads=1)

    async def get(path: str) -> bytes:
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode()}
        scope |= {"query_string": b"", "headers": [], "http_version": "1.1", "scheme": "http"}
        scope |= {"server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": ""}
        body: list[bytes] = []
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(60)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.body":
                body.append(bytes(message.get("body", b"")))  # type: ignore[arg-type]

        await served(scope, receive, send)
        return b"".join(body)

    async def scenario() -> tuple[bytes, bytes]:
        searches = [asyncio.create_task(get("/api/v1/search")) for _ in range(3)]
        page = await asyncio.wait_for(get("/en/"), 20)  # the only page thread is free
        release.set()
        found = await asyncio.gather(*searches)
        return page, found[0]

    try:
        assert asyncio.run(scenario()) == (b"page", b"found")
    finally:
        release.set()


def test_the_search_process_closes_indexes_no_worker_asks_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kbportal.content.models import Article, Section
    from kbportal.search import build_index

    folders = []
    for n in range(3):
        folder = tmp_path / f"build{n}"
        text = (Section(anchor="", title="Refund", text="refund rules"),)
        build_index(folder, [Article("en", f"a{n}", f"a{n}.md", "Refund", "", sections=text)])
        folders.append(str(folder))
    clock = [1000.0]
    monkeypatch.setattr(searchd.time, "monotonic", lambda: clock[0])
    searchers = searchd.Searchers(keep=2, idle=60.0)
    old = searchers.get(folders[0])
    assert searchers.get(folders[0]) is old  # kept while asked for
    clock[0] += 30
    new = searchers.get(folders[1])
    assert old._closed is False and new._closed is False
    clock[0] += 45  # the old build: 75 s without a search; the new one was asked for 45 s ago
    assert searchers.get(folders[1]) is new
    assert old._closed and not new._closed
    searchers.get(folders[0])  # asked for again (a worker still on it): opened anew
    searchers.get(folders[2])  # and at most `keep` stay open
    assert new._closed
    try:
        assert searchers.get(folders[2]).search(SearchQuery("refund")).total == 1
    finally:
        for searcher in searchers._open.values():
            searcher.close()

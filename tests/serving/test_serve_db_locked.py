"""A write-locked database holds sign-ins briefly, and public pages not at all (real server)."""

from __future__ import annotations

import http.cookiejar
import re
import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from server_process import Served, serve


def attempt_sign_in(served: Served) -> int:
    """One sign-in through the real form (CSRF and cookie); the status it got."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(served.base + "/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    form = {"email": "agent@example.com", "password": "wrong", "csrf_token": token.group(1)}
    try:
        with opener.open(
            served.base + "/login", urllib.parse.urlencode(form).encode(), timeout=60
        ) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_public_pages_keep_serving_while_the_database_is_write_locked(tmp_path: Path) -> None:
    """The old server: 8 threads held 30 s each by sign-ins, anonymous pages took 30 s."""
    with serve(tmp_path, workers=1, threads=2, KBPORTAL_DB_TIMEOUT="2") as served:
        assert attempt_sign_in(served) == 200  # wrong password; the database now exists
        lock = sqlite3.connect(tmp_path / "data" / "kbportal.sqlite", timeout=10)
        lock.execute("BEGIN IMMEDIATE")  # held for the rest of the test, as a stuck writer would
        lock.execute("DELETE FROM login_attempts")
        statuses: list[int] = []
        signing_in = [
            threading.Thread(target=lambda: statuses.append(attempt_sign_in(served)))
            for _ in range(6)
        ]
        try:
            for thread in signing_in:
                thread.start()
            for path in ("/en/", "/en/search?q=refund", "/api/v1/search?q=refund", "/en/"):
                status, _body = served.get(path, timeout=20)  # the old server: 30 s and more
                assert status == 200, path
            for thread in signing_in:
                thread.join(timeout=60)
            assert statuses == [503] * 6  # sign-in says "try again", after seconds, not minutes
        finally:
            lock.rollback()
            lock.close()
        assert attempt_sign_in(served) == 200  # and works again as soon as the lock is gone

"""The README's first hour, run as a newcomer would: real `kbportal` processes, a real server.

From a checkout that serves its sample help center, the README's own command lines create the
first admin, point the portal at the newcomer's folder, check it, index it over the sample,
serve it with --reload, sign in (landing on the staff workspace), see an edit republished, and
publish a `git push` with `kbportal sync`. Only `--port`/`--workers` are added to `serve` (the
test must not take port 8000) and the password is typed on stdin.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import write_tree

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST_HOUR = README[README.index("### Your first hour") : README.index("### Tests, CI")]
BIN = Path(sys.executable).parent  # where `. .venv/bin/activate` puts `kbportal` on PATH
PASSWORD = "a long first-hour password"
SAMPLE = {"en/start/welcome.md": "# Welcome to the sample\n\nThe sample help center.\n"}
MINE = {
    "en/widgets/reset.md": "# Resetting the widget\n\nHold the button for ten seconds.\n",
    "en/widgets/pair.md": "# Pairing the widget\n\nSee [resetting](reset.md) first.\n",
}


def readme_lines() -> list[str]:
    """The shell lines of the README's first hour, comments dropped."""
    blocks = re.findall(r"```sh\n(.*?)```", FIRST_HOUR, re.S)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def readme_command(start: str) -> list[str]:
    """The README's line that starts with `start`, split as the shell would."""
    found = [line for line in readme_lines() if line.startswith(start)]
    assert found, f"the README's first hour no longer shows `{start}`"
    return shlex.split(found[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class Newcomer:
    """A shell in the checkout with the environment activated: HOME, PATH and exports."""

    def __init__(self, home: Path, checkout: Path) -> None:
        self.checkout = checkout
        self.env = {
            "HOME": str(home),
            "PATH": f"{BIN}{os.pathsep}/usr/bin:/bin",
            "LANG": "C.UTF-8",
        }

    def export(self, line: str) -> None:
        """An `export NAME=value` line of the README (with ~ expanded, as the shell does)."""
        name, _, value = shlex.split(line)[1].partition("=")
        self.env[name] = os.path.expanduser(value.replace("~", self.env["HOME"], 1))

    def run(self, words: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            words,
            cwd=self.checkout,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, words: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                words, cwd=self.checkout, env=self.env, stdout=out, stderr=out,
                start_new_session=True,
            )  # fmt: skip


class Browser:
    """A cookie-keeping HTTP client that follows redirects, like a person's browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> tuple[int, str, str]:
        """Status, final path and text of a page."""
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                url = urllib.parse.urlsplit(response.geturl()).path
                return response.status, url, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, path, error.read().decode("utf-8", "replace")

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            url = urllib.parse.urlsplit(response.geturl()).path
            return response.status, url, response.read().decode("utf-8")


def eventually(check: Callable[[], bool], seconds: float = 90.0) -> bool:
    """Whether `check` comes true within `seconds` (a watcher or a worker acting on its own)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


@pytest.fixture
def newcomer(tmp_path: Path) -> Newcomer:
    """A checkout whose sample help center is built (what `make serve` left behind)."""
    checkout = write_tree(tmp_path / "kbportal", {})
    write_tree(checkout / "articles", SAMPLE)
    person = Newcomer(tmp_path / "home", checkout)
    (tmp_path / "home").mkdir()
    built = person.run(["kbportal", "index"])
    assert built.returncode == 0, built.stderr
    return person


@pytest.fixture
def served(newcomer: Newcomer, tmp_path: Path) -> Iterator[tuple[Newcomer, Browser, Path]]:
    """Steps 1 and 2 of the README done, and `kbportal serve --reload` running on a free port."""
    # 1. The first admin.
    created = newcomer.run(readme_command("kbportal users create"), stdin=f"{PASSWORD}\n" * 2)
    assert created.returncode == 0, created.stderr
    # 2. The newcomer's own folder: a clone of their articles repository (step 3 says so).
    origin = tmp_path / "origin.git"
    editor = write_tree(tmp_path / "editor", MINE)
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(editor, "init", "-q", "-b", "main")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "first articles")
    git(editor, "remote", "add", "origin", str(origin))
    git(editor, "push", "-q", "origin", "main")
    export = next(line for line in readme_lines() if "KBPORTAL_ARTICLES_DIR=" in line)
    newcomer.export(export)
    mine = Path(newcomer.env["KBPORTAL_ARTICLES_DIR"])
    mine.parent.mkdir(parents=True)
    git(mine.parent, "clone", "-q", str(origin), str(mine))

    checked = newcomer.run(readme_command("kbportal check"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 articles checked: 0 errors, 0 warnings" in checked.stdout
    refused = newcomer.run(["kbportal", "index"])  # without --force: says what it would replace
    assert refused.returncode == 1 and ": 1 article from" in refused.stderr, refused.stderr
    indexed = newcomer.run(readme_command("kbportal index --force"))
    assert indexed.returncode == 0, indexed.stderr

    port = free_port()
    serve = readme_command("kbportal serve --reload") + ["--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"
    server = newcomer.start(serve, log)
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        assert eventually(lambda: _answers(browser), seconds=180), log.read_text()
        yield newcomer, browser, editor
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


def _answers(browser: Browser) -> bool:
    try:
        return browser.get("/en/")[0] == 200
    except OSError:
        return False


def test_the_readme_first_hour_reaches_the_workspace_and_my_articles(
    served: tuple[Newcomer, Browser, Path],
) -> None:
    newcomer, browser, editor = served
    # My articles are served, the sample is gone.
    status, _, page = browser.get("/en/articles/widgets/reset")
    assert status == 200 and "Hold the button for ten seconds." in page
    assert browser.get("/en/articles/start/welcome")[0] == 404

    # Sign in as the admin the README created: staff land on their workspace.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get("/login")[2])
    assert token
    form = {"email": "you@example.com", "password": PASSWORD, "csrf_token": token.group(1)}
    status, path, page = browser.post("/login", form)
    assert status == 200 and path.startswith("/staff/"), path
    for link in ("/staff/search", "/staff/templates", "/staff/problems", "/staff/admin/users"):
        assert f'href="{link}"' in page, link

    # --reload: an edit saved in my folder is republished without another command.
    mine = Path(newcomer.env["KBPORTAL_ARTICLES_DIR"])
    (mine / "en/widgets/reset.md").write_text(
        "# Resetting the widget\n\nHold the button for twenty seconds.\n", encoding="utf-8"
    )
    assert eventually(lambda: "twenty seconds" in browser.get("/en/articles/widgets/reset")[2]), (
        "the edit was not republished by serve --reload"
    )
    git(mine, "checkout", "--", ".")  # the editor's change goes through git instead

    # 3. Publish with git: a push, then `kbportal sync`, and the running server shows it.
    write_tree(editor, {"en/widgets/update.md": "# Updating the widget\n\nPlug it in.\n"})
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "add updating")
    git(editor, "push", "-q", "origin", "main")
    synced = newcomer.run(readme_command("kbportal sync"))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert eventually(lambda: browser.get("/en/articles/widgets/update")[0] == 200)

"""Helpers for the cluster tests: real `kbportal serve` nodes, git, a cookie-keeping client."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

KBPORTAL = str(Path(sys.executable).parent / "kbportal")
SECRET = "two-nodes-shared-secret"
HOOK_SECRET = "two-nodes-hook-secret"
STAFF_EMAIL = "agent@example.com"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ann Editor",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Editor",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}
ARTICLES = {
    "en/billing/refunds.md": "# Refunds\n\nRefunds go back to the card.\n",
    "en/internal/runbook.md": (
        "---\ntitle: Escalation runbook\nvisibility: internal\n---\n\nCall the on-call lead.\n"
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for(url: str, seconds: float = 90.0) -> None:
    """Poll until the URL answers at all (any status)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@dataclass
class Node:
    """One `kbportal serve` process."""

    name: str
    url: str
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


@dataclass
class Cluster:
    """An articles repository, an editor's clone and the nodes that publish it."""

    root: Path
    origin: Path
    editor: Path
    database_url: str
    nodes: list[Node] = field(default_factory=list)

    def node_env(self, name: str, **extra: str) -> dict[str, str]:
        articles = self.root / f"{name}-articles"
        if not articles.exists():
            git(self.root, "clone", "-q", "-b", "main", str(self.origin), str(articles))
        return {
            **os.environ,
            **GIT_ENV,
            "KBPORTAL_ARTICLES_DIR": str(articles),
            "KBPORTAL_DATA_DIR": str(self.root / f"{name}-data"),
            "KBPORTAL_DATABASE_URL": self.database_url,
            "KBPORTAL_SECRET_KEY": SECRET,
            "KBPORTAL_WEBHOOK_SECRET": HOOK_SECRET,
            "KBPORTAL_NODE_NAME": name,
            **extra,
        }

    def start(self, name: str) -> Node:
        port = free_port()
        node = Node(
            name, f"http://127.0.0.1:{port}", self.node_env(name), self.root / f"{name}.log"
        )
        cmd = [KBPORTAL, "serve", "--port", str(port), "--workers", "1", "--threads", "4"]
        with node.log.open("wb") as log:
            node.proc = subprocess.Popen(
                cmd, env=node.env, stdout=log, stderr=log, start_new_session=True
            )
        self.nodes.append(node)
        wait_for(node.url + "/en/")
        return node

    def push(self, files: dict[str, str], message: str) -> str:
        for relpath, text in files.items():
            path = self.editor / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(self.editor, "add", "-A")
        git(self.editor, "commit", "-q", "-m", message)
        git(self.editor, "push", "-q", "origin", "HEAD:refs/heads/main")
        return git(self.editor, "rev-parse", "HEAD").strip()

    def logs(self) -> str:
        return "\n".join(
            f"--- {n.name}\n{n.log.read_text(errors='replace')[-3000:]}" for n in self.nodes
        )


def browser() -> urllib.request.OpenerDirector:
    """A client with a cookie jar that does not follow redirects (to see the 302s)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

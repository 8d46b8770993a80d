"""Debian's nginx in front of both nodes, configured as docs/deployment.md says: public pages
come from its cache, signed-in staff and posts go through, and nothing personal is cached."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from cluster_nodes import STAFF_EMAIL, Cluster, browser, free_port, wait_for
from support import TEST_PASSWORD

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def documented_config() -> str:
    """The nginx `http` block from docs/deployment.md (between its nginx-test markers)."""
    text = DOCS.read_text()
    block = text.split("<!-- nginx-test:start -->", 1)[1].split("<!-- nginx-test:end -->", 1)[0]
    return block.split("```nginx", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def front(cluster: Cluster) -> Iterator[str]:
    """nginx on a free port with the documented site, upstreams and paths made local."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (.ci/run installs Debian's)")
    work = cluster.root / "nginx"
    for sub in ("cache", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    site = documented_config()
    servers = "\n".join(f"    server {node.url.removeprefix('http://')};" for node in cluster.nodes)
    site = re.sub(
        r"upstream kbportal \{.*?\n\}",
        f"upstream kbportal {{\n{servers}\n    keepalive 16;\n}}",
        site,
        flags=re.S,
    )
    site = site.replace("/var/cache/nginx/kbportal", str(work / "cache"))
    # TLS needs a certificate this test does not have: the same site, on plain HTTP.
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, flags=re.S)
    site = re.sub(r"listen 443 ssl[^;]*;", f"listen 127.0.0.1:{port};", site)
    site = re.sub(r"\n\s*ssl_[a-z_]+ [^;]+;", "", site)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach pytest's tmp folder
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\n"
        f"error_log {work}/error.log warn;\nevents {{ worker_connections 128; }}\n"
        f"http {{\n  access_log {work}/access.log;\n"
        + "".join(
            f"  {kind}_temp_path {work / kind.split('_')[0]};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + site
        + "\n}\n"
    )
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(work)], start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/en/", 30)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGQUIT)
        proc.wait(timeout=30)


def get(url: str, **headers: str) -> tuple[int, Message, str]:
    """Status, headers (names in any case) and body of a GET."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_public_pages_come_from_the_cache(front: str) -> None:
    url = f"{front}/en/categories/billing?cache-test={time.time_ns()}"
    first = get(url)
    second = get(url)
    assert first[0] == second[0] == 200
    assert first[1]["X-Cache-Status"] == "MISS" and second[1]["X-Cache-Status"] == "HIT"
    assert "Cookie" in second[1]["Vary"] and "public" in second[1]["Cache-Control"]
    assert second[1]["Set-Cookie"] is None and "Sign out" not in second[2]


def test_article_views_always_reach_a_node(front: str) -> None:
    # Views are counted where the page is rendered: articles are never answered from the cache.
    url = f"{front}/en/articles/billing/refunds"
    statuses = {get(url)[1]["X-Cache-Status"] for _ in range(3)}
    assert statuses == {"BYPASS"}


def test_staff_go_past_the_cache_and_their_pages_are_never_stored(front: str) -> None:
    client = browser()
    token = CSRF.search(client.open(f"{front}/login").read().decode()).group(1)  # type: ignore[union-attr]
    form = {"email": STAFF_EMAIL, "password": TEST_PASSWORD, "csrf_token": token}
    try:  # a POST through nginx's request buffering, to whichever node it picks
        client.open(f"{front}/login", data=urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()
    page = f"{front}/en/articles/internal/runbook"
    for _ in range(3):  # both nodes (round robin) know the session
        with client.open(page) as response:
            assert "on-call lead" in response.read().decode()
            assert response.headers["X-Cache-Status"] == "BYPASS"
            assert "public" not in response.headers["Cache-Control"]
    for _ in range(2):  # and a customer never gets the staff member's copy
        status, headers, body = get(page)
        assert status == 404 and "on-call lead" not in body
        home = get(f"{front}/en/")
        assert "Sign out" not in home[2] and "Escalation runbook" not in home[2]

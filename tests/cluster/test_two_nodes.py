"""Two `kbportal serve` nodes on one PostgreSQL: a webhook on one publishes on both; a session
made on one is good on the other; a node with another secret key is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from cluster_nodes import (
    HOOK_SECRET,
    KBPORTAL,
    STAFF_EMAIL,
    Cluster,
    browser,
    free_port,
)
from support import TEST_PASSWORD

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def found(url: str, word: str) -> bool:
    with urllib.request.urlopen(f"{url}/api/v1/search?q={word}", timeout=10) as response:
        return json.load(response)["total"] > 0


def call_webhook(url: str, commit: str) -> int:
    push = {"ref": "refs/heads/main", "after": commit, "repository": {"pushed_at": time.time()}}
    body = json.dumps(push).encode()
    digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{url}/hooks/git",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"delivery-{time.time_ns()}",
            "X-Hub-Signature-256": f"sha256={digest}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202, response.read()
        return response.status


def test_a_webhook_on_one_node_publishes_on_both(cluster: Cluster) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    commit = cluster.push({"en/billing/wombat.md": "# Wombat billing\n\nWombat invoices.\n"}, "w")
    assert call_webhook(a.url, commit) == 202
    deadline = time.monotonic() + 60  # a functional wait, not a timing assertion
    while not (found(a.url, "wombat") and found(b.url, "wombat")):
        assert time.monotonic() < deadline, cluster.logs()
        time.sleep(0.1)

    # Staff see every node's commit; both serve the pushed one.
    client = browser()
    token = CSRF.search(client.open(f"{a.url}/login").read().decode()).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode(
        {"email": STAFF_EMAIL, "password": TEST_PASSWORD, "csrf_token": token}
    ).encode()
    # The form (and its CSRF token) came from a; the sign-in lands on b.
    try:
        client.open(f"{b.url}/login", data=form)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()
    page = client.open(f"{a.url}/staff/problems").read().decode()  # recognised on a
    assert "Web nodes" in page and ">a<" in page and ">b<" in page
    assert page.count(commit[:10]) >= 2 and "behind" not in page
    internal = client.open(f"{b.url}/en/articles/internal/runbook").read().decode()
    assert "on-call lead" in internal


def test_a_node_with_another_secret_key_refuses_to_start(cluster: Cluster) -> None:
    env = cluster.node_env("c")
    del env["KBPORTAL_SECRET_KEY"]  # falls back to a random key in its own data folder
    cmd = [KBPORTAL, "serve", "--port", str(free_port()), "--workers", "1"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "KBPORTAL_SECRET_KEY" in done.stderr and "a, b" in done.stderr


def test_sign_in_throttling_counts_failures_on_every_node(cluster: Cluster) -> None:
    nodes = cluster.nodes[:2]
    client = browser()

    def attempt(url: str) -> int:
        token = CSRF.search(client.open(f"{url}/login").read().decode()).group(1)  # type: ignore[union-attr]
        form = {"email": "guess@example.com", "password": "wrong guess", "csrf_token": token}
        try:
            return int(
                client.open(f"{url}/login", data=urllib.parse.urlencode(form).encode()).status
            )
        except urllib.error.HTTPError as answer:
            return answer.code

    # Failures alternate between the nodes; the limit (5 per account) holds for the pair.
    statuses = [attempt(nodes[n % 2].url) for n in range(5)]
    assert 429 not in statuses
    assert attempt(nodes[0].url) == attempt(nodes[1].url) == 429

"""Push-to-search latency: a real `git push` of a one-article change until search finds it.

Setup: the tldr corpus (8,325 pages) committed to a bare repository, an editor's clone, the
portal's working copy, an initial full sync, and `kbportal serve` (gunicorn, 2 workers) with
the webhook enabled. Each round edits one page with a new nonsense word, commits, pushes,
POSTs the signed webhook (as GitHub would), then polls GET /api/v1/search until the word is
found. Reported: end-to-end time (median, max) and its parts.

With --nodes 2 (needs KBPORTAL_TEST_POSTGRES_URL: a schema of that database is made and
dropped), every node has its own working copy and data folder and all share the database and
secret key; the webhook goes to the first node, and each node is polled until it finds the
word: the others' times show how far behind the first they publish (target: within 2 s).

    .venv/bin/python benchmarks/bench_push_to_search.py [--rounds 7] [--nodes 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# throwaway_db (scratch PostgreSQL schemas) is a test helper: it lives in tests/, not the package.
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))
from harness import free_port, serve, stop  # noqa: E402
from tldr_data import tldr_root  # noqa: E402

BIN = Path(sys.executable).parent
SECRET = "bench-secret"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench Editor",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench Editor",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_webhook(url: str, branch: str = "main") -> dict:
    # A new body each push, as a git host sends: the portal ignores a replayed delivery.
    push = {"ref": f"refs/heads/{branch}", "after": f"{time.time_ns():040x}"[-40:]}
    body = json.dumps(push).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": f"sha256={digest}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def setup(work: Path) -> tuple[Path, Path, Path]:
    """Bare origin with the corpus committed, and the portal's clone; returns the paths."""
    origin, editor, portal = work / "origin.git", work / "editor", work / "portal"
    if origin.is_dir() and editor.is_dir() and portal.is_dir():
        print(f"reusing the repositories in {work}")
        git(portal, "reset", "-q", "--hard")  # the portal's copy is never edited by hand
        return origin, editor, portal
    git(work, "init", "-q", "--bare", "-b", "main", str(origin))
    started = time.perf_counter()
    shutil.copytree(tldr_root(), editor, ignore=shutil.ignore_patterns("LICENSE.md"))
    git(editor, "init", "-q", "-b", "main")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "tldr corpus")
    git(editor, "remote", "add", "origin", str(origin))
    git(editor, "push", "-q", "origin", "main")
    git(work, "clone", "-q", "-b", "main", str(origin), str(portal))
    print(
        f"repository: {len(list(editor.rglob('*.md')))} pages committed and cloned "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return origin, editor, portal


def workers_rss_mb(master: subprocess.Popen[bytes]) -> list[int]:
    """Resident memory of each gunicorn worker of a server, in MB."""
    out = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True)
    sizes = []
    for pid in out.stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(status.split("VmRSS:")[1].split()[0]) // 1024)
    return sizes


def start_node(
    name: str, work: Path, origin: Path, base_env: dict[str, str], workers: int
) -> tuple[str, subprocess.Popen[bytes]]:
    """Clone (if needed), fully sync and serve one node; its URL and server process."""
    portal = work / ("portal" if name == "node0" else f"portal-{name}")
    if not portal.is_dir():
        git(work, "clone", "-q", "-b", "main", str(origin), str(portal))
    data = work / ("data" if name == "node0" else f"data-{name}")
    env = {
        **base_env,
        "KBPORTAL_ARTICLES_DIR": str(portal),
        "KBPORTAL_DATA_DIR": str(data),
        "KBPORTAL_NODE_NAME": name,
    }
    started = time.perf_counter()
    # --force: a full build even when reusing, so the build matches the code's formats.
    first = subprocess.run(
        [str(BIN / "kbportal"), "sync", "--json", "--force"],
        env=env,
        capture_output=True,
        text=True,
    )
    if first.returncode != 0:
        raise SystemExit(f"initial sync failed: {first.stdout}{first.stderr}")
    message = json.loads(first.stdout).get("message") or "nothing new"
    print(f"{name}: initial sync ({message}): {time.perf_counter() - started:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(
        [str(BIN / "kbportal"), "serve", "--port", str(port), "--workers", str(workers)],
        env,
        f"{base}/api/v1/search?q=tar",
        log=(work / f"server-{name}.log").open("ab"),
        seconds=600,
    )
    return base, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (reused when run again)"
    )
    args = parser.parse_args()
    # On SIGTERM still run the cleanup below, so the server we started does not outlive us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-push-"))
    work.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:  # undone in reverse: servers, database, folder
        if args.keep is None:
            stack.callback(shutil.rmtree, work, ignore_errors=True)
        env = {
            **os.environ,
            "KBPORTAL_WEBHOOK_SECRET": SECRET,
            "KBPORTAL_GIT_BRANCH": "main",
            "KBPORTAL_GIT_REMOTE": "origin",
        }
        if args.nodes > 1:
            from throwaway_db import temporary_database

            url = stack.enter_context(temporary_database("postgresql", work))
            env |= {"KBPORTAL_DATABASE_URL": url, "KBPORTAL_SECRET_KEY": "bench-shared-key"}
        run_rounds(args, work, env, stack)


def run_rounds(
    args: argparse.Namespace, work: Path, env: dict[str, str], stack: contextlib.ExitStack
) -> None:
    """Start the nodes, then push, call the webhook on the first node and poll every node."""
    origin, editor, _portal = setup(work)
    nodes, servers = [], []
    for n in range(args.nodes):
        base, server = start_node(f"node{n}", work, origin, env, args.workers)
        stack.callback(stop, server)
        nodes.append(base)
        servers.append(server)
    rss_before = workers_rss_mb(servers[0])
    pages = sorted((editor / "en" / "common").glob("*.md"))
    rng = random.Random(11)  # the same pages every run...
    words = random.Random()  # ...but new words, so a reused KB does not know them yet
    totals, pushes, acks, visible = [], [], [], []
    behind: list[list[float]] = [[] for _ in nodes[1:]]
    for round_no in range(args.rounds):
        page = rng.choice(pages)
        word = "zq" + "".join(words.choice(string.ascii_lowercase) for _ in range(10))
        with page.open("a", encoding="utf-8") as handle:
            handle.write(f"\n- Benchmark marker {word}:\n\n`true`\n")
        git(editor, "commit", "-q", "-am", f"bench round {round_no}")
        t0 = time.perf_counter()
        git(editor, "push", "-q", "origin", "main")
        t1 = time.perf_counter()
        post_webhook(f"{nodes[0]}/hooks/git")
        t2 = time.perf_counter()
        found: dict[str, float] = {}
        deadline = t2 + 60
        while len(found) < len(nodes):
            if time.perf_counter() > deadline:
                raise SystemExit(f"round {round_no}: {word} never became searchable everywhere")
            for base in nodes:
                if base not in found and get_json(f"{base}/api/v1/search?q={word}")["total"] > 0:
                    found[base] = time.perf_counter()
            time.sleep(0.02)
        t3 = found[nodes[0]]
        totals.append(t3 - t0)
        pushes.append(t1 - t0)
        acks.append(t2 - t1)
        visible.append(t3 - t2)
        for n, base in enumerate(nodes[1:]):
            behind[n].append(found[base] - t3)
        time.sleep(0.05)  # let the sync thread record its report
        last = json.loads((work / "data" / "sync" / "state.json").read_text())["last"]
        steps = " ".join(f"{k} {v:.2f}" for k, v in last.get("timings", {}).items())
        others = "".join(f", node{n + 1} +{b[-1]:.2f} s" for n, b in enumerate(behind))
        print(
            f"round {round_no}: {page.relative_to(editor)}: push {t1 - t0:.2f} s, "
            f"webhook {1000 * (t2 - t1):.0f} ms, sync+visible {t3 - t2:.2f} s, "
            f"total {t3 - t0:.2f} s [sync {last['seconds']:.2f} s: {steps}]{others}"
        )
        time.sleep(0.5)

    state = json.loads((work / "data" / "sync" / "state.json").read_text())
    print(
        f"\npush-to-search over {args.rounds} pushes (tldr, {args.nodes} node(s) x "
        f"{args.workers} workers): median {statistics.median(totals):.2f} s, "
        f"max {max(totals):.2f} s (target <= 2 s)"
    )
    print(
        f"  git push: median {statistics.median(pushes):.2f} s; webhook answer: median "
        f"{1000 * statistics.median(acks):.0f} ms; sync until searchable: median "
        f"{statistics.median(visible):.2f} s, max {max(visible):.2f} s"
    )
    for n, times in enumerate(behind):
        print(
            f"  node{n + 1} (followed the publication record): found "
            f"{statistics.median(times):.2f} s after the first node (median), "
            f"max {max(times):.2f} s (target <= 2 s)"
        )
    last = state["last"]
    steps = ", ".join(f"{k} {v:.2f}" for k, v in last.get("timings", {}).items())
    print(f"  last sync: {last['message']}, {last['seconds']:.2f} s ({steps})")
    rss_after = workers_rss_mb(servers[0])
    time.sleep(12)  # old versions close 10 s after their last use (publish.accessor)
    for _ in range(8):  # a few requests, so each worker closes what it retired
        get_json(f"{nodes[0]}/api/v1/search?q=tar")
    print(
        f"  first node's worker RSS: {rss_before} MB before the pushes, {rss_after} MB right "
        f"after {args.rounds} publishes, {workers_rss_mb(servers[0])} MB once old versions closed"
    )


if __name__ == "__main__":
    main()

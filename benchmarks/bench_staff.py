"""Agents' workspace under a real `kbportal serve` on loopback, on the sample KB + tldr corpus.

1. Latency: staff search page, staff JSON and staff API (Bearer) p50/p95/p99 beside the public
   search page and public API, same queries, same server, interleaved (target: staff p95 within
   1.5x of public p95).
2. Load: many agent sessions at once sign in, search, copy links, sign out and in again; then
   the copy_link events in the database must equal the copies the server acknowledged, with no
   errors. On SQLite and, when scripts/test-postgres.sh can start one, on PostgreSQL.

    .venv/bin/python benchmarks/bench_staff.py [--queries 200] [--sessions 32] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
# throwaway_db (scratch PostgreSQL schemas) is a test helper: it lives in tests/, not the package.
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))
from harness import free_port, serve, stop  # noqa: E402
from tldr_data import queries, tldr_root  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "bench password 12345"
WARM_UP = 20
SAMPLE_QUERIES = ["refund", "reset password", "escalation", "sms not arriving", "invoice"]


class Client:
    """A browser-like HTTP client: cookies kept, one keep-alive connection (or none)."""

    def __init__(self, port: int, keep_alive: bool = True, token: str = "") -> None:
        self.port, self.keep_alive, self.token = port, keep_alive, token
        self.cookies: dict[str, str] = {}
        self.conn: HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if not self.keep_alive:
            sent["Connection"] = "close"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                # Only a GET may be repeated: a POST may have been carried out already.
                if attempt == 2 or method != "GET" or not self.keep_alive:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if not self.keep_alive:
            self.conn.close()
            self.conn = None
        return response.status, data

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def csrf(self, path: str, pattern: str) -> str:
        status, page = self.get(path)
        match = re.search(pattern, page.decode())
        if status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1)

    def sign_in(self, email: str) -> str:
        """Sign in through the form; returns the staff pages' CSRF token."""
        token = self.csrf("/login", r'name="csrf_token" type="hidden" value="([^"]+)"')
        form = urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
        kind = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = self.request("POST", "/login", form, kind)
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")
        return self.csrf("/staff/search", r'name="csrf-token" content="([^"]+)"')

    def sign_out(self) -> None:
        token = self.csrf("/logout", r'name="csrf_token" type="hidden" value="([^"]+)"')
        form = urlencode({"csrf_token": token}).encode()
        kind = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = self.request("POST", "/logout", form, kind)
        if status != 302:
            raise RuntimeError(f"sign-out answered {status}")


def corpus(work: Path) -> Path:
    """The sample articles and the tldr corpus side by side in one articles folder."""
    target = work / "articles"
    shutil.copytree(REPO / "articles", target, ignore=shutil.ignore_patterns("_README.md"))
    tldr = tldr_root()
    for locale_dir in tldr.iterdir():
        if locale_dir.is_dir():
            shutil.copytree(locale_dir, target / locale_dir.name, dirs_exist_ok=True)
    return target


def prepare(env: dict[str, str], emails: list[str]) -> str:
    """Create the staff accounts; returns an API token of the first one."""
    from kbportal import create_app
    from kbportal.accounts import services, tokens
    from kbportal.db import get_database

    app = create_app(
        {k.removeprefix("KBPORTAL_"): v for k, v in env.items() if k.startswith("KBPORTAL_")}
    )
    session = get_database(app).session()
    try:
        for email in emails:
            services.create_user(session, email, PASSWORD, role="agent")
        _row, raw = tokens.create_token(session, emails[0], "bench")
    finally:
        session.close()
        get_database(app).dispose()
    return raw


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}


def latency_run(port: int, token: str, email: str, texts: list[str]) -> dict[str, dict]:
    """Every query through every path, interleaved, one request at a time (milliseconds)."""
    public, staff, api = Client(port), Client(port), Client(port, token=token)
    staff.sign_in(email)
    paths = {
        "public search page": (public, "/en/search?q={}"),
        "public API search": (public, "/api/v1/search?locale=en&q={}"),
        "staff search page": (staff, "/staff/search?locale=en&q={}"),
        "staff search JSON": (staff, "/staff/search.json?locale=en&q={}"),
        "staff API (token)": (api, "/api/v1/search?locale=en&q={}"),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    for i, text in enumerate(texts):
        for name in names[i % len(names) :] + names[: i % len(names)]:  # rotate who goes first
            client, pattern = paths[name]
            start = time.perf_counter()
            status, _ = client.get(pattern.format(quote(text)))
            elapsed = (time.perf_counter() - start) * 1000
            if status != 200:
                raise RuntimeError(f"{name}: {status} for {text!r}")
            if i >= WARM_UP:  # the first queries warm caches and the index readers
                times[name].append(elapsed)
    return {name: percentiles(samples) for name, samples in times.items()}


def agent_session(
    port: int, email: str, texts: list[str], rounds: int, tally: Counter[str], lock: threading.Lock
) -> None:
    """One agent: sign in, search and copy `rounds` times, signing out and in halfway."""
    client = Client(port, keep_alive=False)
    local: Counter[str] = Counter()
    try:
        csrf = client.sign_in(email)
        local["logins"] += 1
        for i in range(rounds):
            if i == rounds // 2:
                client.sign_out()
                csrf = client.sign_in(email)
                local["logins"] += 1
            status, body = client.get(
                "/staff/search.json?locale=en&q=" + quote(texts[i % len(texts)])
            )
            local["searches"] += 1
            if status != 200:
                local[f"error: search {status}"] += 1
                continue
            hits = json.loads(body)["hits"] or [{"key": "en/billing/refunds", "anchor": ""}]
            hit = hits[i % len(hits)]
            how = "section" if hit["anchor"] else "link"
            payload = {"article": hit["key"], "section": hit["anchor"], "how": how}
            local["copies sent"] += 1
            status, _ = client.request(
                "POST",
                "/staff/copies",
                json.dumps(payload).encode(),
                {"Content-Type": "application/json", "X-CSRFToken": csrf},
            )
            local["copies acknowledged" if status == 201 else f"error: copy {status}"] += 1
    except Exception as error:  # noqa: BLE001 - counted and printed, the run goes on
        local[f"error: {type(error).__name__}: {error}"[:120]] += 1
    with lock:
        tally.update(local)


def load_run(port: int, emails: list[str], texts: list[str], rounds: int) -> tuple[Counter, float]:
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    threads = [
        threading.Thread(target=agent_session, args=(port, email, texts, rounds, tally, lock))
        for email in emails
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - start


def stored_copies(database_url: str) -> int:
    from sqlalchemy import func, select

    from kbportal.agents.reports import KIND
    from kbportal.analytics.models import AgentCopy
    from kbportal.db import Database

    database = Database(database_url, auto_upgrade=False)
    try:
        with database.session() as session:
            stmt = select(func.count(AgentCopy.id)).where(AgentCopy.kind == KIND)
            return int(session.scalar(stmt) or 0)
    finally:
        database.engine.dispose()


def run_backend(
    label: str, env: dict[str, str], args: argparse.Namespace, texts: list[str], latency: bool
) -> bool:
    emails = [f"agent{n}@bench.example" for n in range(args.sessions)]
    token = prepare(env, emails)
    port = free_port()
    cmd = [str(BIN / "kbportal"), "serve", "--port", str(port), "--workers", str(args.workers)]
    proc = serve(cmd, env, f"http://127.0.0.1:{port}/en/")
    try:
        if latency:
            rows = latency_run(port, token, emails[0], texts)
            public = rows["public search page"]["p95"]
            public_api = rows["public API search"]["p95"]
            print(f"\nlatency ({len(texts) - WARM_UP} queries each, ms, {args.workers} workers)")
            for name, row in rows.items():
                base = public_api if "API" in name or "JSON" in name else public
                print(
                    f"  {name:20s} p50 {row['p50']:6.1f}  p95 {row['p95']:6.1f}  "
                    f"p99 {row['p99']:6.1f}  p95 vs public {row['p95'] / base:4.2f}x"
                )
        tally, seconds = load_run(port, emails, texts, args.rounds)
    finally:
        stop(proc)
    stored = stored_copies(env["KBPORTAL_DATABASE_URL"])
    errors = {k: v for k, v in tally.items() if k.startswith("error")}
    acked = tally["copies acknowledged"]
    print(f"\nload on {label}: {args.sessions} sessions x {args.rounds} rounds in {seconds:.1f} s")
    print(
        f"  logins {tally['logins']}, searches {tally['searches']}, copies sent "
        f"{tally['copies sent']}, acknowledged {acked}, stored {stored}, errors {errors or 0}"
    )
    ok = not errors and stored == acked == tally["copies sent"]
    print(f"  {'OK: no errors, no lost events' if ok else 'FAILED'}")
    return ok


def postgres_base() -> str | None:
    """The throwaway PostgreSQL of scripts/test-postgres.sh, or None if it cannot start."""
    try:
        out = subprocess.run(
            [str(REPO / "scripts/test-postgres.sh")],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as error:
        print(f"PostgreSQL unavailable, skipped: {error}")
        return None
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-staff-"))
    ok = True
    try:
        articles = corpus(work)
        tldr = queries(tldr_root(), args.queries + WARM_UP)
        # Warm-up queries first (not measured), then the sample's questions and tldr's.
        texts = tldr[:WARM_UP] + SAMPLE_QUERIES * 4 + tldr[WARM_UP:]
        env = {
            **os.environ,
            "KBPORTAL_ARTICLES_DIR": str(articles),
            "KBPORTAL_DATA_DIR": str(work / "data"),
            "KBPORTAL_DATABASE_URL": f"sqlite:///{work / 'data' / 'kbportal.sqlite'}",
        }
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "kbportal"), "index"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"built {articles}: sample + tldr in {time.perf_counter() - started:.0f} s")
        ok &= run_backend("SQLite", env, args, texts, latency=True)
        base = None if args.no_postgres else postgres_base()
        if base:
            from throwaway_db import POSTGRES_ENV, temporary_database

            os.environ[POSTGRES_ENV] = base
            with temporary_database("postgresql", work) as url:
                ok &= run_backend(
                    "PostgreSQL", {**env, "KBPORTAL_DATABASE_URL": url}, args, texts, latency=False
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

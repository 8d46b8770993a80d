"""Support requests under load: form submit p95, relay throughput and delivery lag, suggestion
latency as the customer types, each beside a baseline measured in the same run.

`kbportal serve` (2 workers, the relay running in each) serves the sample help center; this
process is the second process that loads it, and it also runs the local webhook receiver.

- submit: GET the form, then POST it (the timed part: check, request + outbox in one
  transaction, 303), from 4 client threads; baseline: GET of an article page, same threads.
- delivery lag: from the submit's answer to the signed webhook's arrival at the receiver
  (the background relays of the web workers).
- relay throughput: N requests already waiting, one `kbportal deliver` process drains them to
  the receiver; baseline: the same N bodies POSTed straight to the receiver from here.
- suggestions: every prefix (3+ characters) of 40 customer phrasings, as the form's script
  asks while typing; baseline: the as-you-type title autocomplete, same prefixes.

Usage: .venv/bin/python benchmarks/bench_requests.py [--submits 200] [--drain 300]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
from harness import free_port, pct, serve, stop
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
PHRASES = [
    "sms reminders are not arriving", "my clients do not get reminders", "cannot sign in",
    "forgot my password", "how do I get a refund", "charged twice for my subscription",
    "google calendar is not syncing", "outlook calendar events missing", "change my plan",
    "cancel my subscription", "download an invoice", "add a staff member",
    "set up online prepayment", "no free times on the booking page", "double bookings",
    "wrong time zone on bookings", "export my data", "delete my account",
    "two factor authentication code", "change my email address", "connect telegram bot",
    "whatsapp notifications", "payment failed", "set up the booking page",
    "add services and prices", "waitlist for full days", "mobile app for staff",
    "reports on revenue", "zapier integration", "rest api key",
    "webhooks for new bookings", "1c integration", "roles and access for staff",
    "clients list import", "reminder message text", "booking page language",
    "free trial length", "is my data secure", "refund to a client", "quick start guide",
]  # fmt: skip


class Receiver:
    """A webhook consumer recording when each webhook-id first arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"

    def app(self, environ: dict, start_response: object) -> object:
        request = Request(environ)
        request.get_data()
        key = request.headers.get("webhook-id", "")
        with self.lock:
            self.arrived.setdefault(key, time.monotonic())
        return Response("", status=204)(environ, start_response)  # type: ignore[arg-type]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:.1f} / p95 {pct(values, 95) * 1000:.1f} ms"


def submit_load(base: str, count: int) -> tuple[list[float], dict[str, float]]:
    """POST latencies of `count` submits from 4 threads, and when each reference was answered."""
    done: dict[str, float] = {}

    def one(i: int) -> float:
        with httpx.Client(base_url=base, timeout=30) as client:
            form = client.get("/en/requests/new?type=question").text
            data = dict(HIDDEN.findall(form[form.index('class="request-form"') :]))
            data.update(
                subject=f"Benchmark request {i}",
                description="Where do I find the invoice for October?",
                email=f"bench{i}@example.com",
                send_anyway="1",
            )
            start = time.perf_counter()
            answer = client.post("/en/requests/new", data=data)
            took = time.perf_counter() - start
            assert answer.status_code == 303, answer.text[:500]
            done[answer.headers["Location"].split("/")[3].split("?")[0]] = time.monotonic()
            return took

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count))), done


def page_load(base: str, count: int) -> list[float]:
    paths = ["/en/articles/billing/refunds", "/en/articles/troubleshooting/sms-not-arriving"]

    def one(i: int) -> float:
        with httpx.Client(base_url=base, timeout=30) as client:
            start = time.perf_counter()
            assert client.get(paths[i % 2]).status_code == 200
            return time.perf_counter() - start

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def typing(base: str, path: str) -> list[float]:
    """Latency of every prefix of every phrase, as a script would ask while typing."""
    took = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for phrase in PHRASES:
            for end in range(3, len(phrase) + 1, 2):  # every other keystroke: the debounce
                start = time.perf_counter()
                assert client.get(path + quote(phrase[:end])).status_code == 200
                took.append(time.perf_counter() - start)
    return took


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per received webhook
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--drain", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-requests-"))
    receiver = Receiver()
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(ROOT / "articles"),
        "KBPORTAL_DATA_DIR": str(work / "data"),
        "KBPORTAL_REQUESTS_WEBHOOK_URL": receiver.url,
        "KBPORTAL_REQUESTS_WEBHOOK_SECRET": "whsec_YmVuY2htYXJrLXNlY3JldA==",
        "KBPORTAL_REQUESTS_MIN_SECONDS": "0",
        "KBPORTAL_REQUESTS_RATE_LIMIT": "1000000",
    }
    subprocess.run([str(BIN / "kbportal"), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("wb")
    proc = serve([str(BIN / "kbportal"), "serve", "--port", str(port)], env, base + "/en/", log=log)
    try:
        time.sleep(3)  # both workers warm
        page_load(base, 40)  # warm caches and connections
        baseline = page_load(base, args.submits)
        submits, done = submit_load(base, args.submits)
        deadline = time.monotonic() + 120
        while len([k for k in done if f"{k}.created" in receiver.arrived]) < len(done):
            assert time.monotonic() < deadline, "deliveries did not all arrive"
            time.sleep(0.05)
        lags = [receiver.arrived[f"{k}.created"] - t for k, t in done.items()]
        suggest = typing(base, "/en/requests/suggestions?type=problem&q=")
        autocomplete = typing(base, "/api/v1/autocomplete?locale=en&q=")
    finally:
        stop(proc)
    # Relay throughput: requests waiting in the database, one `kbportal deliver` drains them.
    env_off = {**env, "KBPORTAL_REQUESTS_RELAY": "false"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve([str(BIN / "kbportal"), "serve", "--port", str(port)], env_off, base + "/en/")
    try:
        _, waiting = submit_load(base, args.drain)
    finally:
        stop(proc)
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "kbportal"), "deliver"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    relay_seconds = time.perf_counter() - start
    assert all(f"{k}.created" in receiver.arrived for k in waiting)
    body = b'{"id": "x", "padding": "' + b"x" * 1500 + b'"}'
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for i in range(args.drain):
            client.post(receiver.url, content=body, headers={"webhook-id": f"raw-{i}"})
    raw_seconds = time.perf_counter() - start
    receiver.close()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.submits} submits, 4 client threads")
    print(f"form submit (POST, 303)        {ms(submits)}")
    print(f"  baseline: article page GET   {ms(baseline)}")
    print(f"delivery lag, submit->webhook  {ms(lags)}")
    arrivals = sorted(receiver.arrived[f"{k}.created"] for k in waiting)
    span = arrivals[-1] - arrivals[0]
    print(
        f"relay throughput               {(len(arrivals) - 1) / span:.0f} deliveries/s "
        f"(first to last arrival; {args.drain} in {relay_seconds:.2f} s with process start)"
    )
    print(f"  baseline: raw POSTs          {args.drain / raw_seconds:.0f} requests/s")
    print(f"suggestions while typing       {ms(suggest)} ({len(suggest)} keystrokes)")
    print(f"  baseline: title autocomplete {ms(autocomplete)}")


if __name__ == "__main__":
    main()

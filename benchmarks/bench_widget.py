"""The widget's cost: its public API per request beside plain search, and what a host page loads.

In-process (Flask's test client, no network) over the repository's sample help center: the
suggest API (with and without a request type) against GET /api/v1/search for the same
questions as the baseline, a beacon, the panel page, and widget.js raw and gzipped. Usage:
    .venv/bin/python benchmarks/bench_widget.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kbportal import create_app, publish
from kbportal.publish import get_kb
from kbportal.web.services import public_articles

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="kb-widget-"))
    try:
        app = create_app({"ARTICLES_DIR": str(ROOT / "articles"), "DATA_DIR": str(data)})
        client = app.test_client()
        with app.app_context():
            # Questions a customer might type: each public article's title, lower-cased.
            questions = [a.title.lower() for a in public_articles(get_kb(), "en")]
        cases = {
            "GET /api/v1/search (baseline)": lambda q: client.get(
                "/api/v1/search", query_string={"q": q, "locale": "en", "limit": 8}
            ),
            "GET /api/v1/suggest": lambda q: client.get(
                "/api/v1/suggest", query_string={"q": q, "locale": "en"}
            ),
            "GET /api/v1/suggest?type=problem": lambda q: client.get(
                "/api/v1/suggest", query_string={"q": q, "locale": "en", "type": "problem"}
            ),
            "GET /widget/panel": lambda q: client.get("/widget/panel?locale=en"),
            "POST /api/v1/events (search beacon)": lambda q: client.post(
                "/api/v1/events",
                json={"type": "search", "query": q, "total": 3, "surface": "widget"},
                environ_overrides={"REMOTE_ADDR": f"10.1.{len(q) % 250}.{hash(q) % 250}"},
            ),
        }
        for case in cases.values():  # warm every path (index readers, templates, vectors)
            case(questions[0])
        print(f"{len(questions)} questions x {args.rounds} rounds, in-process")
        print(f"{'request':40} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
        for name, case in cases.items():
            times = []
            for _ in range(args.rounds):
                for q in questions:
                    start = time.perf_counter()
                    response = case(q)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code in (200, 202), (name, response.status_code)
            print(
                f"{name:40} {percentile(times, 50):8.2f} {percentile(times, 95):8.2f}"
                f" {statistics.fmean(times):8.2f}"
            )
        static = ROOT / "kbportal" / "widget" / "static"
        for name in ("widget.js", "panel.js", "requestform.js", "panel.css"):
            raw = (static / name).read_bytes()
            print(f"{name:16} {len(raw):6d} bytes, {len(gzip.compress(raw, 9)):5d} gzipped")
    finally:
        publish.close_all()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What recording costs a search: API p95 with the search log on and off, in the same run.

The repository's sample help center, in process (Flask test client), the same queries in the
same order for both modes, interleaved in rounds so machine noise falls on both alike. "Off"
replaces the recorder's call with a no-op: the search, its JSON and the response are the same.

    .venv/bin/python benchmarks/bench_recording.py [--rounds 5] [--per-round 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from kbportal import analytics, create_app, publish
from kbportal.analytics import tracking

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "refund", "invoice", "reset password", "как вернуть деньги", "booking", "refnd",
    "cancel subscription", "sms reminders", "счет", "export data", "zzzz nothing",
]  # fmt: skip


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ARTICLES_DIR": str(ROOT / "articles"), "DATA_DIR": tmp})
        client = app.test_client()
        client.get("/api/v1/search?q=warmup")  # build, migrate, warm the caches
        real = tracking.record_search
        timings: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            for mode in ("on", "off"):
                analytics.record_search = real if mode == "on" else (lambda *a, **k: 0)  # type: ignore[assignment]
                for i in range(args.per_round):
                    query = QUERIES[i % len(QUERIES)]
                    start = time.perf_counter()
                    client.get(f"/api/v1/search?q={query}&locale=en")
                    timings[mode].append((time.perf_counter() - start) * 1000)
        analytics.record_search = real
        analytics.get_analytics(app).close()
        publish.close_all()
    report = {
        mode: {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(p95(values), 2),
        }
        for mode, values in timings.items()
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Page-view events: one synchronous transaction per view vs the buffered analytics Recorder.

Several processes record views at full speed for a few seconds against one database (SQLite
in WAL mode by default, or --url postgresql+psycopg://...); prints views/s for each mode.
A page at 300+ requests/s across workers needs the recording to sustain well above that.

    .venv/bin/python benchmarks/bench_events.py [--processes 3] [--seconds 3] [--rate 1000]
                                                [--url URL]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from kbportal.analytics.models import ViewCount
from kbportal.analytics.recorder import Batch, Recorder
from kbportal.db import make_engine, upgrade, utcnow


def _worker(
    url: str, mode: str, seconds: float, rate: float, results: multiprocessing.Queue
) -> None:
    engine = make_engine(url)
    events = Recorder(sessionmaker(engine))
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while (now := time.perf_counter()) < deadline:
        if rate and done > (now - start) * rate:
            time.sleep(0.001)  # paced like a busy worker serving pages
            continue
        key = f"en/article-{done % 50}"
        if mode == "sync":
            # What a row-per-view design would do on the request path.
            events._write(Batch(views=Counter({(utcnow().date(), key): 1})))
        else:
            events.view(utcnow().date(), key)
        done += 1
    events.close()
    engine.dispose()
    results.put((done, events.dropped))


def run(url: str, mode: str, processes: int, seconds: float, rate: float = 0) -> dict[str, float]:
    """Views/s over all processes, and whether every view reached the database."""
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as session:
        before = session.scalar(select(func.coalesce(func.sum(ViewCount.views), 0))) or 0
    results: multiprocessing.Queue = multiprocessing.Queue()
    started = time.perf_counter()
    procs = [
        multiprocessing.Process(target=_worker, args=(url, mode, seconds, rate, results))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get() for _ in procs]
    recorded = sum(done for done, _dropped in outcomes)
    dropped = sum(dropped for _done, dropped in outcomes)
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    with sessionmaker(engine)() as session:
        after = session.scalar(select(func.coalesce(func.sum(ViewCount.views), 0))) or 0
    engine.dispose()
    return {
        "views_per_s": round(recorded / seconds),
        "recorded": recorded,
        "stored": after - before,
        "dropped_by_full_buffer": dropped,
        "wall_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--url", default="")
    parser.add_argument("--rate", type=float, default=1000, help="views/s per process, paced run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'events.sqlite'}"
        report = {
            "backend": url.split(":", 1)[0],
            "processes": args.processes,
            "sync": run(url, "sync", args.processes, args.seconds),
            # Full speed: what recording costs; the buffer may overflow (by design, bounded).
            "buffered": run(url, "buffered", args.processes, args.seconds),
            # Paced at --rate views/s per process: every view must be stored.
            "buffered_paced": run(url, "buffered", args.processes, args.seconds, args.rate),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The sentence encoder on and off, query by query in one process: quality and latency paired.

Each set is built once (kbportal.publish, as eval_quality.py does; its articles' encoder
vectors made before timing), then every query is asked through GET /api/v1/search twice, with
the encoder on and off in alternating order, so both see the same machine load. Printed per
set: R@3 / MRR@10 on and off, the paired bootstrap 95% interval of the MRR and R@3 change,
p50 / p95 (ms) of each, the share of queries whose vector came in time, and the load average.

Usage: .venv/bin/python benchmarks/quality/encoder_ab.py [--wait SECONDS] [set ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from evalsets import outcome  # noqa: E402 - after the path tweak
from variant_sweep import SETS, interval, prepare  # noqa: E402

from kbportal.search import encoded, encoder  # noqa: E402


def main(argv: list[str]) -> None:
    """One line per set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", default=list(SETS))
    parser.add_argument("--wait", type=float, help="seconds a query vector is waited for")
    args = parser.parse_args(argv)
    if args.wait is not None:
        encoder.QUERY_WAIT = args.wait
    encoder.enable()
    encoded.FILL_SHARE = 1.0  # the articles' vectors are waited for before timing
    used: list[bool] = []  # a query vector came in time (the re-rank used it)
    real = encoder.query_vector

    def counted(text: str, wait: float | None = None) -> np.ndarray | None:
        vector = real(text, wait)
        if vector is not None:
            used.append(True)
        return vector

    encoder.query_vector = counted  # type: ignore[assignment]  # counting, same behaviour
    with tempfile.TemporaryDirectory(prefix="kbab-") as tmp:
        for name in args.sets:
            encoder.enable()  # on while the index opens: its articles' vectors are made then
            es, app, _ = prepare(name, Path(tmp))
            client = app.test_client()
            client.get("/api/v1/search", query_string={"q": "warm up", "limit": 10})
            encoded.wait()
            got: dict[bool, dict[str, list[float]]] = {
                on: {"rr": [], "r3": [], "ms": []} for on in (True, False)
            }
            used.clear()
            for i, query in enumerate(es.queries):
                for on in (True, False) if i % 2 else (False, True):
                    encoder.enable(on)
                    start = time.perf_counter()
                    answer = client.get(
                        "/api/v1/search", query_string={"q": query.text, "limit": 10}
                    )
                    got[on]["ms"].append(1000 * (time.perf_counter() - start))
                    ranked = [row["slug"] for row in answer.get_json()["results"]]
                    result = outcome(ranked, query.relevant)
                    got[on]["rr"].append(result["MRR@10"])
                    got[on]["r3"].append(result["R@3"])
            cells = []
            for on in (True, False):
                g = got[on]
                cells.append(
                    f"{'on' if on else 'off'} {np.mean(g['r3']):.3f}/{np.mean(g['rr']):.3f} "
                    f"p50/p95 {np.percentile(g['ms'], 50):.1f}/{np.percentile(g['ms'], 95):.1f}"
                )
            rr_on, r3_on = np.array(got[True]["rr"]), np.array(got[True]["r3"])
            rr_off, r3_off = np.array(got[False]["rr"]), np.array(got[False]["r3"])
            lo, hi = interval(rr_off, rr_on)
            lo3, hi3 = interval(r3_off, r3_on)
            print(
                f"{name}: {' | '.join(cells)} | MRR [{lo:+.3f},{hi:+.3f}] R@3 [{lo3:+.3f},"
                f"{hi3:+.3f}] | vector in time {len(used) / len(es.queries):.0%} | load "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
    encoder.enable(False)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run every benchmark and the search-quality evaluation in turn, printing each one's figures.

Usage: .venv/bin/python benchmarks/run_all.py [--only NAME ...]
The figures belong in docs/benchmarks.md with the machine's load average at the time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# In order: quality first (fast), then the scale and load figures each issue asks for.
SUITE = {
    "quality": ["eval_quality.py"],
    "tldr": ["bench_tldr.py"],
    "load": ["bench_load.py"],
    "staff": ["bench_staff.py", "--queries", "400"],  # fewer queries make the p95 ratio swing
    "push": ["bench_push_to_search.py"],
    "events": ["bench_events.py"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SUITE), default=list(SUITE))
    args = parser.parse_args()
    failed = []
    for name in args.only:
        print(f"\n## {name}  (load average {os.getloadavg()[0]:.2f})", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(HERE / SUITE[name][0]), *SUITE[name][1:]])
        seconds = time.monotonic() - started
        print(f"-- {name}: exit {result.returncode}, {seconds:.0f} s", flush=True)
        if result.returncode:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

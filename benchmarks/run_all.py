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
sys.path.insert(0, str(HERE))
from tldr_data import TLDR  # noqa: E402

# Where eval_quality.py reads its labelled sets (quality/evalsets.py: beside the checkout).
EVAL = Path(os.environ.get("KBPORTAL_EVAL_DIR") or HERE.parents[1] / "shared" / "eval") / "stackfaq"
# In order: quality first (fast), then the scale and load figures each issue asks for.
SUITE = {
    "quality": ["eval_quality.py"],
    "tldr": ["bench_tldr.py"],
    "load": ["bench_load.py"],
    "staff": ["bench_staff.py", "--queries", "400"],  # fewer queries make the p95 ratio swing
    "push": ["bench_push_to_search.py"],
    "events": ["bench_events.py"],
    "requests": ["bench_requests.py"],  # issue 9: needs only the sample site in articles/
    "widget": ["bench_widget.py"],  # the sample help center: needs nothing beyond the repo
}


# The data each suite needs beyond the repository; a suite without it is skipped, with the reason.
NEEDS = {
    "quality": EVAL,
    "tldr": TLDR,
    "load": TLDR,
    "staff": TLDR,
    "push": TLDR,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SUITE), default=list(SUITE))
    args = parser.parse_args()
    failed, skipped = [], []
    for name in args.only:
        print(f"\n## {name}  (load average {os.getloadavg()[0]:.2f})", flush=True)
        needed = NEEDS.get(name)
        if needed is not None and not needed.is_dir():
            print(f"-- {name}: skipped, needs {needed} (not part of a clone)", flush=True)
            skipped.append(name)
            continue
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(HERE / SUITE[name][0]), *SUITE[name][1:]])
        seconds = time.monotonic() - started
        print(f"-- {name}: exit {result.returncode}, {seconds:.0f} s", flush=True)
        if result.returncode:
            failed.append(name)
    if skipped:
        print(f"\nskipped for missing data: {', '.join(skipped)}", flush=True)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

"""`make bench` in a clone without ../shared: the suites that need that data say so and skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_suites_without_their_corpus_are_skipped_with_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "no-tldr-here"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only", "tldr", "load"],
        env={**os.environ, "TLDR_CORPUS": str(missing)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"-- tldr: skipped, needs {missing} (not part of a clone)" in result.stdout
    assert "skipped for missing data: tldr, load" in result.stdout

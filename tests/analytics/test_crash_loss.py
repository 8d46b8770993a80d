"""Rows buffered when a process is killed (kill -9, for real) are lost, and counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kbportal.analytics import journal
from kbportal.analytics.models import Click, Loss, SearchRow, ViewCount

CHILD = Path(__file__).with_name("crash_child.py")


def start(db_url: str, folder: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(CHILD.parent)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), db_url, str(folder), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def count(sessions: sessionmaker[Session], column) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return int(session.scalar(select(func.coalesce(func.sum(column), 0))) or 0)


def test_rows_held_at_a_kill_are_counted_once(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "journal"
    proc = start(db_url, folder, "kill")
    try:
        assert journal.collect(sessions, folder) == 0  # alive: its rows are not lost
        assert len(list(folder.glob("*.journal"))) == 1
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL
    # What was flushed is there; what was held (one flush interval's worth) is not ...
    with sessions() as session:
        assert session.scalar(select(func.count(Click.id))) == 10
        assert session.scalar(select(func.count(SearchRow.id))) == 0
    assert count(sessions, ViewCount.views) == 0
    # ... and is counted: 7 clicks + 3 searches (keystrokes update a row) + 5 views.
    assert journal.collect(sessions, folder) == 15
    assert count(sessions, Loss.rows) == 15
    assert list(folder.glob("*.journal")) == []
    assert journal.collect(sessions, folder) == 0  # never counted twice


def test_a_clean_exit_writes_everything_and_counts_no_loss(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "journal"
    proc = start(db_url, folder, "exit")
    assert proc.wait(timeout=60) == 0
    proc.stdout.close()  # type: ignore[union-attr]
    assert list(folder.glob("*.journal")) == []
    assert journal.collect(sessions, folder) == 0
    with sessions() as session:
        assert session.scalar(select(func.count(Click.id))) == 17
        assert session.scalar(select(func.count(SearchRow.id))) == 3
    assert count(sessions, ViewCount.views) == 5

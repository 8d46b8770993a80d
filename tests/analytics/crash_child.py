"""A process that records analytics rows, flushes some, then waits to be killed (or exits).

    python crash_child.py DB_URL JOURNAL_FOLDER kill|exit
Prints "ready" once 10 clicks are written and 7 clicks, 3 searches and 5 views are held.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy.orm import sessionmaker
from test_recorder import NOW, click, search

from kbportal.analytics.recorder import Recorder
from kbportal.db import make_engine


def main() -> None:
    url, folder, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    recorder = Recorder(sessionmaker(make_engine(url)), flush_interval=3600, journal=folder)
    for _ in range(10):
        recorder.click(click(None))
    assert recorder.flush() == 10
    for _ in range(7):
        recorder.click(click(None, position=2))
    for i in range(3):
        recorder.search(search(100 + i))
        recorder.search(search(100 + i, query="refunds"))  # a later keystroke: the same row
    for article in ("en/a", "en/a", "en/a", "en/b", "en/b"):
        recorder.view(NOW.date(), article)
    print("ready", flush=True)
    if mode == "kill":
        time.sleep(120)  # the test kills us here
    # mode "exit": a clean exit writes everything (atexit) and leaves no journal


if __name__ == "__main__":
    main()

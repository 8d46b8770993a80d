"""Rendered articles in an append-only file, shared by hard link with the builds made after.

Copying the whole store for a one-article publish cost time in proportion to the knowledge
base (~400 MB at 100k articles, mostly rendered bodies). A body is written once and never
changed, so a publish links the previous build's file, appends the changed bodies, and the
store records where each article's body starts and how long it is. A build never reads past
its own end, so appends for a later build cannot disturb it. Replaced bodies stay as garbage
until it outweighs the live ones; then the file is written afresh.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FILE = "bodies.dat"
REWRITE_MIN = 1 << 20  # never rewrite for less than 1 MB of garbage


class BodyWriter:
    """Appends bodies to a build's file (a fresh one, or one linked from the previous build)."""

    def __init__(self, build: Path) -> None:
        self._file = (Path(build) / FILE).open("ab")
        self.end = self._file.tell()

    def add(self, data: str) -> tuple[int, int]:
        """Write one body; returns (offset, length)."""
        raw = data.encode("utf-8")
        at = self.end
        self._file.write(raw)
        self.end += len(raw)
        return at, len(raw)

    def close(self) -> None:
        """Make the appended bodies durable before the build is swapped in."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


class BodyReader:
    """Reads bodies of one build (safe across threads: positioned reads, no shared offset)."""

    def __init__(self, build: Path, end: int) -> None:
        self._fd = os.open(Path(build) / FILE, os.O_RDONLY)
        self.end = end  # this build's bodies all lie before this offset

    def read(self, at: int, length: int) -> str:
        """One body; EOFError when the file was cut short behind our back (a damaged build)."""
        raw = os.pread(self._fd, length, at)
        if len(raw) != length:
            raise EOFError(f"{FILE} ends before the body at {at} (+{length})")
        return raw.decode("utf-8")

    def check(self) -> None:
        """Raise EOFError unless the file still holds every body of this build."""
        if os.fstat(self._fd).st_size < self.end:
            raise EOFError(f"{FILE} is shorter than its build wrote it")

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


def link(source: Path, target: Path) -> None:
    """Share a build's bodies with the build made from it (a copy where links are not possible)."""
    try:
        os.link(Path(source) / FILE, Path(target) / FILE)
    except OSError:
        shutil.copyfile(Path(source) / FILE, Path(target) / FILE)


def rewrite_due(end: int, live: int) -> bool:
    """Whether the garbage of replaced bodies outweighs the live ones enough to write afresh."""
    return end - live > max(live, REWRITE_MIN)

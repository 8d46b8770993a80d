"""Counting rows lost to a crash: each process keeps its buffer's size in a small locked file.

The recorder writes how many rows it holds unwritten (buffered, or in a flush not yet
committed) into a memory-mapped file on every change: a store into memory, no system call.
The file is flock-ed by its process; the kernel drops that lock when the process dies, however
it dies (kill -9 too), and keeps what was written to the mapping. Any recorder that can lock a
journal file therefore knows its owner is gone: the count in it is what the crash lost, and
it is stored in `analytics_losses` (shown on /staff/insights) before the file is removed.
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import secrets
import socket
import struct
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from kbportal.analytics.models import Loss
from kbportal.db import utcnow

log = logging.getLogger(__name__)

COUNT = struct.Struct("<q")
SUFFIX = ".journal"


class Journal:
    """This process's count of rows held but not yet written (one file, locked while alive)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(self._fd, COUNT.size)
        self._map = mmap.mmap(self._fd, COUNT.size)

    def set(self, pending: int) -> None:
        """Record how many rows are held unwritten now."""
        COUNT.pack_into(self._map, 0, pending)

    def close(self) -> None:
        """Everything is written: the file goes (a clean exit loses nothing)."""
        try:
            self._map.close()
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)

    def abandon(self) -> None:
        """In a forked child: let go of the parent's file without touching it."""
        try:
            self._map.close()
        finally:
            os.close(self._fd)


def collect(sessions: Callable[[], Session], folder: Path) -> int:
    """Store the losses of processes that died with rows unwritten; returns the rows lost."""
    if not folder.is_dir():
        return 0
    lost = 0
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:  # another process collected it first
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            raw = os.pread(fd, COUNT.size, 0)
            count = COUNT.unpack(raw)[0] if len(raw) == COUNT.size else 0
            if count > 0:
                with sessions() as session, session.begin():
                    session.add(
                        Loss(at=utcnow(), rows=count, cause="crash", node=socket.gethostname())
                    )
                lost += count
                log.warning("a process stopped with %d analytics rows unwritten", count)
            os.pwrite(fd, COUNT.pack(0), 0)  # a collector that opened it meanwhile adds nothing
            path.unlink(missing_ok=True)  # only after the loss is stored
        finally:
            os.close(fd)
    return lost

"""Where builds live in the data folder, the `current` pointer, the writer lock and pruning."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

KEEP_BUILDS = 3  # the current one plus two older ones that slow workers may still be reading
MIN_AGE_TO_DELETE = 30.0  # seconds since a build stopped being current before it may go
LOCK_TIMEOUT = 300.0


class BuildLockTimeout(RuntimeError):
    """Another build held the data folder's writer lock for too long."""


def builds_dir(data_dir: Path) -> Path:
    """The folder holding one subfolder per build."""
    return data_dir / "builds"


def current_link(data_dir: Path) -> Path:
    """The symlink naming the build that is being served."""
    return data_dir / "current"


def current_build(data_dir: Path) -> Path | None:
    """The build being served, or None if there is none yet."""
    try:
        target = os.readlink(current_link(data_dir))
    except OSError:
        return None
    path = data_dir / target
    return path if (path / "content.sqlite").is_file() else None


def current_build_id(data_dir: Path) -> str | None:
    """The id of the build being served (cheap: one readlink)."""
    try:
        return Path(os.readlink(current_link(data_dir))).name
    except OSError:
        return None


def new_build_dir(data_dir: Path) -> Path:
    """A fresh, empty folder for a build; ids sort by time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")  # microseconds: several per second
    path = builds_dir(data_dir) / f"{stamp}-{secrets.token_hex(3)}"
    path.mkdir(parents=True)
    return path


def swap(data_dir: Path, build: Path) -> None:
    """Point `current` at a finished build, atomically (rename over the old symlink)."""
    previous = current_build(data_dir)
    tmp = data_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(build, data_dir), tmp)
    os.replace(tmp, current_link(data_dir))
    _fsync_dir(data_dir)
    if previous is not None and previous != build:
        os.utime(previous)  # its mtime now says when it stopped serving (see `prune`)


def _fsync_dir(path: Path) -> None:
    """Make a rename in a folder durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(build: Path) -> None:
    """Remove a build that was never swapped in (a failed or refused one)."""
    shutil.rmtree(build, ignore_errors=True)


def prune(data_dir: Path, keep: int = KEEP_BUILDS) -> list[str]:
    """Delete old builds beyond the newest `keep`, never the current one; returns their ids."""
    root = builds_dir(data_dir)
    if not root.is_dir():
        return []
    current = current_build_id(data_dir)
    builds = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    removed: list[str] = []
    now = time.time()
    for build in builds[:-keep] if keep else builds:
        # A worker may still be answering from an old build: only delete settled ones.
        if build.name == current or now - build.stat().st_mtime < MIN_AGE_TO_DELETE:
            continue
        shutil.rmtree(build, ignore_errors=True)
        removed.append(build.name)
    return removed


@contextlib.contextmanager
def staged(data_dir: Path) -> Iterator[Path]:
    """A new build folder to fill: swapped in when the block succeeds, discarded when it fails."""
    build = new_build_dir(data_dir)
    try:
        yield build
        swap(data_dir, build)
    except BaseException:
        discard(build)  # the previous version keeps serving
        raise
    prune(data_dir)


@contextlib.contextmanager
def writer_lock(data_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the data folder's exclusive build lock (one writer at a time, across processes)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / "build.lock", timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise BuildLockTimeout(f"another build is still running in {data_dir}") from None
    try:
        yield
    finally:
        lock.release()

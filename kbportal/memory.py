"""Giving memory back to the system after a version is retired (glibc's allocator only)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h


@cache
def _libc() -> Any | None:
    """glibc, or None elsewhere (musl, macOS): then these calls do nothing."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def limit_arenas(count: int = 2) -> None:
    """Use at most `count` malloc arenas in this process (call before starting threads).

    glibc gives each thread its own arena; freed pages of a retired version stay scattered over
    them, so a threaded worker's memory grew with every publish on a big knowledge base.
    """
    libc = _libc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, count):
        log.warning("could not limit malloc arenas")


def release_free_memory() -> None:
    """Return the allocator's free pages to the system (after closing an old version)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)

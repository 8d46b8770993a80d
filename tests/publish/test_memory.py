"""The allocator calls are safe anywhere: glibc does the work, elsewhere they do nothing."""

from __future__ import annotations

import pytest

from kbportal import memory


def test_limiting_arenas_and_trimming_never_fail() -> None:
    memory.limit_arenas(2)
    memory.release_free_memory()


def test_without_glibc_they_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    memory.limit_arenas(2)
    memory.release_free_memory()

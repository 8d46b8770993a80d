"""Rendering many articles on every core: contiguous chunks in forked processes, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from kbportal import forked

S = TypeVar("S")
R = TypeVar("R")

# Below this many files one process renders them all (forking costs more than it saves).
PARALLEL_FROM = 1000
# The share of the files the main process renders (1 = as many as each child): it also
# unpickles what the children send back.
MAIN_SHARE = 0.9


def _each(render: Callable[[S], R], items: Sequence[S]) -> list[R]:
    return [render(item) for item in items]


def map_in_order(render: Callable[[S], R], items: Sequence[S], procs: int) -> list[R]:
    """`[render(item) for item in items]`, split over up to `procs` processes.

    Each forked child renders one contiguous chunk with what this process held at the fork
    (link targets included) and sends its results back; they are joined in the items' order,
    so the outcome does not depend on `procs`. `render` must not rely on side effects: a
    child's never reach this process.
    """
    context = forked.fork_context() if procs > 1 and len(items) >= PARALLEL_FROM else None
    if context is None:
        return _each(render, items)
    bounds = forked.chunks(len(items), procs, MAIN_SHARE)
    children = forked.Children(context)
    try:
        for start, end in bounds[1:]:
            children.start(partial(_each, render, items[start:end]))
        out = _each(render, items[: bounds[0][1]])
        for chunk in children.results():
            out.extend(chunk)
    finally:
        children.stop()
    return out

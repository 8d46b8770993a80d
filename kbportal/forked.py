"""Work split over forked processes: what a full build runs beside its main process.

Forked children see the parent's memory as it was at the fork (loaded articles, link
targets), so nothing is pickled to them; each sends one result back through a pipe. Where
`fork` is missing the callers run everything in one process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Mapping
from typing import Any


class ChildError(RuntimeError):
    """A forked process failed or died; the work it was part of is abandoned."""


def fork_context() -> Any | None:
    """The multiprocessing context that forks (None where the platform cannot fork, or in a
    daemonic process, which multiprocessing lets have no children)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:
        return None
    return multiprocessing.get_context("fork")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build_procs(config: Mapping[str, Any]) -> int:
    """Processes a full build may use: BUILD_PROCS, or one per core when it is 0 (unset)."""
    return int(config.get("BUILD_PROCS") or 0) or cores()


def chunks(total: int, procs: int, first_share: float = 1.0) -> list[tuple[int, int]]:
    """`procs` contiguous [start, end) ranges over `total` items, in order; the first (the
    calling process's) weighted by `first_share` against 1 for each other."""
    weights = [first_share] + [1.0] * (procs - 1)
    bounds, start, done = [], 0, 0.0
    for weight in weights:
        done += weight
        end = round(total * done / sum(weights))
        bounds.append((start, end))
        start = end
    return bounds


def _child(conn: Any, task: Callable[[], Any]) -> None:
    """Run a task in the forked process and send back its result or its error."""
    try:
        conn.send(("ok", task()))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
        conn.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
    finally:
        conn.close()


class Children:
    """Tasks run in forked processes; their results are collected in the order started."""

    def __init__(self, context: Any, daemon: bool = True):
        self._context = context
        self._daemon = daemon  # a daemonic child may not fork children of its own
        self._started: list[tuple[Any, Any]] = []

    def start(self, task: Callable[[], Any]) -> None:
        """Fork a process running `task` (it sees this process's memory as it is now)."""
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_child, args=(send, task), daemon=self._daemon)
        # The child's collector leaves what it inherited alone: no finalizer of this process's
        # objects (a database connection, a file being written) runs in the child, and the
        # shared pages are not copied for it (gc.freeze's documented use before a fork).
        gc.freeze()
        try:
            process.start()
        finally:
            gc.unfreeze()
        send.close()
        self._started.append((process, receive))

    def results(self) -> list[Any]:
        """Every task's result in the order started, waiting for each; a failure raises."""
        out = []
        try:
            for process, receive in self._started:
                try:
                    status, value = receive.recv()
                except EOFError:
                    process.join()
                    raise ChildError(
                        f"a build process died (exit code {process.exitcode})"
                    ) from None
                process.join()
                if status != "ok":
                    raise ChildError(f"a build process failed: {value}")
                out.append(value)
        finally:
            self.stop()
        return out

    def stop(self) -> None:
        """End every child still running (after a failure here or there) and reap it."""
        for process, receive in self._started:
            if process.is_alive():
                process.terminate()
            process.join()
            receive.close()
        self._started = []


def run_apart(task: Callable[[], Any]) -> Any:
    """Run `task` in a forked process and return its (picklable) result, so that the memory
    it takes is given back when it ends; in this process where the platform cannot fork.

    The child is not daemonic, so the task may fork children of its own (a full build does).
    """
    context = fork_context()
    if context is None:
        return task()
    child = Children(context, daemon=False)
    child.start(task)
    return child.results()[0]

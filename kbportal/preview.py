"""`kbportal serve --reload`: watch the articles folder and republish what changed, for writers."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from watchfiles import Change, watch

from kbportal.publish import BuildError, BuildReport, update

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300  # an editor's save-and-rename lands as one batch
IGNORED_PARTS = frozenset({".git", "__pycache__", "node_modules"})


def _relevant(relpath: str) -> bool:
    """Whether a file can matter to the knowledge base (not VCS data, editor swap or temp files)."""
    parts = relpath.split("/")
    name = parts[-1]
    if IGNORED_PARTS.intersection(parts):
        return False
    return not (name.startswith(".#") or name.endswith(("~", ".swp", ".swx", ".tmp")))


def changes_of(
    articles_dir: Path, events: Iterable[tuple[Change, str]]
) -> tuple[list[str], list[str]]:
    """Changed and removed files of a batch of events, relative to the articles folder."""
    root = Path(articles_dir).resolve()
    changed: set[str] = set()
    removed: set[str] = set()
    for change, raw in events:
        try:
            relpath = Path(raw).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        if not _relevant(relpath):
            continue
        if change == Change.deleted:
            removed.add(relpath)
            changed.discard(relpath)
        elif not Path(raw).is_dir():  # a new folder's files arrive as their own events
            changed.add(relpath)
            removed.discard(relpath)
    return sorted(changed), sorted(removed)


def republish(
    config: Mapping[str, Any], changed: list[str], removed: list[str]
) -> BuildReport | None:
    """Publish one batch of edits; a broken edit is logged and the last good version stays."""
    if not changed and not removed:
        return None
    try:
        report = update(config, changed, removed)
    except BuildError as exc:
        log.warning("not republished: %s", exc)
        return None
    for problem in report.problems:
        if problem.path in changed:
            log.warning("%s:%s: %s", problem.path, problem.line, problem.message)
    return report


def watch_and_republish(config: Mapping[str, Any], stop: threading.Event | None = None) -> None:
    """Republish every batch of changes under the articles folder until `stop` is set."""
    articles_dir = Path(config["ARTICLES_DIR"])
    log.info("watching %s for changes", articles_dir)
    for events in watch(articles_dir, debounce=DEBOUNCE_MS, stop_event=stop, raise_interrupt=False):
        republish(config, *changes_of(articles_dir, events))


def _run(config: dict[str, Any]) -> None:
    """The watcher process's body: log to stderr beside gunicorn's lines."""
    logging.basicConfig(level=logging.INFO, format="[reload] %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # its "1 change detected" is noise
    watch_and_republish(config)


def start_watcher(config: Mapping[str, Any]) -> multiprocessing.process.BaseProcess:
    """Watch in a separate process, started before gunicorn forks (no thread crosses a fork)."""
    # "spawn": a fresh interpreter, so nothing of the server's state or locks is inherited;
    # daemon: it ends with the server.
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_run, args=(dict(config),), name="kbportal-preview")
    process.daemon = True
    process.start()
    return process

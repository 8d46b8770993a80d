"""Per-process access to the served build: follows the `current` pointer without a restart."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app

from kbportal.memory import release_free_memory
from kbportal.publish import gate, layout, store
from kbportal.publish.builder import build as build_kb
from kbportal.publish.builder import ensure_build
from kbportal.publish.healing import HealingKB, is_damaged, open_fallback
from kbportal.publish.manifest import BuildError
from kbportal.publish.published import BuildKB
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)

RETIRE_AFTER = 10.0  # seconds an old version stays open for requests still using it
# A failed first build or rebuild is retried at most this often: not one on every request.
RETRY_FAILED_AFTER = 10.0

_lock = threading.Lock()
# Held by the one thread that opens a new version (1-2 s on a big knowledge base); the others
# keep answering from the old version meanwhile instead of queueing behind it.
_opening = threading.Lock()
_open: dict[Path, BuildKB] = {}  # data folder -> the version this process serves
_retired: list[tuple[float, BuildKB]] = []
# data folder -> when, for which `current` and why opening a build last failed
_failed: dict[Path, tuple[float, str | None, str]] = {}
_damaged: set[str] = set()  # ids of builds found damaged in this process: never served again
_rebuilding: set[str] = set()
_pid = os.getpid()
_warmed: dict[Path, str] = {}  # data folder -> the build `warm` last searched in
WARM_QUERY = "install"
STAFF = Viewer(staff=True)  # warms the staff index (no groups: what every staff member sees)
_background = [False]  # switch versions in a background thread (serving workers)


def config_of(app: Flask) -> dict[str, Any]:
    """The app's KBPORTAL_* settings keyed without the prefix (what the services take)."""
    return {k[len("KBPORTAL_") :]: v for k, v in app.config.items() if k.startswith("KBPORTAL_")}


def init_app(app: Flask) -> None:
    """Register publishing with an app (the version itself opens lazily, per worker)."""
    app.extensions["kbportal.publish"] = True
    slots = app.config.get("KBPORTAL_SEARCH_CONCURRENCY")
    if slots:
        gate.configure(int(slots))


def get_kb() -> BuildKB:
    """The published KB for the current app's data folder (builds one on first start)."""
    return kb_for(config_of(current_app))


def kb_for(config: Mapping[str, Any]) -> BuildKB:
    """The open version for a data folder (healing itself if found damaged while in use)."""
    kb = _kb_for(config)
    healing = kb.wrapper
    if healing is None:  # one wrapper per version: callers may compare versions by identity
        # Kept on the version itself: a weak-keyed map whose value holds the version never
        # let go of one, and every publish kept a whole version in memory (~25 MB on tldr).
        healing = kb.wrapper = HealingKB(
            kb, lambda broken, exc: _replace_damaged(config, broken, exc)
        )
    return cast(BuildKB, healing)


def _kb_for(config: Mapping[str, Any]) -> BuildKB:
    """The open version for a data folder; switches when `current` points elsewhere."""
    data_dir = Path(config["DATA_DIR"])
    _forget_after_fork()
    build_id = layout.current_build_id(data_dir)  # one readlink: cheap enough per request
    kb = _open.get(data_dir)
    if kb is not None and (kb.build_id == build_id or build_id in _damaged):
        if _retired:
            with _lock:
                _close_retired()
        return kb  # (a stand-in, while the damaged current build is being rebuilt)
    if kb is None:
        return _switch(config, data_dir)  # nothing to serve meanwhile: the request waits
    if not _opening.acquire(blocking=False):
        return kb  # another thread is opening the new version: answer from this one meanwhile
    if _background[0]:
        # Open and warm the new version in the background; this request and the ones after it
        # are answered from the old version until the new one is ready (no reader stalls).
        threading.Thread(
            target=_switch_in_background, args=(config, data_dir), name="kbportal-open", daemon=True
        ).start()
        return kb
    try:  # in process (tests, the CLI): a publish is seen by the very next request
        return _switch(config, data_dir, warm=False)
    finally:
        _opening.release()


def switch_in_background(enabled: bool = True) -> None:
    """Serving workers: open a new version off the request path (called once per worker)."""
    _background[0] = enabled


def _switch_in_background(config: Mapping[str, Any], data_dir: Path) -> None:
    """Switch to the new version off the request path (holding `_opening` until done)."""
    try:
        _switch(config, data_dir)
    except Exception:  # noqa: BLE001 - the old version keeps serving; a later request retries
        log.exception("could not open the new version in %s", data_dir)
    finally:
        _opening.release()


def _switch(config: Mapping[str, Any], data_dir: Path, warm: bool = True) -> BuildKB:
    """Open the version `current` names and serve it from now on (the old one retires)."""
    with _lock:
        kb = _open.get(data_dir)
        build_id = layout.current_build_id(data_dir)
        if kb is not None and (kb.build_id == build_id or build_id in _damaged):
            return kb
        failed = _failed.get(data_dir)
        if failed and failed[1] == build_id and time.monotonic() - failed[0] < RETRY_FAILED_AFTER:
            if kb is not None:
                return kb
            raise BuildError(failed[2])
        try:
            fresh = _open_current(config, data_dir)
        except BuildError as exc:
            _failed[data_dir] = (time.monotonic(), build_id, str(exc))
            log.error("no build to serve from %s (503 until a build succeeds): %s", data_dir, exc)
            if kb is not None:
                return kb  # keep serving the version this worker already has
            raise
        _failed.pop(data_dir, None)
        if kb is not None and warm:
            _warm_version(config, fresh)  # before readers get it: their first search is not slow
        if kb is not None:
            _retired.append((time.monotonic(), kb))
            log.info("switching from build %s to %s", kb.build_id, fresh.build_id)
        _open[data_dir] = fresh
        _close_retired()
        return fresh


def _open_current(config: Mapping[str, Any], data_dir: Path) -> BuildKB:
    """The served build, opened from the version this process has open when it can."""
    return _open_build(config, data_dir, _open.get(data_dir))


def _open_build(config: Mapping[str, Any], data_dir: Path, previous: BuildKB | None) -> BuildKB:
    """Open the served build, building first if there is none, and rebuilding if unreadable."""
    articles_dir = Path(config["ARTICLES_DIR"])
    build = layout.current_build(data_dir)
    if build is None:
        ensure_build(config)
    elif not store.is_current_format(build):
        log.warning("build %s has an older store format: rebuilding", build.name)
        log.info("%s", build_kb(config).summary())
    build = layout.current_build(data_dir)
    if build is None:
        raise BuildError(f"no published build in {data_dir}")
    try:
        return BuildKB(build, articles_dir, previous)
    except Exception as exc:  # files lost or damaged outside kbportal: rebuild, not 500 forever
        log.error("build %s is unreadable (%s): rebuilding", build.name, exc)
    log.info("%s", build_kb(config).summary())
    build = layout.current_build(data_dir)
    if build is None:
        raise BuildError(f"no published build in {data_dir}")
    try:
        return BuildKB(build, articles_dir)
    except Exception as exc:
        raise BuildError(f"build {build.name} is unreadable: {exc}") from exc


def _replace_damaged(
    config: Mapping[str, Any], broken: BuildKB, exc: BaseException
) -> BuildKB | None:
    """Stop serving a build whose files were damaged: an earlier good build stands in while
    the current articles are rebuilt in the background; with none, rebuild now. Logged once.
    None when the build checks out (the error was not damage)."""
    data_dir = Path(config["DATA_DIR"])
    with _lock:
        current = _open.get(data_dir)
        if current is not None and current is not broken and current.build_id not in _damaged:
            return current  # another thread has already replaced it
        if broken.build_id not in _damaged and not is_damaged(broken):
            return None
        _damaged.add(broken.build_id)
        # str(): a record holding the exception would keep its frames (and open files) alive.
        log.error("build %s is damaged (%s): replacing it", broken.build_id, str(exc))
        _retired.append((time.monotonic(), broken))
        _open.pop(data_dir, None)
        stand_in = open_fallback(data_dir, Path(config["ARTICLES_DIR"]), _damaged)
        if stand_in is not None:
            log.warning("serving build %s until the rebuild is done", stand_in.build_id)
            _open[data_dir] = stand_in
            _rebuild_in_background(config, broken.build_id)
            return stand_in
    log.error("no earlier build can stand in for %s: rebuilding now", broken.build_id)
    log.info("%s", build_kb(config).summary())
    return _kb_for(config)


def _rebuild_in_background(config: Mapping[str, Any], damaged_id: str) -> None:
    """Build the articles again and swap the result in (once per damaged build and process)."""
    if damaged_id in _rebuilding:
        return
    _rebuilding.add(damaged_id)

    def rebuild() -> None:
        data_dir = Path(config["DATA_DIR"])
        try:
            if layout.current_build_id(data_dir) != damaged_id:
                return  # another worker or a sync has already replaced it
            log.info("rebuild after damage: %s", build_kb(config).summary())
        except Exception:  # the stand-in keeps serving; the next sync or index tries again
            log.exception("rebuild after the damage of build %s failed", damaged_id)

    threading.Thread(target=rebuild, name="kbportal-rebuild", daemon=True).start()


def _close_retired(force: bool = False) -> None:
    """Close old versions no request has needed for a while, and give their memory back."""
    now = time.monotonic()
    closed = False
    for item in list(_retired):
        if force or now - item[0] > RETIRE_AFTER:
            _retired.remove(item)
            item[1].close()
            closed = True
    if closed:
        gc.collect()  # the version's caches and index readers refer to each other
        release_free_memory()


def _forget_after_fork() -> None:
    """A forked worker must not share the parent's SQLite connections or index readers."""
    global _pid, _lock, _opening
    if os.getpid() != _pid:
        _pid = os.getpid()
        _lock, _opening = threading.Lock(), threading.Lock()  # a parent thread may have held one
        _open.clear()
        _retired.clear()
        _failed.clear()
        _damaged.clear()
        _rebuilding.clear()


def _warm_version(config: Mapping[str, Any], kb: BuildKB) -> None:
    """Search a version once per locale, as a customer and as staff, before it is served."""
    one_index = kb.index_dirs["public"] == kb.index_dirs["staff"]
    viewers = [PUBLIC] if one_index else [PUBLIC, STAFF]
    try:
        for viewer in viewers:
            for locale in config.get("LOCALES") or ():
                kb.search(SearchQuery(WARM_QUERY, viewer, locale))
    except Exception:  # noqa: BLE001 - a cold version is slower, not wrong
        log.warning("could not warm build %s", kb.build_id, exc_info=True)
    _warmed[Path(config["DATA_DIR"])] = kb.build_id


def warm(config: Mapping[str, Any]) -> BuildKB:
    """Open (switching to) the served version now, from a background thread, and search once
    per locale, so that no reader's request pays for opening a new version."""
    data_dir = Path(config["DATA_DIR"])
    _forget_after_fork()
    if _open.get(data_dir) is not None:
        with _opening:  # opened and warmed here, then swapped in (or by the thread holding it)
            _switch(config, data_dir)
    kb = kb_for(config)
    if kb.build_id != _warmed.get(Path(config["DATA_DIR"])):
        for locale in config.get("LOCALES") or ():
            kb.search(SearchQuery(WARM_QUERY, PUBLIC, locale))
        _warmed[Path(config["DATA_DIR"])] = kb.build_id
    return kb


def close_all() -> None:
    """Close every open version (tests, shutdown)."""
    with _lock:
        for kb in _open.values():
            kb.close()
        _open.clear()
        _failed.clear()
        _damaged.clear()
        _rebuilding.clear()
        _close_retired(force=True)

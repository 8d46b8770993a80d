"""Per-process access to the served build: follows the `current` pointer without a restart."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from kbportal.publish import layout, store
from kbportal.publish.builder import build as build_kb
from kbportal.publish.builder import ensure_build
from kbportal.publish.published import BuildKB

log = logging.getLogger(__name__)

RETIRE_AFTER = 10.0  # seconds an old version stays open for requests still using it

_lock = threading.Lock()
_open: dict[Path, BuildKB] = {}  # data folder -> the version this process serves
_retired: list[tuple[float, BuildKB]] = []
_pid = os.getpid()


def config_of(app: Flask) -> dict[str, Any]:
    """The app's KBPORTAL_* settings keyed without the prefix (what the services take)."""
    return {k[len("KBPORTAL_") :]: v for k, v in app.config.items() if k.startswith("KBPORTAL_")}


def init_app(app: Flask) -> None:
    """Register publishing with an app (the version itself opens lazily, per worker)."""
    app.extensions["kbportal.publish"] = True


def get_kb() -> BuildKB:
    """The published KB for the current app's data folder (builds one on first start)."""
    return kb_for(config_of(current_app))


def kb_for(config: Mapping[str, Any]) -> BuildKB:
    """The open version for a data folder; switches when `current` points elsewhere."""
    data_dir = Path(config["DATA_DIR"])
    _forget_after_fork()
    build_id = layout.current_build_id(data_dir)  # one readlink: cheap enough per request
    kb = _open.get(data_dir)
    if kb is not None and kb.build_id == build_id:
        if _retired:
            with _lock:
                _close_retired()
        return kb
    with _lock:
        kb = _open.get(data_dir)
        build_id = layout.current_build_id(data_dir)
        if kb is not None and kb.build_id == build_id:
            return kb
        build = layout.current_build(data_dir)
        if build is None:
            ensure_build(config)
        elif not store.is_current_format(build):
            log.warning("build %s has an older store format: rebuilding", build.name)
            full = build_kb(config)
            log.info("%s", full.summary())
        build = layout.current_build(data_dir)
        if build is None:
            raise RuntimeError(f"no published build in {data_dir}")
        fresh = BuildKB(build, Path(config["ARTICLES_DIR"]))
        if kb is not None:
            _retired.append((time.monotonic(), kb))
            log.info("switching from build %s to %s", kb.build_id, fresh.build_id)
        _open[data_dir] = fresh
        _close_retired()
        return fresh


def _close_retired(force: bool = False) -> None:
    """Close old versions no request has needed for a while."""
    now = time.monotonic()
    for item in list(_retired):
        if force or now - item[0] > RETIRE_AFTER:
            _retired.remove(item)
            item[1].close()


def _forget_after_fork() -> None:
    """A forked worker must not share the parent's SQLite connections or index readers."""
    global _pid
    if os.getpid() != _pid:
        _pid = os.getpid()
        _open.clear()
        _retired.clear()


def close_all() -> None:
    """Close every open version (tests, shutdown)."""
    with _lock:
        for kb in _open.values():
            kb.close()
        _open.clear()
        _close_retired(force=True)

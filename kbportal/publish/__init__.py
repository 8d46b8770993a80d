"""Publishing: build the knowledge base into an immutable version and swap it in."""

from __future__ import annotations

from kbportal.publish.accessor import close_all, config_of, get_kb, init_app, kb_for, warm
from kbportal.publish.builder import build, ensure_build
from kbportal.publish.incremental import publish_due, update
from kbportal.publish.manifest import BuildError, BuildReport, EmptyBuildError
from kbportal.publish.published import BuildKB

__all__ = [
    "BuildError",
    "BuildKB",
    "BuildReport",
    "EmptyBuildError",
    "build",
    "close_all",
    "config_of",
    "ensure_build",
    "get_kb",
    "init_app",
    "kb_for",
    "publish_due",
    "update",
    "warm",
]

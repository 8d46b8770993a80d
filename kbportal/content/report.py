"""Content problems as text, JSON or GitHub Actions annotations."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict

from kbportal.content.models import Problem

log = logging.getLogger(__name__)

FORMATS = ("text", "json", "github")


def format_text(problems: Iterable[Problem], prefix: str = "") -> str:
    """One line per problem: `path:line: severity [code] message`."""
    return "".join(
        f"{prefix}{p.path}:{p.line}: {p.severity} [{p.code}] {p.message}\n" for p in problems
    )


def format_json(problems: Iterable[Problem]) -> str:
    """A JSON list of {path, line, code, message, severity} objects."""
    return json.dumps([asdict(p) for p in problems], ensure_ascii=False, indent=2) + "\n"


def _escape_data(value: str) -> str:
    """Escape a workflow command's message (GitHub's rules)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """Escape a workflow command's property value (GitHub's rules)."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: Iterable[Problem], prefix: str = "") -> str:
    """GitHub Actions annotations: `::error file=...,line=...,title=code::message`."""
    lines = []
    for p in problems:
        level = "error" if p.severity == "error" else "warning"
        file = _escape_property(prefix + p.path)
        title = _escape_property(p.code)
        message = _escape_data(p.message)
        lines.append(f"::{level} file={file},line={p.line},title={title}::{message}\n")
    return "".join(lines)


def format_problems(problems: Iterable[Problem], fmt: str = "text", prefix: str = "") -> str:
    """Problems in one of FORMATS; `prefix` is prepended to paths (e.g. "articles/")."""
    items = list(problems)
    if fmt == "json":
        return format_json(items)
    if fmt == "github":
        return format_github(items, prefix)
    if fmt == "text":
        return format_text(items, prefix)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")

"""YAML read with line numbers, so `kbportal check` can point at the line of a mistake."""

from __future__ import annotations

import logging
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

log = logging.getLogger(__name__)


class LDict(dict[str, Any]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    line: int = 1
    lines: dict[str, int]


class LList(list[Any]):
    """A YAML sequence that knows its own line and the line of each item (1-based)."""

    line: int = 1
    lines: list[int]


def line_of(value: Any, key: str | int | None = None, default: int = 1) -> int:
    """The line of `value` itself, or of one of its keys or items."""
    if key is not None:
        lines = getattr(value, "lines", None)
        if isinstance(lines, dict) and isinstance(key, str):
            return int(lines.get(key, getattr(value, "line", default)))
        if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
            return int(lines[key])
    return int(getattr(value, "line", default))


def _convert(node: yaml.Node, constructor: SafeConstructor) -> Any:
    """A node as plain Python values, with line numbers on mappings and sequences."""
    if isinstance(node, yaml.MappingNode):
        mapping = LDict()
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            key = str(key)
            mapping[key] = _convert(value_node, constructor)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = LList()
        items.line = node.start_mark.line + 1
        items.lines = []
        for item in node.value:
            items.append(_convert(item, constructor))
            items.lines.append(item.start_mark.line + 1)
        return items
    return constructor.construct_object(node, deep=True)


def load(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError (with `problem_mark`) on bad syntax."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None
    return _convert(node, SafeConstructor())


def error_line(error: yaml.YAMLError) -> int:
    """The line a YAML syntax error points at (1 when it does not say)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else 1

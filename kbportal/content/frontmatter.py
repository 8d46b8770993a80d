"""YAML front matter: split it from the body, parse it, validate its keys and types."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import yaml

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$")
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


MAX_YAML_DEPTH = 20  # front matter and category files are flat; 500 brackets are an attack


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names the same key twice: which value was meant cannot be known."""

    def __init__(self, key: object, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(
            context=f"'{key}' first given here",
            context_mark=first,
            problem=f"duplicate key '{key}'",
            problem_mark=again,
        )
        self.key = key
        self.first_line = first.line  # 0-based, as in YAML marks
        self.again_line = again.line


class TooDeepError(yaml.MarkedYAMLError):
    """YAML nested deeper than any front matter or category file needs."""


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses duplicate keys and absurd nesting.

    PyYAML silently keeps the last of two equal keys, so `visibility: internal` followed by
    `visibility: public` would publish the page; and it recurses once per nesting level, so
    500 brackets crash it with a RecursionError instead of a clear problem.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, counting how deep the document nests."""
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise TooDeepError(
                    problem=f"nested more than {MAX_YAML_DEPTH} levels deep", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are all different; raises DuplicateKeyError at the repeat."""
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not key_node.start_mark:
                raise DuplicateKeyError(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def strict_load(text: str) -> Any:
    """Parse YAML safely, refusing duplicate keys and nesting deeper than MAX_YAML_DEPTH."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader


class FrontMatterError(ValueError):
    """Front matter that cannot be used; the article must be skipped."""

    def __init__(self, message: str, line: int, code: str = "bad-front-matter") -> None:
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass
class FrontMatter:
    """The validated front matter of one file, plus where the body starts."""

    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # 1-based file line of the body's first line
    key_lines: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[int, str]] = field(default_factory=list)


def split(text: str) -> tuple[str | None, str, int]:
    """(YAML text or None, body, 1-based body line); raises on an unclosed fence."""
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        return None, text, 1
    for index in range(1, len(lines)):
        if _CLOSE.match(lines[index].rstrip("\r\n")):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    # An unclosed fence is refused rather than rendered: its keys (visibility: internal,
    # draft: true) would silently stop applying and the article would go public.
    raise FrontMatterError("front matter opened with '---' is never closed", 1)


def _as_str(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError("must be a string")
    return str(value)


def _as_strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list) and all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in value
    ):
        return tuple(str(item).strip() for item in value if str(item).strip())
    raise TypeError("must be a list of strings")


def _as_phrases(value: Any) -> tuple[str, ...]:
    # Whole sentences: a single string is one phrasing (its commas belong to it), a list is many.
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    return _as_strings(value)


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be true or false")
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number")
    return value


def _as_visibility(value: Any) -> str:
    if value not in ("public", "internal"):
        raise TypeError("must be 'public' or 'internal'")
    return str(value)


def as_datetime(value: Any) -> datetime:
    """A YAML date, datetime or ISO string as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise TypeError("must be a date like 2024-05-31 or 2024-05-31T12:00:00Z") from None
    else:
        raise TypeError("must be a date like 2024-05-31")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_id(value: Any) -> str:
    return _as_str(value).strip()


# Every key an article may set, with the converter that validates it.
KEYS = {
    "title": _as_str,
    "slug": _as_str,
    "summary": _as_str,
    "tags": _as_strings,
    "locale": _as_str,
    "visibility": _as_visibility,
    "audience": _as_strings,
    "draft": _as_bool,
    "aliases": _as_strings,
    "related": _as_strings,
    "order": _as_int,
    "updated": as_datetime,
    "category": _as_str,
    "publish_at": as_datetime,
    "template": _as_bool,
    "id": _as_id,
    "authors": _as_strings,
    # Customers' own wordings of the question the article answers: indexed with it by search.
    "questions": _as_phrases,
}


# Keys that guard who sees an article: an empty value must not quietly mean "public".
_MUST_NOT_BE_EMPTY = frozenset({"visibility", "draft", "audience"})


def _key_lines(raw: str, first_line: int) -> dict[str, int]:
    """The file line of each top-level key, for messages that point at it."""
    found: dict[str, int] = {}
    for offset, line in enumerate(raw.splitlines()):
        match = _KEY_LINE.match(line)
        if match:
            found.setdefault(match.group(1), first_line + offset)
    return found


def parse(text: str) -> FrontMatter:
    """Split and validate a file's front matter; raises FrontMatterError with the file line."""
    raw, body, body_line = split(text)
    result = FrontMatter(body=body, body_line=body_line)
    if raw is None:
        return result
    try:
        loaded = strict_load(raw)
    except DuplicateKeyError as error:  # YAML starts on file line 2
        first, again = 2 + error.first_line, 2 + error.again_line
        message = f"front matter gives '{error.key}' twice (lines {first} and {again})"
        raise FrontMatterError(message, again, code="duplicate-key") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = 2 + mark.line if mark is not None else 1  # YAML starts on file line 2
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise FrontMatterError(f"invalid YAML in front matter: {problem}", line) from None
    except RecursionError:  # absurdly deep nesting: bad input, not a crash
        raise FrontMatterError("front matter is nested too deeply", 2) from None
    if loaded is None:
        return result
    if not isinstance(loaded, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values", 2)
    result.key_lines = _key_lines(raw, 2)
    for key, value in loaded.items():
        line = result.key_lines.get(str(key), 2)
        convert = KEYS.get(str(key))
        if convert is None:
            result.warnings.append((line, f"unknown front matter key '{key}' (ignored)"))
            continue
        if value is None:
            if key in _MUST_NOT_BE_EMPTY:
                raise FrontMatterError(f"front matter '{key}' is empty", line)
            continue
        try:
            result.data[str(key)] = convert(value)
        except TypeError as error:
            raise FrontMatterError(f"front matter '{key}' {error}", line) from None
    return result

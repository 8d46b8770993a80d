"""JSON encoding of content values (articles, categories, problems) for the build store."""

from __future__ import annotations

import dataclasses
import json
import logging
import typing
from datetime import date, datetime
from typing import Any, TypeVar

from kbportal.content.models import Article, Category, Heading, Link, Problem, Section

log = logging.getLogger(__name__)

T = TypeVar("T")

# Dataclasses that may appear inside an Article; tagged by name so decoding needs no schema.
_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (Article, Heading, Section, Link, Category, Problem)
}


def _encode(value: Any) -> Any:
    """A JSON-ready form of a content value (tags datetimes and nested dataclasses)."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": type(value).__name__, **body}
    if isinstance(value, set | frozenset):  # sorted: the same bytes whatever the hash seed
        return [_encode(item) for item in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # something exotic in `extra`: keep a readable trace, never fail a build


def _decode(value: Any) -> Any:
    """The inverse of `_encode`; lists stay lists (the dataclass fields re-tuple them)."""
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$dc" in value:
            cls = _TYPES[value["$dc"]]
            return _build(cls, value)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


_PLANS: dict[type, dict[str, bool]] = {}


def _plan(cls: type) -> dict[str, bool]:
    """A dataclass's field names, each with whether it is a tuple (cached: runs per article)."""
    if cls not in _PLANS:
        hints = typing.get_type_hints(cls)
        _PLANS[cls] = {
            f.name: typing.get_origin(hints.get(f.name)) is tuple for f in dataclasses.fields(cls)
        }
    return _PLANS[cls]


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """An instance of a content dataclass from encoded fields, ignoring unknown ones."""
    plan = _plan(cls)
    kwargs: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in plan:
            continue
        if isinstance(raw, dict | list):
            raw = _decode(raw)
            if plan[name] and isinstance(raw, list):
                raw = tuple(raw)
        kwargs[name] = raw
    return cls(**kwargs)


def dumps(value: Any) -> str:
    """A content value (Article, Category, Problem...) as compact JSON."""
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"))


def loads_article(text: str) -> Article:
    """An Article from `dumps` output."""
    article: Article = _decode(json.loads(text))
    return article


def loads(text: str) -> Any:
    """Any content value from `dumps` output."""
    return _decode(json.loads(text))

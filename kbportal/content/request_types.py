"""Request types as code: `_requests.yml` in the articles repository, read into RequestTypes.

The file is read and checked with the articles (`kbportal check` reports its problems with the
line), and each build keeps its own copy, so a form changes exactly when the articles do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

REQUESTS_FILE = "_requests.yml"
KINDS = ("text", "long_text", "select", "email", "checkbox", "file")
PRIORITIES = ("P1", "P2", "P3", "P4")
# Every form has these; a type's own fields may not reuse their names.
BUILTIN_FIELDS = ("subject", "description", "email", "name")
FILE_KINDS = ("image", "pdf", "text")  # what a file field may accept, checked by content
MAX_TEXT = 500
MAX_LONG_TEXT = 10_000

Localized = dict[str, str]  # locale -> text; "" holds the text for every locale


def localized(value: Localized, locale: str, fallback: str = "en") -> str:
    """The text for a locale: its own, else the all-locales text, else the fallback's, else any."""
    for key in (locale, "", fallback):
        if value.get(key):
            return value[key]
    return next((text for text in value.values() if text), "")


@dataclass(frozen=True)
class Option:
    """One choice of a select field."""

    value: str
    label: Localized


@dataclass(frozen=True)
class FieldSpec:
    """One field of a request type's form."""

    name: str
    kind: str
    label: Localized
    help: Localized = field(default_factory=dict)
    required: bool = False
    # Required only when another field has a value: (field, value); value "" = any value.
    required_if: tuple[str, str] | None = None
    options: tuple[Option, ...] = ()
    max_length: int = MAX_TEXT
    accept: tuple[str, ...] = FILE_KINDS

    def is_required(self, values: Mapping[str, str]) -> bool:
        """Whether the field must be filled, given the other fields' values."""
        if self.required:
            return True
        if self.required_if is None:
            return False
        other, wanted = self.required_if
        given = values.get(other, "")
        return bool(given) if wanted == "" else given == wanted


@dataclass(frozen=True)
class ChecklistItem:
    """A step to try before writing: text and the article (and section) that explains it."""

    text: Localized
    link: Localized  # locale -> "slug#anchor"; "" -> the same slug in every locale


@dataclass(frozen=True)
class RequestType:
    """A kind of request (question, problem, ...): its fields, checklist and suggestion scope."""

    name: str
    label: Localized
    priority: str = "P3"
    help: Localized = field(default_factory=dict)
    categories: tuple[str, ...] = ()  # suggestions come from these categories (and below)
    tags: tuple[str, ...] = ()  # ... or from articles with these tags
    checklist: tuple[ChecklistItem, ...] = ()
    fields: tuple[FieldSpec, ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        """One of the type's own fields by name."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class RequestTypes:
    """Every request type of a build, in the file's order."""

    types: tuple[RequestType, ...] = ()

    def get(self, name: str | None) -> RequestType | None:
        """A type by name, or None."""
        return next((t for t in self.types if t.name == name), None)

    def pick(self, name: str | None) -> RequestType:
        """The named type, else the first (the form always has one)."""
        return self.get(name) or (self.types[0] if self.types else DEFAULT_TYPE)

    def to_json(self) -> list[dict[str, Any]]:
        """Plain data for the build store (no classes pickled into a build)."""
        return [asdict(t) for t in self.types]

    @classmethod
    def from_json(cls, data: Any) -> RequestTypes:
        """The inverse of `to_json`; anything unreadable gives the built-in default."""
        if not isinstance(data, list):
            return DEFAULT_TYPES
        try:
            return cls(tuple(_type_from(item) for item in data)) or DEFAULT_TYPES
        except (KeyError, TypeError, ValueError):
            log.warning("request types in the build are unreadable; using the default form")
            return DEFAULT_TYPES


def _type_from(item: dict[str, Any]) -> RequestType:
    return RequestType(
        name=item["name"],
        label=dict(item["label"]),
        priority=item.get("priority", "P3"),
        help=dict(item.get("help", {})),
        categories=tuple(item.get("categories", ())),
        tags=tuple(item.get("tags", ())),
        checklist=tuple(
            ChecklistItem(dict(c["text"]), dict(c["link"])) for c in item.get("checklist", ())
        ),
        fields=tuple(
            FieldSpec(
                name=f["name"],
                kind=f["kind"],
                label=dict(f["label"]),
                help=dict(f.get("help", {})),
                required=bool(f.get("required", False)),
                required_if=(str(f["required_if"][0]), str(f["required_if"][1]))
                if f.get("required_if")
                else None,
                options=tuple(Option(o["value"], dict(o["label"])) for o in f.get("options", ())),
                max_length=int(f.get("max_length", MAX_TEXT)),
                accept=tuple(f.get("accept", FILE_KINDS)),
            )
            for f in item.get("fields", ())
        ),
    )


# With no `_requests.yml` the portal still takes requests: one plain type, P3.
DEFAULT_TYPE = RequestType(name="question", label={"en": "Question", "ru": "Вопрос"})
DEFAULT_TYPES = RequestTypes((DEFAULT_TYPE,))

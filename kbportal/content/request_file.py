"""Read and check `_requests.yml`: every mistake becomes a Problem with the file and line."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from kbportal.content import yamllines as yamlines
from kbportal.content.models import Article, Problem, Severity
from kbportal.content.request_types import (
    BUILTIN_FIELDS,
    DEFAULT_TYPES,
    FILE_KINDS,
    KINDS,
    MAX_LONG_TEXT,
    MAX_TEXT,
    PRIORITIES,
    REQUESTS_FILE,
    ChecklistItem,
    FieldSpec,
    Localized,
    Option,
    RequestType,
    RequestTypes,
)
from kbportal.content.yamllines import line_of

log = logging.getLogger(__name__)

# The problem codes of `_requests.yml` (docs/content.md lists each; report.py merges them).
REQUEST_PROBLEM_CODES: dict[str, str] = {
    "request-bad-yaml": "_requests.yml is not valid YAML; the form falls back to the default",
    "request-bad-file": "_requests.yml is not UTF-8; the form falls back to the default",
    "request-no-types": "no types: mapping, or no usable type in it",
    "request-unknown-key": "a key the request form does not know",
    "request-bad-name": "a type name other than a-z, 0-9, - or _",
    "request-bad-type": "a type that is not a mapping",
    "request-missing-text": "a label or checklist text is missing",
    "request-bad-text": "a text is empty, or neither text nor {locale: text}",
    "request-unknown-locale": "a text for a locale the portal does not serve",
    "request-untranslated": "a text lacks a locale; another locale's is shown (warning)",
    "request-bad-priority": "priority is not P1-P4",
    "request-unknown-category": "suggest.categories names no category (warning)",
    "request-bad-list": "a list (categories, tags, fields, checklist, accept) that cannot be used",
    "request-bad-checklist": "a checklist item without text and link",
    "request-missing-link": "a checklist item links to a missing or draft article",
    "request-internal-link": "a checklist item links to an internal article",
    "request-missing-anchor": "a checklist item links to a missing heading (warning)",
    "request-bad-field": "a field name that is unusable, built in or repeated",
    "request-bad-kind": "a field's kind is not text, long_text, select, email, checkbox or file",
    "request-no-options": "a select field without options",
    "request-bad-option": "an option that is neither text nor {value, label}",
    "request-bad-condition": "required_if without field, or naming no field of the form",
    "request-bad-accept": "accept holds something other than image, pdf, text",
    "request-bad-length": "max_length out of range for the field's kind",
}

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
TYPE_KEYS = {"label", "help", "priority", "suggest", "checklist", "fields"}
FIELD_KEYS = {"name", "kind", "label", "help", "required", "required_if", "options"}
FIELD_KEYS |= {"max_length", "accept"}


class _Reader:
    """Collects problems while turning the YAML into request types."""

    def __init__(
        self, locales: tuple[str, ...], articles: Mapping[str, Article], categories: Collection[str]
    ) -> None:
        self.locales = locales
        self.articles = articles
        self.categories = categories  # "locale/path"
        self.problems: list[Problem] = []

    def report(self, line: int, code: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(REQUESTS_FILE, line, code, message, severity))

    def text(self, value: Any, line: int, what: str, required: bool = True) -> Localized:
        """A per-locale text: a string for every locale, or {locale: text}."""
        if value is None:
            if required:
                self.report(line, "request-missing-text", f"{what} is missing")
            return {}
        if isinstance(value, str | int | float):
            return {"": str(value)}
        if not isinstance(value, dict):
            self.report(line, "request-bad-text", f"{what} must be text or {{locale: text}}")
            return {}
        found: Localized = {}
        for locale, text in value.items():
            if locale not in self.locales:
                self.report(
                    line_of(value, locale),
                    "request-unknown-locale",
                    f"{what}: unknown locale '{locale}'",
                )
            elif not isinstance(text, str) or not text.strip():
                self.report(
                    line_of(value, locale), "request-bad-text", f"{what} in '{locale}' is empty"
                )
            else:
                found[locale] = text.strip()
        missing = [loc for loc in self.locales if loc not in found]
        if found and missing:
            message = f"{what} has no {', '.join(missing)} text (another locale's is shown)"
            self.report(line_of(value), "request-untranslated", message, "warning")
        return found

    def unknown_keys(self, spec: dict[str, Any], allowed: set[str], what: str) -> None:
        for key in spec:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.report(
                    line_of(spec, key),
                    "request-unknown-key",
                    f"{what}: unknown key '{key}' (known: {hint})",
                )

    def read(self, data: Any) -> RequestTypes:
        if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
            self.report(line_of(data), "request-no-types", "the file needs a 'types:' mapping")
            return DEFAULT_TYPES
        self.unknown_keys(data, {"types"}, REQUESTS_FILE)
        types = []
        for name, spec in data["types"].items():
            line = line_of(data["types"], name)
            if not _NAME.match(name):
                self.report(line, "request-bad-name", f"type name '{name}': use a-z, 0-9, - or _")
                continue
            if not isinstance(spec, dict):
                self.report(line, "request-bad-type", f"type '{name}' must be a mapping")
                continue
            types.append(self.request_type(name, spec))
        if not types:
            self.report(line_of(data, "types"), "request-no-types", "no usable request type")
            return DEFAULT_TYPES
        return RequestTypes(tuple(types))

    def request_type(self, name: str, spec: dict[str, Any]) -> RequestType:
        what = f"type '{name}'"
        self.unknown_keys(spec, TYPE_KEYS, what)
        priority = str(spec.get("priority", "P3"))
        if priority not in PRIORITIES:
            self.report(
                line_of(spec, "priority"),
                "request-bad-priority",
                f"{what}: priority must be one of {', '.join(PRIORITIES)}",
            )
            priority = "P3"
        suggest = spec.get("suggest") or {}
        categories = self.names(suggest, "categories", what) if isinstance(suggest, dict) else ()
        tags = self.names(suggest, "tags", what) if isinstance(suggest, dict) else ()
        for category in categories:
            if not any(f"{loc}/{category}" in self.categories for loc in self.locales):
                self.report(
                    line_of(suggest, "categories"),
                    "request-unknown-category",
                    f"{what}: no category '{category}'",
                    "warning",
                )
        fields = self.fields(spec.get("fields") or [], what)
        return RequestType(
            name=name,
            label=self.text(spec.get("label"), line_of(spec), f"{what} label"),
            priority=priority,
            help=self.text(spec.get("help"), line_of(spec, "help"), f"{what} help", False),
            categories=categories,
            tags=tags,
            checklist=self.checklist(spec.get("checklist") or [], what),
            fields=fields,
        )

    def names(self, spec: dict[str, Any], key: str, what: str) -> tuple[str, ...]:
        value = spec.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.report(line_of(spec, key), "request-bad-list", f"{what}: {key} must be a list")
            return ()
        return tuple(str(v).strip("/") for v in value if str(v).strip("/"))

    def checklist(self, items: Any, what: str) -> tuple[ChecklistItem, ...]:
        if not isinstance(items, list):
            self.report(line_of(items), "request-bad-list", f"{what}: checklist must be a list")
            return ()
        found = []
        for index, item in enumerate(items):
            line = line_of(items, index)
            if not isinstance(item, dict) or "link" not in item:
                self.report(
                    line, "request-bad-checklist", f"{what}: a checklist item needs text and link"
                )
                continue
            self.unknown_keys(item, {"text", "link"}, f"{what} checklist")
            link = item["link"]
            links = {"": link} if isinstance(link, str) else dict(link or {})
            for locale in self.locales:
                target = links.get(locale) or links.get("")
                if target:
                    self.check_link(locale, str(target), line_of(item, "link"), what)
            text = self.text(item.get("text"), line, f"{what} checklist item")
            found.append(ChecklistItem(text, {k: str(v) for k, v in links.items()}))
        return tuple(found)

    def check_link(self, locale: str, target: str, line: int, what: str) -> None:
        """A checklist link must name a public article (and a heading it has)."""
        slug, _, anchor = target.partition("#")
        article = self.articles.get(f"{locale}/{slug.strip('/').removesuffix('.md')}")
        if article is None or article.draft:
            self.report(
                line,
                "request-missing-link",
                f"{what}: checklist links to a missing article '{locale}/{slug}'",
            )
        elif article.visibility != "public":
            self.report(
                line,
                "request-internal-link",
                f"{what}: checklist links to internal '{article.key}' (customers see the form)",
            )
        elif anchor and article.toc and anchor not in {h.anchor for h in article.toc}:
            self.report(
                line,
                "request-missing-anchor",
                f"{what}: '{article.key}' has no heading '#{anchor}'",
                "warning",
            )

    def fields(self, items: Any, what: str) -> tuple[FieldSpec, ...]:
        if not isinstance(items, list):
            self.report(line_of(items), "request-bad-list", f"{what}: fields must be a list")
            return ()
        found: list[FieldSpec] = []
        conditions: list[tuple[FieldSpec, int]] = []
        for index, spec in enumerate(items):
            line = line_of(items, index)
            if not isinstance(spec, dict):
                self.report(line, "request-bad-field", f"{what}: a field must be a mapping")
                continue
            made = self.field(spec, what, line, {f.name for f in found})
            if made is not None:
                found.append(made)
                if made.required_if:
                    conditions.append((made, line_of(spec, "required_if")))
        names = {f.name: f for f in found}
        for spec, line in conditions:
            other = spec.required_if[0] if spec.required_if else ""
            if other not in names and other not in BUILTIN_FIELDS:
                self.report(
                    line,
                    "request-bad-condition",
                    f"{what}: field '{spec.name}' depends on unknown field '{other}'",
                )
        return tuple(found)

    def field(self, spec: dict[str, Any], what: str, line: int, seen: set[str]) -> FieldSpec | None:
        self.unknown_keys(spec, FIELD_KEYS, f"{what} field")
        name, kind = str(spec.get("name", "")), str(spec.get("kind", "text"))
        where = f"{what} field '{name}'"
        if not _NAME.match(name) or name in BUILTIN_FIELDS or name in seen:
            problem = (
                "is built in"
                if name in BUILTIN_FIELDS
                else "is repeated"
                if name in seen
                else "is not a usable name (a-z, 0-9, _)"
            )
            self.report(
                line_of(spec, "name") if "name" in spec else line,
                "request-bad-field",
                f"{where} {problem}",
            )
            return None
        if kind not in KINDS:
            self.report(
                line_of(spec, "kind"),
                "request-bad-kind",
                f"{where}: kind must be one of {', '.join(KINDS)}",
            )
            return None
        options = self.options(spec, where) if kind == "select" else ()
        condition = spec.get("required_if")
        required_if = None
        if isinstance(condition, dict) and condition.get("field"):
            required_if = (str(condition["field"]), str(condition.get("equals", "") or ""))
        elif condition is not None:
            self.report(
                line_of(spec, "required_if"),
                "request-bad-condition",
                f"{where}: required_if needs 'field' (and optionally 'equals')",
            )
        accept = self.names(spec, "accept", where) if kind == "file" else FILE_KINDS
        for item in accept:
            if item not in FILE_KINDS:
                self.report(
                    line_of(spec, "accept"),
                    "request-bad-accept",
                    f"{where}: accept may hold {', '.join(FILE_KINDS)}",
                )
        limit = MAX_LONG_TEXT if kind == "long_text" else MAX_TEXT
        max_length = spec.get("max_length", limit)
        if not isinstance(max_length, int) or not 1 <= max_length <= limit:
            self.report(
                line_of(spec, "max_length"),
                "request-bad-length",
                f"{where}: max_length must be 1-{limit}",
            )
            max_length = limit
        return FieldSpec(
            name=name,
            kind=kind,
            label=self.text(spec.get("label"), line_of(spec), f"{where} label"),
            help=self.text(spec.get("help"), line_of(spec, "help"), f"{where} help", False),
            required=spec.get("required") is True,
            required_if=required_if,
            options=options,
            max_length=max_length,
            accept=tuple(a for a in accept if a in FILE_KINDS) or FILE_KINDS,
        )

    def options(self, spec: dict[str, Any], where: str) -> tuple[Option, ...]:
        items = spec.get("options")
        if not isinstance(items, list) or not items:
            self.report(line_of(spec), "request-no-options", f"{where}: a select needs options")
            return ()
        found = []
        for index, item in enumerate(items):
            if isinstance(item, dict) and "value" in item:
                label = self.text(
                    item.get("label", item["value"]), line_of(items, index), f"{where} option"
                )
                found.append(Option(str(item["value"]), label))
            elif isinstance(item, str | int):
                found.append(Option(str(item), {"": str(item)}))
            else:
                self.report(
                    line_of(items, index),
                    "request-bad-option",
                    f"{where}: an option is text or {{value, label}}",
                )
        return tuple(found)


def read_request_types(
    articles_dir: Path,
    *,
    locales: tuple[str, ...],
    articles: Mapping[str, Article],
    categories: Collection[str],
) -> tuple[RequestTypes, list[Problem]]:
    """The request types of an articles folder (the default form if there is no file)."""
    path = Path(articles_dir) / REQUESTS_FILE
    if not path.is_file():
        return DEFAULT_TYPES, []
    reader = _Reader(locales, articles, categories)
    try:
        data = yamlines.load(path.read_bytes().decode("utf8"))
    except UnicodeDecodeError:
        reader.report(1, "request-bad-file", "not UTF-8 text")
        return DEFAULT_TYPES, reader.problems
    except yaml.YAMLError as exc:
        reader.report(yamlines.error_line(exc), "request-bad-yaml", f"not valid YAML: {exc}")
        return DEFAULT_TYPES, reader.problems
    return reader.read(data), reader.problems


__all__ = ["MAX_LONG_TEXT", "read_request_types"]

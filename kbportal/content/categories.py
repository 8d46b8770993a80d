"""Categories: folders of the articles tree, with optional `_category.yml` files."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from kbportal.content.frontmatter import DuplicateKeyError, strict_load
from kbportal.content.models import Category, Problem

log = logging.getLogger(__name__)

CATEGORY_FILE = re.compile(r"^_category(?:\.([A-Za-z_-]+))?\.ya?ml$")
_CATEGORY_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "description": str,
    "order": int,
    "visibility": str,
    "audience": (list, str),
}


def folder_title(path: str) -> str:
    """A readable title from a folder name: "getting-started" -> "Getting started"."""
    name = path.rpartition("/")[2].replace("-", " ").replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else path


def read_category_file(
    root: Path, relpath: str, max_bytes: int = 16 * 1024
) -> tuple[dict[str, Any], list[Problem]]:
    """The validated keys of one category file; a broken file hides its folder (fail closed)."""
    try:
        if (root / relpath).stat().st_size > max_bytes:
            return _closed(relpath, 1, f"category file is larger than {max_bytes} bytes")
        loaded = strict_load((root / relpath).read_text(encoding="utf-8-sig"))
    except DuplicateKeyError as error:
        first, again = error.first_line + 1, error.again_line + 1
        return _closed(relpath, again, f"'{error.key}' is given twice (lines {first} and {again})")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return _closed(relpath, line, f"cannot read category file: {error}".splitlines()[0])
    if loaded is None:
        return {}, []
    if not isinstance(loaded, dict):
        return _closed(relpath, 1, "category file must be a mapping of keys to values")
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in loaded.items():
        expected = _CATEGORY_KEYS.get(str(key))
        if expected is None:
            problems.append(
                Problem(relpath, 1, "unknown-key", f"unknown category key '{key}'", "warning")
            )
            continue
        bad_type = not isinstance(value, expected) or isinstance(value, bool)
        if key == "audience" and not bad_type:
            value = _groups(value)
            bad_type = not value  # an empty audience must not quietly mean "all staff"
        if bad_type or (key == "visibility" and value not in ("public", "internal")):
            found, more = _closed(relpath, 1, f"category key '{key}' has an invalid value")
            return found, problems + more
        data[str(key)] = value
    if data.get("audience"):
        if data.get("visibility") == "public":
            message = "a folder with an audience is internal to those groups"
            problems.append(Problem(relpath, 1, "visibility-conflict", message, "warning"))
        data["visibility"] = "internal"
        data["_file"] = relpath  # for a problem found once the parent folders are known
    return data, problems


def _groups(value: list[Any] | str) -> tuple[str, ...]:
    """Group names from a list or a comma-separated string; () if any is not a name."""
    items = value.split(",") if isinstance(value, str) else value
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in items):
        return ()
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _closed(relpath: str, line: int, message: str) -> tuple[dict[str, Any], list[Problem]]:
    """Treat an unreadable category file as internal: it may have been meant to hide things."""
    problem = Problem(relpath, line, "bad-category-file", message + " (folder hidden as internal)")
    return {"visibility": "internal"}, [problem]


def build_categories(
    needed: set[tuple[str, str]],
    files: dict[tuple[str | None, str], dict[str, Any]],
    locales: tuple[str, ...] = (),
    problems: list[Problem] | None = None,
) -> dict[tuple[str, str], Category]:
    """Categories for every (locale, path) needed and their ancestors, with file settings merged.

    `files` maps (locale or None for every locale, folder path) to a category file's keys; the
    locale-specific file wins over the shared one. Internal visibility inherits down, and so
    does an audience, which a folder below may only narrow (reported into `problems`).
    """
    found: dict[Problem, None] = {}  # a shared category file applies in every locale: once
    wanted: set[tuple[str, str]] = set()
    for locale, path in needed:
        while path:
            wanted.add((locale, path))
            path = path.rpartition("/")[0]
    categories: dict[tuple[str, str], Category] = {}
    every = {locale for locale, _ in needed} | {loc for loc, _ in files if loc} | set(locales)
    for locale in sorted(every):
        # An internal articles root or locale folder: the root entry makes all below internal.
        settings = {**files.get((None, ""), {}), **files.get((locale, ""), {})}
        if settings.get("visibility") == "internal":
            audience = tuple(settings.get("audience", ()))
            categories[(locale, "")] = Category(
                locale, "", "", visibility="internal", audience=audience
            )
    for locale, path in sorted(wanted, key=lambda item: (item[0], item[1].count("/"), item[1])):
        settings = {**files.get((None, path), {}), **files.get((locale, path), {})}
        category = Category(
            locale=locale,
            path=path,
            title=settings.get("title") or folder_title(path),
            description=settings.get("description", ""),
            order=settings.get("order"),
            visibility=settings.get("visibility", "public"),
        )
        parent = categories.get((locale, category.parent or ""))
        if parent is not None and parent.visibility == "internal":
            audience = _narrowed(settings, parent, found)
            category = replace(category, visibility="internal", audience=audience)
        elif settings.get("audience"):
            category = replace(category, audience=tuple(settings["audience"]))
        categories[(locale, path)] = category
    if problems is not None:
        problems.extend(found)
    return categories


def _narrowed(
    settings: dict[str, Any], parent: Category, found: dict[Problem, None]
) -> tuple[str, ...]:
    """A folder's audience below an internal parent: the parent's, or a part of it.

    Groups outside the parent's audience are dropped with an error; none left keeps the
    parent's audience (a folder below can never open what its parent restricts).
    """
    own: tuple[str, ...] = tuple(settings.get("audience", ()))
    if not parent.audience or not own:
        return own or parent.audience
    kept = tuple(group for group in own if group in parent.audience)
    if len(kept) < len(own):
        wider = ", ".join(group for group in own if group not in parent.audience)
        message = (
            f"audience {wider} is not in the enclosing folder's audience "
            f"({', '.join(parent.audience)}): a folder may only narrow it"
        )
        found[Problem(settings["_file"], 1, "audience-escape", message)] = None
    return kept or parent.audience

"""Who may see an article, decided by where its file really is on disk.

Visibility comes from the folder chain of the file (and, for a symlink, of the file it points
at); front matter may only narrow it. `category:` and `locale:` choose where an article is
listed, never who may read it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from kbportal.content.models import Category, Problem

log = logging.getLogger(__name__)

Categories = Mapping[tuple[str, str], Category]


class SymlinkRefused(ValueError):
    """A symlink in the articles tree that must not be followed."""


def real_relpath(root: Path, relpath: str) -> str:
    """The tree path of the file `relpath` really is (itself unless a symlink is on the way).

    Raises SymlinkRefused when it resolves outside the articles folder (or in a hidden folder).
    """
    real_root = root.resolve()
    try:
        real = (root / relpath).resolve(strict=True)
    except (OSError, RuntimeError) as error:  # a dangling link or a symlink loop
        raise SymlinkRefused(f"symlink that leads nowhere ({error})") from None
    if not real.is_relative_to(real_root):
        raise SymlinkRefused("symlink to a file outside the articles folder")
    inner = real.relative_to(real_root).as_posix()
    if any(part.startswith((".", "_")) for part in inner.split("/")):
        raise SymlinkRefused(f"symlink to '{inner}', which is not an article file")
    return inner


def symlinks_in(root: Path) -> dict[str, str | None]:
    """Every symlink in the tree: its relpath -> the relpath it points at inside (None: outside).

    Kept with a build, so that a publish finds the links to a changed file without walking
    the whole tree (a 100k-article tree took ~0.5 s to walk).
    """
    found: dict[str, str | None] = {}
    folders = [Path(root)]
    while folders:  # scandir knows symlinks without a stat per file
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name.startswith((".", "_")) and not entry.is_symlink():
                    continue
                if entry.is_symlink():
                    found[Path(entry.path).relative_to(root).as_posix()] = _inner(root, entry.path)
                elif entry.is_dir():
                    folders.append(Path(entry.path))
    return found


def refresh_symlinks(
    root: Path, known: dict[str, str | None], paths: Iterable[str]
) -> dict[str, str | None]:
    """The symlink map of a tree after the given paths changed (added, edited or removed)."""
    found = dict(known)
    for rel in paths:
        full = Path(root) / rel
        if os.path.islink(full):
            found[rel] = _inner(root, str(full))
        else:
            found.pop(rel, None)
    return found


def _inner(root: Path, link: str) -> str | None:
    """Where a symlink leads inside the tree (not strict: its target may be gone)."""
    real_root = Path(root).resolve()
    real = Path(os.path.realpath(link))
    return real.relative_to(real_root).as_posix() if real.is_relative_to(real_root) else None


def symlinks_to(
    root: Path, targets: Iterable[str], known: Mapping[str, str | None] | None = None
) -> set[str]:
    """Files in the tree that are symlinks to any of the targets (to re-read with them).

    A symlink reads its target's text, so a change to the target changes the link's article
    too, even though the link itself did not change. `known` is the tree's symlink map
    (`symlinks_in`), when one is at hand.
    """
    wanted = set(targets)
    if not wanted:
        return set()
    links = symlinks_in(root) if known is None else known
    return {link for link, inner in links.items() if inner in wanted}


def folder_chain(folder: str) -> list[str]:
    """A folder path and its ancestors, outermost first, from the root: "a/b" -> ["", "a", "a/b"].

    The root ("") stands for the articles folder or a locale folder, internal as a whole.
    """
    parts = [part for part in folder.split("/") if part]
    return ["", *("/".join(parts[: depth + 1]) for depth in range(len(parts)))]


def internal_folder(categories: Categories, locales: Iterable[str], folder: str) -> Category | None:
    """The outermost internal category on a folder's chain for any of the locales, or None.

    Categories inherit internal visibility downwards, so the first internal one found is where
    the restriction starts.
    """
    wanted = tuple(dict.fromkeys(locales))
    for path in folder_chain(folder):
        for locale in wanted:
            category = categories.get((locale, path))
            if category is not None and category.visibility == "internal":
                return category
    return None


def folder_audience(
    categories: Categories, locales: Iterable[str], folder: str
) -> tuple[str, ...] | None:
    """The staff groups a folder's chain restricts it to, or None if no folder names groups.

    Audiences narrow downwards (categories.build_categories), so the deepest one is the
    narrowest; across several locales the groups in all of them. () means no one.
    """
    found: tuple[str, ...] | None = None
    for locale in dict.fromkeys(locales):
        deepest: tuple[str, ...] = ()
        for path in folder_chain(folder):
            category = categories.get((locale, path))
            if category is not None and category.audience:
                deepest = category.audience
        if deepest:
            found = deepest if found is None else tuple(g for g in found if g in deepest)
    return found


def internal_file(
    categories: Categories, locales: tuple[str, ...], relpath: str
) -> Category | None:
    """The internal category a file of the tree (an image, a PDF) sits in, if any.

    Without a locale folder the file's folder is checked in every locale: an image belongs to
    no one locale, and a folder internal in any of them keeps it from the public.
    """
    first, _, rest = relpath.partition("/")
    locales_here, inner = ((first,), rest) if rest and first in locales else (locales, relpath)
    return internal_folder(categories, locales_here, inner.rpartition("/")[0])


def file_audience(
    categories: Categories, locales: tuple[str, ...], relpath: str
) -> tuple[str, ...] | None:
    """The staff groups a file of the tree (an image, a PDF) is restricted to by its folders.

    None when no folder names groups; () when its folders' groups have none in common.
    """
    first, _, rest = relpath.partition("/")
    locales_here, inner = ((first,), rest) if rest and first in locales else (locales, relpath)
    return folder_audience(categories, locales_here, inner.rpartition("/")[0])


def refusal(relpath: str, reason: str) -> Problem:
    """The problem reported for a symlink that is skipped."""
    return Problem(relpath, 1, "unsafe-symlink", f"{reason}; file skipped")

"""Filter queries: which index documents a viewer may see, in a locale and a category."""

from __future__ import annotations

from whoosh.query import And, Or, Query, Term

from kbportal.search.index import ALL_STAFF
from kbportal.viewer import Viewer


def visibility_filter(viewer: Viewer) -> Query:
    """Documents the viewer may see; mirrors `Viewer.can_see` (drafts are never indexed)."""
    public = Term("visibility", "public")
    if not viewer.staff:
        return public
    audiences = [Term("audience", ALL_STAFF)]
    audiences += [Term("audience", g) for g in sorted(viewer.groups)]
    internal = And([Term("visibility", "internal"), Or(audiences)])
    return Or([public, internal])


def scope_filter(
    viewer: Viewer, locale: str | None, category: str | None, first_only: bool = False
) -> Query:
    """The viewer's documents, narrowed to a locale and a category with its subcategories."""
    parts = [visibility_filter(viewer)]
    if locale:
        parts.append(Term("locale", locale))
    if category and category.strip("/"):
        parts.append(Term("cats", category.strip("/")))
    if first_only:
        parts.append(Term("first", "1"))
    return And(parts)


def scope_key(
    viewer: Viewer, locale: str | None, category: str | None, first_only: bool = False
) -> tuple[object, ...]:
    """A hashable key for caching a scope's document set."""
    return (
        viewer.staff,
        tuple(sorted(viewer.groups)),
        locale or "",
        (category or "").strip("/"),
        first_only,
    )

"""Search over articles, one index entry per section, behind a small interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kbportal.search.index import IndexFormatError, build_index, is_current, update_index
    from kbportal.search.searcher import Searcher

__all__ = ["IndexFormatError", "Searcher", "build_index", "is_current", "update_index"]


def __getattr__(name: str) -> Any:
    # Imported lazily: kbportal.publish.view imports search.types, and the searcher imports
    # publish.view, so importing the searcher here would make a cycle.
    if name in ("IndexFormatError", "build_index", "is_current", "update_index"):
        from kbportal.search import index

        return getattr(index, name)
    if name == "Searcher":
        from kbportal.search.searcher import Searcher

        return Searcher
    raise AttributeError(name)

"""Search over articles, one index entry per section, behind a small interface."""

from __future__ import annotations

from kbportal.search.index import IndexFormatError, build_index, is_current, update_index
from kbportal.search.searcher import Searcher

__all__ = ["IndexFormatError", "Searcher", "build_index", "is_current", "update_index"]

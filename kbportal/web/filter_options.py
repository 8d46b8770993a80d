"""The search page's category filter as HTML, rendered once per build, locale and viewer.

Rendering its up to 100 `<option>`s in the template was a third of a search page's time in the
worker once the answer itself comes from the search process's results cache (docs/benchmarks.md:
0.9 of 2.7-3.2 ms). The choices never change within a build, so they are rendered once per
(build, locale, viewer) and only the chosen one is marked per request. The viewer is in the key
(staff and each group see other categories): no visitor is ever shown another's choices.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from markupsafe import Markup

from kbportal.publish.view import CategoryNode, PublishedKB
from kbportal.viewer import Viewer
from kbportal.web.services import filter_choices

KEPT = 64  # (build, locale, viewer) renderings kept: builds x locales x the few kinds of viewer
INDENT = "\u2003"  # one em space per level below the top

_rendered: OrderedDict[tuple[str, str, Viewer], tuple[tuple[str, Markup], ...]] = OrderedDict()
_lock = threading.Lock()


def _option(depth: int, node: CategoryNode, selected: bool) -> Markup:
    return Markup('<option value="{}"{}>{}{}</option>').format(
        node.category.path,
        Markup(" selected") if selected else "",
        INDENT * depth,
        node.category.title,
    )


def _choices(kb: PublishedKB, locale: str, viewer: Viewer) -> tuple[tuple[str, Markup], ...]:
    """(path, its option unselected) for the build's top choices, rendered on first use."""
    key = (str(getattr(kb, "build_id", "")), locale, viewer)
    with _lock:
        found = _rendered.get(key)
        if found is not None:
            _rendered.move_to_end(key)
            return found
    made = tuple(
        (node.category.path, _option(depth, node, False))
        for depth, node in filter_choices(kb, locale, viewer)
    )
    with _lock:
        _rendered[key] = made
        while len(_rendered) > KEPT:
            _rendered.popitem(last=False)
    return made


def filter_options(kb: PublishedKB, locale: str, viewer: Viewer, selected: str = "") -> Markup:
    """The `<option>`s of the category filter the viewer may use, `selected` marked."""
    choices = _choices(kb, locale, viewer)
    parts = [_option_selected(html) if path == selected else html for path, html in choices]
    if selected and all(path != selected for path, _ in choices):
        chosen = kb.category(locale, selected, viewer)  # deeper than the top two levels
        if chosen is not None:
            parts.append(_option(selected.count("/"), chosen, True))
    return Markup("").join(parts)


def _option_selected(html: Markup) -> Markup:
    """One of our options, selected (its value is escaped: the first '>' ends the tag)."""
    head, _, rest = str(html).partition(">")
    return Markup(f"{head} selected>{rest}")

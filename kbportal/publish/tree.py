"""The category tree of one build, with counts, computed once per build and visibility class."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from kbportal.content.models import Article, Category
from kbportal.publish.view import CategoryNode
from kbportal.viewer import Viewer

# Readers who see the same articles share one tree: the public, all staff without groups, and
# one class per combination of audience groups a staff member has. A handful in practice;
# the bound keeps a flood of odd group sets from growing a worker's memory.
_MAX_CLASSES = 64

ClassKey = tuple[bool, frozenset[str]]


def _editorial(category: Category) -> tuple[bool, int, str]:
    """Explicit `order` first, then by title."""
    return (category.order is None, category.order or 0, category.title.casefold())


def _depth(path: str) -> int:
    """How deep a category path is: "" is 0, "a" is 1, "a/b" is 2."""
    return path.count("/") + 1 if path else 0


@dataclass(frozen=True)
class TreeView:
    """What one class of readers sees: every visible, non-empty category node by path."""

    nodes: dict[tuple[str, str], CategoryNode]

    def node(self, locale: str, path: str) -> CategoryNode | None:
        """A category's node (with its subtree and count), or None when hidden or empty."""
        found = self.nodes.get((locale, path))
        return found if found is not None and found.count > 0 else None

    def roots(self, locale: str) -> list[CategoryNode]:
        """The top-level categories of a locale."""
        root = self.nodes.get((locale, ""))
        return list(root.children) if root is not None else []


class CategoryTree:
    """Children lists once per build, and one `TreeView` per class of readers, built lazily."""

    def __init__(self, categories: dict[tuple[str, str], Category], articles: Iterable[Article]):
        self._categories = categories
        self._articles = list(articles)
        self._audiences = frozenset(g for a in self._articles for g in a.audience) | frozenset(
            g for c in categories.values() for g in c.audience
        )
        self._locales = {a.locale for a in self._articles} | {loc for loc, _ in categories}
        children: dict[tuple[str, str], list[Category]] = defaultdict(list)
        for (locale, path), category in categories.items():
            if path:
                children[(locale, category.parent or "")].append(category)
        self._children = {key: sorted(found, key=_editorial) for key, found in children.items()}
        self._views: OrderedDict[ClassKey, TreeView] = OrderedDict()
        self._lock = threading.Lock()

    def class_of(self, viewer: Viewer) -> ClassKey:
        """The readers who see exactly what this viewer sees (groups no article names drop out)."""
        if not viewer.staff:
            return (False, frozenset())
        return (True, viewer.groups & self._audiences)

    def view(self, viewer: Viewer) -> TreeView:
        """The tree this viewer sees; computed on first use, then shared by its class."""
        key = self.class_of(viewer)
        with self._lock:
            found = self._views.get(key)
            if found is not None:
                self._views.move_to_end(key)
                return found
        built = self._build(Viewer(staff=key[0], groups=key[1]))
        with self._lock:
            self._views[key] = built
            while len(self._views) > _MAX_CLASSES:
                self._views.popitem(last=False)
        return built

    def hidden(self, locale: str, path: str, viewer: Viewer) -> bool:
        """Whether the category or an ancestor is closed to the viewer (internal, or groups')."""
        parts = path.split("/") if path else []
        for depth in range(1, len(parts) + 1):
            category = self._categories.get((locale, "/".join(parts[:depth])))
            if category is None or category.visibility == "public":
                continue
            if not viewer.staff or (
                category.audience and not viewer.groups & set(category.audience)
            ):
                return True
        return False

    def _build(self, viewer: Viewer) -> TreeView:
        """Count the visible articles into every ancestor, then build the nodes bottom-up."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for article in self._articles:
            if not viewer.can_see(article):
                continue
            path = article.category
            counts[(article.locale, "")] += 1
            while path:
                counts[(article.locale, path)] += 1
                path = path.rpartition("/")[0]
        wanted = [
            key
            for key in self._categories
            if key[1] and counts.get(key, 0) > 0 and not self.hidden(key[0], key[1], viewer)
        ]
        nodes: dict[tuple[str, str], CategoryNode] = {}
        for locale, path in sorted(wanted, key=lambda key: -_depth(key[1])):
            nodes[(locale, path)] = self._node(locale, path, counts, nodes)
        for locale in self._locales:
            nodes[(locale, "")] = self._node(locale, "", counts, nodes)
        return TreeView(nodes)

    def _node(
        self,
        locale: str,
        path: str,
        counts: dict[tuple[str, str], int],
        nodes: dict[tuple[str, str], CategoryNode],
    ) -> CategoryNode:
        """One node, its children (already built: deeper first) in editorial order."""
        category = self._categories.get((locale, path)) or Category(
            locale, path, PurePosixPath(path).name.replace("-", " ").capitalize() if path else ""
        )
        children = [
            nodes[(locale, child.path)]
            for child in self._children.get((locale, path), [])
            if (locale, child.path) in nodes
        ]
        return CategoryNode(
            category=category, count=counts.get((locale, path), 0), children=children
        )

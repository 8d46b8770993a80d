"""One published build opened for reading: the `PublishedKB` the pages, API and CLI use."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from kbportal.content.links import MEDIA_SUFFIXES, Target
from kbportal.content.models import Article, Problem
from kbportal.content.placement import file_audience, internal_file
from kbportal.content.request_types import RequestTypes
from kbportal.publish import carry, gate, public_index, records, remote_search, store, targets
from kbportal.publish.bodies import BodyReader
from kbportal.publish.tree import CategoryTree
from kbportal.publish.view import CategoryNode, Suggestion
from kbportal.search import Searcher
from kbportal.search.types import SearchQuery, SearchResults
from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)

_MAX_REDIRECT_HOPS = 5
# Decoded full articles kept per build: a build never changes, and decoding the JSON of a tldr
# page costs ~0.1-0.3 ms. 512 tldr pages are ~10 MB decoded; well inside a worker's budget.
_ARTICLE_CACHE_SIZE = 512


def _order(article: Article) -> tuple[bool, int, str]:
    """Editorial order: explicit `order` first, then by title."""
    return (article.order is None, article.order or 0, article.title.casefold())


class BuildKB:
    """A read-only view of one immutable build: SQLite for content, Whoosh for search."""

    def __init__(
        self, build_dir: Path, articles_dir: Path, previous: BuildKB | None = None
    ) -> None:
        self.build_dir = build_dir
        self.build_id = build_dir.name
        self.articles_dir = Path(articles_dir)
        self._conn = store.open_readonly(build_dir / "content.sqlite")
        self._bodies = BodyReader(build_dir, store.bodies_of(self._conn)[0])
        self._lock = threading.Lock()  # one connection shared by a worker's threads
        # Listing fields of every article, kept in memory: counts and lists need no SQL. Made
        # from the open parent version when a publish changed a few articles (publish.carry).
        carried = carry.listings(self._conn, previous, _order)
        if carried is not None:
            self._light, self._by_category, self._newest = carried
        else:
            self._light = {a.key: a for a in store.light_articles(self._conn)}
            self._by_category = defaultdict(list)
            for article in sorted(self._light.values(), key=_order):
                self._by_category[(article.locale, article.category)].append(article)
            self._newest = carry.newest_first(self._light.values())
        self._categories = {(c.locale, c.path): c for c in store.categories(self._conn)}
        self._redirects = records.redirects(self._conn)
        self._locale_set = {a.locale for a in self._light.values()} | {
            locale for locale, _ in self._categories
        }
        self._locales = tuple(
            sorted(
                {locale for locale, _ in self._categories}
                | {a.locale for a in self._light.values()}
            )
        )
        # Children, counts and nodes once per build (per class of reader), never per request.
        self._tree = CategoryTree(self._categories, self._light.values())
        self._visible_locales: dict[Viewer, frozenset[str]] = {}  # few viewers: groups differ
        self._locales_lock = threading.Lock()
        self._decoded: OrderedDict[str, Article] = OrderedDict()
        self.wrapper: Any = None  # the accessor's HealingKB around this version, once made
        # Customers search an index of public articles only, so that no score, order or
        # spelling depends on an internal article (publish.public_index).
        public = public_index.folder(build_dir)
        if public is None:
            raise FileNotFoundError(f"build {build_dir.name} has no public search index")
        self.index_dirs = {"staff": build_dir / "index", "public": public}
        self._searchers: dict[Path, Searcher] = {}
        self._searchers_lock = threading.Lock()
        self._closed = False
        if remote_search.current() is None:
            # Searching here: open both now, so a broken index shows before this is served.
            # With the search process a worker opens one only if it must search itself
            # (~70 MB each on 100k articles, and as much again once it has searched).
            self.searcher, self.public_searcher  # noqa: B018 - opened for their side effect
        self._request_types: RequestTypes | None = None

    @property
    def searcher(self) -> Searcher:
        """The staff index's searcher (every article), opened on first use."""
        return self._searcher_at(self.index_dirs["staff"])

    @property
    def public_searcher(self) -> Searcher:
        """The public index's searcher (the staff one when every article is public)."""
        return self._searcher_at(self.index_dirs["public"])

    def _searcher_at(self, directory: Path) -> Searcher:
        with self._searchers_lock:
            found = self._searchers.get(directory)
            if found is None:
                if self._closed:
                    raise RuntimeError("the searcher is closed")
                found = self._searchers[directory] = Searcher(directory)
            return found

    def request_types(self) -> RequestTypes:
        """The request form's types published with this build (the default form if none)."""
        if self._request_types is None:
            with self._lock:
                data = store.get_blob(self._conn, "request_types")
            self._request_types = RequestTypes.from_json(data)
        return self._request_types

    def close(self) -> None:
        """Release the SQLite connection and the indexes."""
        with self._searchers_lock:
            self._closed = True
            searchers = list(self._searchers.values())
        for searcher in searchers:
            searcher.close()
        with self._lock:
            self._conn.close()
            self._bodies.close()

    # Articles -----------------------------------------------------------------------------

    def _full(self, keys: list[str]) -> list[Article]:
        """Full articles for keys, in the given order (recently read ones from memory)."""
        with self._lock:
            found = {k: self._decoded[k] for k in keys if k in self._decoded}
            missing = [k for k in keys if k not in found]
            if missing:
                found.update(store.articles_by_keys(self._conn, missing, self._bodies))
            for key in keys:
                if key in found:
                    self._decoded[key] = found[key]
                    self._decoded.move_to_end(key)
            while len(self._decoded) > _ARTICLE_CACHE_SIZE:
                self._decoded.popitem(last=False)
        return [found[k] for k in keys if k in found]

    def _listed(self, keys: list[str]) -> list[Article]:
        """Listing records (no html, sections, toc or links) for keys, in the given order."""
        return [self._light[k] for k in keys if k in self._light]

    def _visible(self, key: str, viewer: Viewer) -> bool:
        """Whether an article exists in this build and the viewer may see it."""
        light = self._light.get(key)
        return light is not None and viewer.can_see(light)

    def article(self, locale: str, slug: str, viewer: Viewer) -> Article | None:
        """The article, or None if it does not exist or the viewer may not see it."""
        key = f"{locale}/{slug}"
        if not self._visible(key, viewer):
            return None
        found = self._full([key])
        return found[0] if found and viewer.can_see(found[0]) else None

    def redirect_for(self, locale: str, slug: str, viewer: Viewer) -> str | None:
        """The current slug for an old slug (alias or rename), if the viewer may see it."""
        key = f"{locale}/{slug}"
        if key in self._light:
            return None  # a live article owns this slug
        for _ in range(_MAX_REDIRECT_HOPS):
            key = self._redirects.get(key, "")
            if not key:
                return None
            if key in self._light:
                target = self._light[key]
                return target.slug if viewer.can_see(target) and target.locale == locale else None
        return None

    def articles_in(self, locale: str, category: str, viewer: Viewer) -> list[Article]:
        """Articles directly in a category, in their editorial order (listing fields only)."""
        if not self._category_visible(locale, category, viewer):
            return []
        return [a for a in self._by_category.get((locale, category), []) if viewer.can_see(a)]

    def recent(self, locale: str, viewer: Viewer, limit: int = 5) -> list[Article]:
        """The most recently updated articles (listing fields only)."""
        keys: list[str] = []
        for article in self._newest:
            if len(keys) >= limit:
                break
            if article.locale == locale and viewer.can_see(article):
                keys.append(article.key)
        return self._listed(keys)

    def related(self, article: Article, viewer: Viewer, limit: int = 5) -> list[Article]:
        """Related articles: the `related` list first, then the same category (listing fields)."""
        keys: list[str] = []
        for slug in article.related:
            key = f"{article.locale}/{slug.strip('/')}"
            key = self._redirects.get(key, key) if key not in self._light else key
            if key != article.key and key not in keys and self._visible(key, viewer):
                keys.append(key)
        for other in self._by_category.get((article.locale, article.category), []):
            if len(keys) >= limit:
                break
            if other.key != article.key and other.key not in keys and viewer.can_see(other):
                keys.append(other.key)
        return self._listed(keys[: max(0, limit)])

    def locales_with_articles(self, viewer: Viewer) -> frozenset[str]:
        """The locales in which the viewer can open at least one article."""
        with self._locales_lock:
            found = self._visible_locales.get(viewer)
        if found is None:
            found = frozenset(a.locale for a in self._light.values() if viewer.can_see(a))
            with self._locales_lock:
                self._visible_locales[viewer] = found
        return found

    def translations(self, article: Article, viewer: Viewer) -> dict[str, Article]:
        """The same article in other locales (same slug), keyed by locale (listing fields)."""
        keys = [
            f"{loc}/{article.slug}" for loc in sorted(self._locale_set) if loc != article.locale
        ]
        visible = [k for k in keys if self._visible(k, viewer)]
        return {a.locale: a for a in self._listed(visible)}

    # Categories ---------------------------------------------------------------------------

    def _category_visible(self, locale: str, path: str, viewer: Viewer) -> bool:
        """A category hidden from the viewer (internal, or any internal ancestor) is unknown."""
        return not self._tree.hidden(locale, path, viewer)

    def category(self, locale: str, path: str, viewer: Viewer) -> CategoryNode | None:
        """One category with its visible subtree, or None if empty or unknown to the viewer."""
        return self._tree.view(viewer).node(locale, path.strip("/"))

    def categories(self, locale: str, viewer: Viewer) -> list[CategoryNode]:
        """The top-level categories the viewer sees, each with its subtree and counts."""
        return self._tree.view(viewer).roots(locale)

    # Everything else ----------------------------------------------------------------------

    def problems(self, viewer: Viewer | None = None) -> list[Problem]:
        """Content problems found when this version was built (with a viewer: theirs to see).

        A viewer sees the problems of files whose article they may open, and of files that
        did not become an article (nothing says who they were for); never the paths and
        messages of articles restricted to groups they are not in.
        """
        with self._lock:
            found = records.problems(self._conn)
            if viewer is None:
                return found
            owners = {p.path: targets.by_path(self._conn, p.path) for p in found}
        return [p for p in found if _may_open(viewer, owners[p.path])]

    def meta(self, name: str) -> str | None:
        """A manifest value of this build (e.g. "next_publish_at")."""
        with self._lock:
            return store.get_meta(self._conn, name)

    def _index_for(self, viewer: Viewer) -> Path:
        """Staff search every article; customers only the public index."""
        return self.index_dirs["staff" if viewer.staff else "public"]

    def search(self, query: SearchQuery) -> SearchResults:
        """Full-text search, filtered by the query's viewer."""
        directory = self._index_for(query.viewer)
        remote = remote_search.current()
        found = remote.search(directory, query) if remote is not None else None
        if found is not None:
            results = found
        else:
            with gate.search_slot().slot():
                results = self._searcher_at(directory).search(query)
        leaked = [h for h in results.hits if not self._visible(h.key, query.viewer)]
        if leaked:  # the index filters; this is a second lock on the door, and it should never fire
            log.error("search returned %d hits the viewer may not see", len(leaked))
            results.hits[:] = [h for h in results.hits if h not in leaked]
        return results

    def autocomplete(
        self, prefix: str, viewer: Viewer, locale: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        """Titles that complete what the reader is typing."""
        directory = self._index_for(viewer)
        remote = remote_search.current()
        found = (
            remote.autocomplete(directory, prefix, viewer, locale, limit)
            if remote is not None
            else None
        )
        if found is None:
            with gate.search_slot().slot():
                searcher = self._searcher_at(directory)
                found = searcher.autocomplete(prefix, viewer, locale=locale, limit=limit)
        return [s for s in found if self._visible(f"{s.locale}/{s.slug}", viewer)]

    def media_file(self, relpath: str, viewer: Viewer = PUBLIC) -> Path | None:
        """An image from the articles tree shown by an article the viewer may see, or None."""
        rel = _safe_relpath(relpath)
        if rel is None:
            return None
        with self._lock:
            keys = records.media_refs(self._conn, rel)
        if not any(self._visible(key, viewer) for key in keys):
            return None  # an image only internal articles show is internal too
        root = self.articles_dir.resolve()
        try:
            real = (root / rel).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(root) or not real.is_file():
            return None  # a symlink leading out of the tree
        paths = (rel, real.relative_to(root).as_posix())
        if not viewer.staff and any(  # where the file is on disk decides, as for articles
            internal_file(self._categories, self._locales, path) is not None for path in paths
        ):
            return None
        for path in paths:  # and a group's folder keeps its files from other staff too
            groups = file_audience(self._categories, self._locales, path)
            if groups is not None and not viewer.groups & set(groups):
                return None
        return real


def _may_open(viewer: Viewer, target: Target | None) -> bool:
    """Whether a viewer may open the article a file became (any staff: a file that did not)."""
    if target is None:
        return viewer.staff
    if target.visibility == "public":
        return True
    return viewer.staff and (not target.audience or bool(viewer.groups & set(target.audience)))


def _safe_relpath(relpath: str) -> str | None:
    """A clean relative media path, or None for anything that could leave the tree."""
    if not relpath or "\x00" in relpath or "\\" in relpath or relpath.startswith("/"):
        return None
    parts = relpath.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if PurePosixPath(relpath).suffix.lower() not in MEDIA_SUFFIXES:  # what the renderer links
        return None
    return relpath

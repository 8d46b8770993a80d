"""Opening a version made by an incremental publish from the version already open.

Reading every article's listing fields again cost a worker seconds at 100k articles on every
publish (push-to-found waited for it). A publish records its parent build and the keys it
changed; a worker that has the parent open copies its listings and reads only those keys.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from kbportal.content.models import Article
from kbportal.publish import store

PARENT = "parent"  # meta: the build an incremental publish started from
CHANGED = "changed_keys"  # meta: JSON list of the article keys it added, changed or removed
MAX_CHANGED = 5000  # a bigger change is recorded as unknown: the reader reads everything

# (articles by key, articles by (locale, category) in editorial order, newest first)
Listings = tuple[dict[str, Article], dict[tuple[str, str], list[Article]], list[Article]]


def record(conn: sqlite3.Connection, parent: str, keys: set[str]) -> None:
    """Note, in a build being written, what it changed relative to its parent."""
    store.set_meta(conn, PARENT, parent)
    store.set_meta(conn, CHANGED, json.dumps(sorted(keys)) if len(keys) <= MAX_CHANGED else None)


def listings(
    conn: sqlite3.Connection, previous: Any, order: Callable[[Article], Any]
) -> Listings | None:
    """The listings (see `Listings`) carried over from the open `previous` version; None when
    this build was not made from it."""
    if previous is None or store.get_meta(conn, PARENT) != previous.build_id:
        return None
    changed = store.get_meta(conn, CHANGED)
    if changed is None:
        return None
    keys = set(json.loads(changed))
    light: dict[str, Article] = dict(previous._light)
    touched: set[tuple[str, str]] = set()
    for key in keys:
        old = light.pop(key, None)
        if old is not None:
            touched.add((old.locale, old.category))
    fresh = store.light_articles(conn, sorted(keys))
    for article in fresh:
        light[article.key] = article
        touched.add((article.locale, article.category))
    by_category: dict[tuple[str, str], list[Article]] = defaultdict(list)
    by_category.update((c, found) for c, found in previous._by_category.items() if c not in touched)
    for where in touched:
        kept = [a for a in previous._by_category.get(where, ()) if a.key not in keys]
        added = [a for a in fresh if (a.locale, a.category) == where]
        if kept or added:
            by_category[where] = sorted(kept + added, key=order)
    return light, by_category, _newest(previous._newest, keys, fresh)


def _recency(article: Article) -> tuple[float, str]:
    """Where an article stands in the newest-first list (ties by key: the same in every worker,
    whether it opened the version afresh or carried it over)."""
    return (-article.updated.timestamp() if article.updated else 0.0, article.key)


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Articles with an update time, newest first."""
    return sorted((a for a in articles if a.updated is not None), key=_recency)


def _newest(before: list[Article], keys: set[str], fresh: list[Article]) -> list[Article]:
    """`newest_first` of the new version, from the previous version's list."""
    out = [a for a in before if a.key not in keys]
    for article in fresh:
        if article.updated is not None:
            out.insert(bisect.bisect_left(out, _recency(article), key=_recency), article)
    return out

"""The build's SQLite file: schema, manifest values, rendered articles and categories."""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from kbportal.content.models import Article, Category, Visibility
from kbportal.publish import bodies, codec, public_index
from kbportal.publish.bodies import BodyReader, BodyWriter
from kbportal.search import is_current

log = logging.getLogger(__name__)

# Bumped whenever the tables change: an older build is rebuilt in full, never patched.
SCHEMA_VERSION = "5"
# Incremental publishes since the last full build: each leaves deleted entries in the index
# (and replaced vectors and bodies) that only a full build merges away (sync: COMPACT_AFTER).
UPDATES_SINCE_FULL = "updates_since_full"
SYMLINKS = "symlinks"  # blob: the tree's symlinks, relpath -> target (placement.symlinks_in)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, locale TEXT NOT NULL, slug TEXT NOT NULL, path TEXT NOT NULL,
    category TEXT NOT NULL, visibility TEXT NOT NULL, title TEXT NOT NULL, audience TEXT NOT NULL,
    updated TEXT, ord INTEGER, summary TEXT NOT NULL, template INTEGER NOT NULL,
    authors TEXT NOT NULL, body_at INTEGER NOT NULL, body_len INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS articles_path ON articles (path);
CREATE TABLE IF NOT EXISTS categories (
    locale TEXT NOT NULL, path TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (locale, path));
CREATE TABLE IF NOT EXISTS redirects (
    old_key TEXT PRIMARY KEY, new_key TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
    path TEXT NOT NULL, line INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
    severity TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS problems_path ON problems (path);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, hash TEXT NOT NULL, key TEXT, status TEXT NOT NULL, publish_at TEXT);
CREATE INDEX IF NOT EXISTS files_key ON files (key);
CREATE TABLE IF NOT EXISTS targets_by_path (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS targets_by_key (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS article_links (
    key TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (key, target));
CREATE INDEX IF NOT EXISTS article_links_target ON article_links (target);
CREATE TABLE IF NOT EXISTS media_refs (
    path TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (path, key));
CREATE INDEX IF NOT EXISTS media_refs_key ON media_refs (key);
"""


def create(path: Path) -> sqlite3.Connection:
    """A new (or copied) build store opened for writing."""
    conn = sqlite3.connect(path, isolation_level=None)
    # The file is private to the build being assembled and fsynced once at the end.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(SCHEMA)
    return conn


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection on a finished build (immutable: no locking needed)."""
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def schema_version(build: Path) -> str | None:
    """The store format a build was written with (None if unreadable)."""
    try:
        conn = open_readonly(build / "content.sqlite")
        try:
            return get_meta(conn, "schema")
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def is_current_format(build: Path) -> bool:
    """Whether a build was written in this version's store and search-index formats."""
    # An old-format index cannot take an incremental update: such a build needs a full one.
    # So does one from before public searches had an index of their own (public_index).
    return (
        schema_version(build) == SCHEMA_VERSION
        and is_current(build / "index")
        and public_index.is_current_in(build)
    )


def set_meta(conn: sqlite3.Connection, name: str, value: str | None) -> None:
    """Record one manifest value (None deletes it)."""
    if value is None:
        conn.execute("DELETE FROM meta WHERE name = ?", (name,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))


def get_meta(conn: sqlite3.Connection, name: str) -> str | None:
    """One manifest value, or None."""
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def set_blob(conn: sqlite3.Connection, name: str, value: Any) -> None:
    """Keep a Python value the build itself made (e.g. link targets) for the next update."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    conn.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (name, data))


def get_blob(conn: sqlite3.Connection, name: str) -> Any:
    """A value stored with `set_blob`, or None."""
    row = conn.execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
    # Only ever our own build files, written by `set_blob` above.
    return pickle.loads(row[0]) if row else None  # noqa: S301


def put_articles(conn: sqlite3.Connection, articles: Iterable[Article], bodies: BodyWriter) -> None:
    """Insert or replace rendered articles: listing fields as columns, the whole article as
    JSON in the build's bodies file (kbportal.publish.bodies)."""
    rows = []
    for a in articles:
        at, length = bodies.add(codec.dumps(a))
        rows.append(
            (
                a.key,
                a.locale,
                a.slug,
                a.path,
                a.category,
                a.visibility,
                a.title,
                json.dumps(list(a.audience)),
                a.updated.isoformat() if a.updated else None,
                a.order,
                a.summary,
                int(a.template),
                json.dumps(list(a.authors), ensure_ascii=False),
                at,
                length,
            )
        )
    conn.executemany(
        "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def body_bytes(conn: sqlite3.Connection, keys: Iterable[str] | None = None) -> int:
    """How many bytes of the bodies file the given stored articles (or all) take."""
    if keys is None:
        return int(conn.execute("SELECT coalesce(sum(body_len), 0) FROM articles").fetchone()[0])
    total = 0
    for key in keys:
        row = conn.execute("SELECT body_len FROM articles WHERE key = ?", (key,)).fetchone()
        total += row[0] if row else 0
    return total


def set_bodies(conn: sqlite3.Connection, end: int, live: int) -> None:
    """Record where this build's bodies end, and how many of those bytes are live articles."""
    set_meta(conn, "bodies_end", str(end))
    set_meta(conn, "bodies_live", str(live))


def bodies_of(conn: sqlite3.Connection) -> tuple[int, int]:
    """(end, live bytes) of a build's bodies file."""
    return int(get_meta(conn, "bodies_end") or 0), int(get_meta(conn, "bodies_live") or 0)


def rewrite_bodies(conn: sqlite3.Connection, source: BodyReader, target: Path) -> int:
    """Write a build's live bodies into a fresh file of its own (dropping the garbage)."""
    (target / bodies.FILE).unlink()  # the link to the shared file: the old builds keep theirs
    writer = BodyWriter(target)
    rows = conn.execute("SELECT key, body_at, body_len FROM articles").fetchall()
    for key, at, length in rows:
        new_at, _ = writer.add(source.read(at, length))
        conn.execute("UPDATE articles SET body_at = ? WHERE key = ?", (new_at, key))
    writer.close()
    return writer.end


# Listing records carry no loader extras; one shared empty map instead of one each (~6 MB at
# 100k articles). Only ever read (`extra.get`), like the frozen record holding it.
_NO_EXTRA: dict[str, object] = {}


def light_articles(conn: sqlite3.Connection, keys: list[str] | None = None) -> list[Article]:
    """Every stored article (or those of `keys`) without its body: what listings, counts and
    visibility checks need.

    Read from plain columns, not the JSON: a worker does this for 8k articles on every switch.
    Listings (category pages, related, recent, feeds, sitemap) are served from these alone.
    """
    columns = (
        "SELECT locale, slug, path, category, visibility, title, audience, updated, ord,"
        " summary, template, authors FROM articles"
    )
    rows: Iterable[tuple[Any, ...]]
    if keys is None:
        rows = conn.execute(columns)  # one row at a time: 100k rows at once left ~40 MB behind
    else:
        rows = []
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += conn.execute(f"{columns} WHERE key IN ({marks})", chunk).fetchall()  # noqa: S608
    # Values many articles share are held once (a worker keeps every listing record: at 100k
    # articles each locale, visibility, category and date string was its own object, ~15 MB).
    shared = sys.intern
    dates: dict[str, datetime] = {}
    return [
        Article(
            locale=shared(r[0]),
            slug=r[1],
            path=r[2],
            category=shared(r[3]),
            visibility=cast(Visibility, shared(r[4])),
            title=r[5],
            html="",
            audience=tuple(json.loads(r[6])) if r[6] != "[]" else (),
            updated=(dates.get(r[7]) or dates.setdefault(r[7], datetime.fromisoformat(r[7])))
            if r[7]
            else None,
            order=r[8],
            summary=r[9],
            template=bool(r[10]),
            authors=tuple(json.loads(r[11])) if r[11] != "[]" else (),
            extra=_NO_EXTRA,
        )
        for r in rows
    ]


def articles_by_keys(
    conn: sqlite3.Connection, keys: list[str], bodies: BodyReader
) -> dict[str, Article]:
    """Full stored articles for the given keys (missing ones left out)."""
    found: dict[str, Article] = {}
    for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, at, length in conn.execute(
            f"SELECT key, body_at, body_len FROM articles WHERE key IN ({marks})",
            chunk,  # noqa: S608
        ).fetchall():
            found[key] = codec.loads_article(bodies.read(at, length))
    return found


def count_articles(conn: sqlite3.Connection) -> None:
    """Count the stored articles once (full builds); a publish then adjusts the counts."""
    total, public = conn.execute(
        "SELECT count(*), coalesce(sum(visibility = 'public'), 0) FROM articles"
    ).fetchone()
    set_counts(conn, total, public)


def set_counts(conn: sqlite3.Connection, total: int, public: int) -> None:
    """Record how many articles the build holds, and how many of them are public."""
    set_meta(conn, "articles", str(total))
    set_meta(conn, "public_articles", str(public))


def all_counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """Stored articles: all, public, internal (kept in the manifest: no scan of the table)."""
    total, public = get_meta(conn, "articles"), get_meta(conn, "public_articles")
    if total is None or public is None:
        count_articles(conn)
        return all_counts(conn)
    return int(total), int(public), int(total) - int(public)


def missing_keys(conn: sqlite3.Connection, keys: Iterable[str]) -> set[str]:
    """Those of the keys that no stored article has."""
    return {
        k for k in keys if not conn.execute("SELECT 1 FROM articles WHERE key = ?", (k,)).fetchone()
    }


def delete_articles(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Remove articles by key."""
    conn.executemany("DELETE FROM articles WHERE key = ?", ((k,) for k in keys))


def article_keys(conn: sqlite3.Connection) -> set[str]:
    """The keys of every stored article."""
    return {r[0] for r in conn.execute("SELECT key FROM articles")}


def put_categories(conn: sqlite3.Connection, categories: Iterable[Category]) -> None:
    """Replace the stored categories."""
    conn.execute("DELETE FROM categories")
    conn.executemany(
        "INSERT OR REPLACE INTO categories VALUES (?, ?, ?)",
        ((c.locale, c.path, codec.dumps(c)) for c in categories),
    )


def add_categories(conn: sqlite3.Connection, categories: Iterable[Category]) -> None:
    """Add categories (keeping the stored ones)."""
    conn.executemany(
        "INSERT OR REPLACE INTO categories VALUES (?, ?, ?)",
        ((c.locale, c.path, codec.dumps(c)) for c in categories),
    )


def categories(conn: sqlite3.Connection) -> list[Category]:
    """Every stored category."""
    return [codec.loads(r[0]) for r in conn.execute("SELECT data FROM categories")]

"""The build's SQLite file: rendered articles, categories, redirects, problems and the manifest."""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kbportal.content.models import Article, Category, Problem
from kbportal.publish import codec

log = logging.getLogger(__name__)

# Bumped whenever the tables change: an older build is rebuilt in full, never patched.
SCHEMA_VERSION = "3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, locale TEXT NOT NULL, slug TEXT NOT NULL, path TEXT NOT NULL,
    category TEXT NOT NULL, visibility TEXT NOT NULL, title TEXT NOT NULL, audience TEXT NOT NULL,
    updated TEXT, ord INTEGER, data TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS article_links (
    key TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (key, target));
CREATE INDEX IF NOT EXISTS article_links_target ON article_links (target);
CREATE TABLE IF NOT EXISTS media_refs (
    path TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (path, key));
CREATE INDEX IF NOT EXISTS media_refs_key ON media_refs (key);
"""


@dataclass(frozen=True)
class FileEntry:
    """One source file in the manifest: its content hash and what became of it."""

    path: str
    hash: str
    key: str | None  # "locale/slug" for an article file
    status: str  # published | draft | scheduled | skipped | category | media
    publish_at: str | None = None  # ISO time a scheduled article goes live


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
    """Whether a build was written in this version's store format."""
    return schema_version(build) == SCHEMA_VERSION


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


def put_articles(conn: sqlite3.Connection, articles: Iterable[Article]) -> None:
    """Insert or replace rendered articles (listing fields as columns, the rest as JSON)."""
    conn.executemany(
        "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
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
                codec.dumps(a),
            )
            for a in articles
        ),
    )


def light_articles(conn: sqlite3.Connection) -> list[Article]:
    """Every stored article without its body: what listings, counts and visibility checks need.

    Read from plain columns, not the JSON: a worker does this for 8k articles on every switch.
    """
    rows = conn.execute(
        "SELECT locale, slug, path, category, visibility, title, audience, updated, ord"
        " FROM articles"
    )
    return [
        Article(
            locale=r[0],
            slug=r[1],
            path=r[2],
            category=r[3],
            visibility=r[4],
            title=r[5],
            html="",
            audience=tuple(json.loads(r[6])) if r[6] != "[]" else (),
            updated=datetime.fromisoformat(r[7]) if r[7] else None,
            order=r[8],
        )
        for r in rows
    ]


def articles_by_keys(conn: sqlite3.Connection, keys: list[str]) -> dict[str, Article]:
    """Full stored articles for the given keys (missing ones left out)."""
    found: dict[str, Article] = {}
    for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, data in conn.execute(
            f"SELECT key, data FROM articles WHERE key IN ({marks})",
            chunk,  # noqa: S608
        ):
            found[key] = codec.loads_article(data)
    return found


def all_counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """Stored articles: all, public, internal."""
    total, public = conn.execute(
        "SELECT count(*), coalesce(sum(visibility = 'public'), 0) FROM articles"
    ).fetchone()
    return total, public, total - public


def delete_articles(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Remove articles by key."""
    conn.executemany("DELETE FROM articles WHERE key = ?", ((k,) for k in keys))


def article(conn: sqlite3.Connection, key: str) -> Article | None:
    """One stored article by key."""
    row = conn.execute("SELECT data FROM articles WHERE key = ?", (key,)).fetchone()
    return codec.loads_article(row[0]) if row else None


def all_articles(conn: sqlite3.Connection) -> list[Article]:
    """Every stored (published) article."""
    return [codec.loads_article(r[0]) for r in conn.execute("SELECT data FROM articles")]


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


def put_redirects(conn: sqlite3.Connection, redirects: dict[str, str], kind: str) -> None:
    """Add old key -> current key redirects ("alias" from front matter, "rename" from moves)."""
    conn.executemany(
        "INSERT OR REPLACE INTO redirects VALUES (?, ?, ?)",
        ((old, new, kind) for old, new in redirects.items() if old != new),
    )


def delete_redirects_to(conn: sqlite3.Connection, keys: Iterable[str], kind: str) -> None:
    """Forget redirects of one kind pointing at the given keys (before re-adding them)."""
    conn.executemany(
        "DELETE FROM redirects WHERE new_key = ? AND kind = ?", ((k, kind) for k in keys)
    )


def redirects(conn: sqlite3.Connection, kind: str | None = None) -> dict[str, str]:
    """Every redirect (or those of one kind), old key -> current key."""
    if kind is None:
        return dict(conn.execute("SELECT old_key, new_key FROM redirects"))
    return dict(conn.execute("SELECT old_key, new_key FROM redirects WHERE kind = ?", (kind,)))


def repoint_redirects(conn: sqlite3.Connection, old_key: str, new_key: str) -> None:
    """Make redirects that led to a renamed article lead to its new key."""
    conn.execute("UPDATE redirects SET new_key = ? WHERE new_key = ?", (new_key, old_key))


def put_problems(conn: sqlite3.Connection, problems: Iterable[Problem]) -> None:
    """Add content problems."""
    conn.executemany(
        "INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
        ((p.path, p.line, p.code, p.message, p.severity) for p in problems),
    )


def delete_problems(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Forget problems reported for the given source files (before re-checking them)."""
    conn.executemany("DELETE FROM problems WHERE path = ?", ((p,) for p in paths))


def problems(conn: sqlite3.Connection) -> list[Problem]:
    """Every stored problem, by file and line."""
    rows = conn.execute(
        "SELECT path, line, code, message, severity FROM problems ORDER BY path, line, code"
    )
    return [Problem(path=r[0], line=r[1], code=r[2], message=r[3], severity=r[4]) for r in rows]


def put_files(conn: sqlite3.Connection, entries: Iterable[FileEntry]) -> None:
    """Insert or replace manifest entries."""
    conn.executemany(
        "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
        ((e.path, e.hash, e.key, e.status, e.publish_at) for e in entries),
    )


def delete_files(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Remove manifest entries."""
    conn.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in paths))


def files(conn: sqlite3.Connection) -> dict[str, FileEntry]:
    """The manifest: every source file seen by the build, by path."""
    rows = conn.execute("SELECT path, hash, key, status, publish_at FROM files")
    return {r[0]: FileEntry(*r) for r in rows}


def put_refs(conn: sqlite3.Connection, articles: Iterable[Article]) -> None:
    """Record which images each article shows and which articles it links to."""
    media, links = [], []
    for a in articles:
        for link in a.links:
            if link.resolved and link.kind in ("image", "media"):
                media.append((link.resolved, a.key))
            elif link.resolved and link.kind == "article":
                links.append((a.key, link.resolved))
    conn.executemany("INSERT OR IGNORE INTO media_refs VALUES (?, ?)", media)
    conn.executemany("INSERT OR IGNORE INTO article_links VALUES (?, ?)", links)


def delete_refs(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Forget the images and links of the given articles (before re-adding them)."""
    rows = [(k,) for k in keys]
    conn.executemany("DELETE FROM media_refs WHERE key = ?", rows)
    conn.executemany("DELETE FROM article_links WHERE key = ?", rows)


def linking_keys(conn: sqlite3.Connection, targets: Iterable[str]) -> set[str]:
    """Keys of the articles that link to any of the targets."""
    found: set[str] = set()
    for target in targets:
        rows = conn.execute("SELECT key FROM article_links WHERE target = ?", (target,))
        found.update(r[0] for r in rows)
    return found


def paths_with_problem(conn: sqlite3.Connection, code: str) -> set[str]:
    """Source files with a problem of this kind."""
    return {r[0] for r in conn.execute("SELECT path FROM problems WHERE code = ?", (code,))}


def visibilities(conn: sqlite3.Connection, keys: list[str]) -> dict[str, str]:
    """The stored visibility of each of the given articles that is stored."""
    found: dict[str, str] = {}
    for key in keys:
        row = conn.execute("SELECT visibility FROM articles WHERE key = ?", (key,)).fetchone()
        if row:
            found[key] = row[0]
    return found


def media_refs(conn: sqlite3.Connection, path: str) -> list[str]:
    """The keys of the articles that show an image."""
    return [r[0] for r in conn.execute("SELECT key FROM media_refs WHERE path = ?", (path,))]

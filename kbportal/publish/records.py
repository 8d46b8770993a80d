"""The build's bookkeeping records: source files, redirects, problems, links and images."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from kbportal.content.models import Article, Problem


@dataclass(frozen=True)
class FileEntry:
    """One source file in the manifest: its content hash and what became of it."""

    path: str
    hash: str
    key: str | None  # "locale/slug" for an article file
    status: str  # published | draft | scheduled | skipped | category | media
    publish_at: str | None = None  # ISO time a scheduled article goes live


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


def file_entry(conn: sqlite3.Connection, path: str) -> FileEntry | None:
    """One manifest entry, or None."""
    row = conn.execute(
        "SELECT path, hash, key, status, publish_at FROM files WHERE path = ?", (path,)
    ).fetchone()
    return FileEntry(*row) if row else None


def key_of(conn: sqlite3.Connection, path: str) -> str | None:
    """The article key a source file became (None for a file that is no article)."""
    row = conn.execute("SELECT key FROM files WHERE path = ?", (path,)).fetchone()
    return row[0] if row else None


def paths_of(conn: sqlite3.Connection, keys: Iterable[str]) -> set[str]:
    """The source files of the given article keys (an index lookup each)."""
    found: set[str] = set()
    for key in keys:
        found.update(r[0] for r in conn.execute("SELECT path FROM files WHERE key = ?", (key,)))
    return found


def scheduled(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(path, publish_at) of the scheduled articles: a few rows, not the whole manifest."""
    rows = conn.execute(
        "SELECT path, publish_at FROM files WHERE status = 'scheduled' AND publish_at IS NOT NULL"
    )
    return [(r[0], r[1]) for r in rows]


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


def visibilities(
    conn: sqlite3.Connection, keys: list[str]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The stored (visibility, audience) of each of the given articles that is stored."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for key in keys:
        row = conn.execute(
            "SELECT visibility, audience FROM articles WHERE key = ?", (key,)
        ).fetchone()
        if row:
            found[key] = (row[0], tuple(json.loads(row[1])))
    return found


def media_refs(conn: sqlite3.Connection, path: str) -> list[str]:
    """The keys of the articles that show an image."""
    return [r[0] for r in conn.execute("SELECT key FROM media_refs WHERE path = ?", (path,))]

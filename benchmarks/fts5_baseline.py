"""The baseline: SQLite FTS5 (porter, bm25 with title x3) on the same pages, same queries."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)


def _doc(path: Path) -> tuple[str, str, str]:
    text = path.read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    return str(path), first.lstrip("# ").strip(), body


def build(db_path: Path, paths: list[Path]) -> float:
    """Index every page; returns seconds."""
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute(
        "CREATE VIRTUAL TABLE pages USING fts5(path UNINDEXED, title, body,"
        " tokenize='porter unicode61')"
    )
    with db:
        db.executemany("INSERT INTO pages VALUES (?, ?, ?)", (_doc(p) for p in paths))
    db.close()
    return time.perf_counter() - start


def update_one(db_path: Path, path: Path) -> float:
    """Replace one page; returns seconds."""
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    with db:
        db.execute("DELETE FROM pages WHERE path = ?", (str(path),))
        db.execute("INSERT INTO pages VALUES (?, ?, ?)", _doc(path))
    db.close()
    return time.perf_counter() - start


def searcher(db_path: Path):
    """A function running one query with snippets, as a search API would."""
    db = sqlite3.connect(db_path, check_same_thread=False)

    def search(query: str) -> list[tuple[str, str]]:
        terms = " OR ".join(f'"{w}"' for w in _WORD.findall(query))
        if not terms:
            return []
        return db.execute(
            "SELECT path, snippet(pages, 2, '<mark>', '</mark>', '…', 24) FROM pages"
            " WHERE pages MATCH ? ORDER BY bm25(pages, 0, 3.0, 1.0) LIMIT 10",
            (terms,),
        ).fetchall()

    return search

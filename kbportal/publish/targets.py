"""Link targets kept in the build store as rows, so a publish reads and writes only what it touches.

A whole-KB pickle of every target cost a 100k-article publish ~3 s to read and write back. The
articles (by path and by key) are rows; the small rest (locales, media, categories, folders,
aliases, skipped files) stays one pickled value.
"""

from __future__ import annotations

import dataclasses
import pickle
import sqlite3
from collections.abc import Iterator, MutableMapping

from kbportal.content.links import LinkTargets, Target
from kbportal.publish import store

_BLOB = "link_targets"
_GONE = object()  # an overlay entry: deleted in this change


class StoredTargets(MutableMapping[str, Target]):
    """One of the target maps, read from its table on demand; changes kept until `flush`."""

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self._conn = conn
        self._table = table
        self._changes: dict[str, object] = {}

    def _read(self, name: str) -> Target | None:
        row = self._conn.execute(
            f"SELECT data FROM {self._table} WHERE name = ?",  # noqa: S608 (our table names)
            (name,),
        ).fetchone()
        # Only ever our own build files, written by `flush` or `save` below.
        return pickle.loads(row[0]) if row else None  # noqa: S301

    def __getitem__(self, name: str) -> Target:
        found = self._changes.get(name)
        if found is _GONE:
            raise KeyError(name)
        if found is None:
            found = self._read(name)
            if found is None:
                raise KeyError(name)
        return found  # type: ignore[return-value]

    def __setitem__(self, name: str, target: Target) -> None:
        self._changes[name] = target

    def __delitem__(self, name: str) -> None:
        self[name]  # noqa: B018 (raises KeyError as a dict would)
        self._changes[name] = _GONE

    def __iter__(self) -> Iterator[str]:
        # Only the full build iterates targets; a publish never does. Correct, if not cheap.
        names = [r[0] for r in self._conn.execute(f"SELECT name FROM {self._table}")]  # noqa: S608
        for name in dict.fromkeys([*names, *self._changes]):
            if name in self:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except KeyError:
            return False
        return True

    def flush(self) -> None:
        """Write the changes into the table."""
        gone = [(n,) for n, t in self._changes.items() if t is _GONE]
        rows = [(n, _dump(t)) for n, t in self._changes.items() if t is not _GONE]
        self._conn.executemany(f"DELETE FROM {self._table} WHERE name = ?", gone)  # noqa: S608
        self._conn.executemany(
            f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)",  # noqa: S608
            rows,
        )
        self._changes.clear()


def _dump(target: object) -> bytes:
    return pickle.dumps(target, protocol=pickle.HIGHEST_PROTOCOL)


def save(conn: sqlite3.Connection, targets: LinkTargets) -> None:
    """Write a whole KB's link targets into a new build (full builds)."""
    tables = (("targets_by_path", targets.by_path), ("targets_by_key", targets.by_key))
    for table, mapping in tables:
        conn.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",  # noqa: S608
            ((name, _dump(target)) for name, target in mapping.items()),
        )
    store.set_blob(conn, _BLOB, dataclasses.replace(targets, by_path={}, by_key={}))


def load(conn: sqlite3.Connection) -> LinkTargets | None:
    """The build's link targets, articles read from their tables on demand; None if absent."""
    rest = store.get_blob(conn, _BLOB)
    if not isinstance(rest, LinkTargets):
        return None
    rest.by_path = StoredTargets(conn, "targets_by_path")
    rest.by_key = StoredTargets(conn, "targets_by_key")
    return rest


def write(conn: sqlite3.Connection, targets: LinkTargets) -> None:
    """Store what a publish changed in targets opened with `load`."""
    for mapping in (targets.by_path, targets.by_key):
        if isinstance(mapping, StoredTargets):
            mapping.flush()
    store.set_blob(conn, _BLOB, dataclasses.replace(targets, by_path={}, by_key={}))


def by_path(conn: sqlite3.Connection, path: str) -> Target | None:
    """The article a source file became, as a link target (None if none)."""
    return StoredTargets(conn, "targets_by_path").get(path)

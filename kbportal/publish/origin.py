"""Which articles folder the served build came from, so another folder is not swapped in unasked."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kbportal.publish import layout, store

log = logging.getLogger(__name__)

ORIGIN_KEY = "articles_dir"


@dataclass(frozen=True)
class ServedBuild:
    """The build being served: its id, the folder it was built from (None if unrecorded), size."""

    build_id: str
    articles_dir: Path | None
    articles: int

    def is_from(self, articles_dir: Path) -> bool:
        """Whether this build was made from `articles_dir` (an unrecorded origin counts as yes)."""
        return self.articles_dir is None or self.articles_dir == Path(articles_dir).resolve()


def record_origin(conn: sqlite3.Connection, articles_dir: Path) -> None:
    """Store the articles folder in a build's manifest (its updates carry it over)."""
    store.set_meta(conn, ORIGIN_KEY, str(Path(articles_dir).resolve()))


def served_build(data_dir: Path) -> ServedBuild | None:
    """What the data folder serves now, or None when nothing is served (or it is unreadable)."""
    build = layout.current_build(Path(data_dir))
    if build is None:
        return None
    try:
        conn = store.open_readonly(build / "content.sqlite")
        try:
            origin = store.get_meta(conn, ORIGIN_KEY)
            count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot read the served build %s: %s", build, exc)
        return None
    return ServedBuild(build.name, Path(origin) if origin else None, int(count))

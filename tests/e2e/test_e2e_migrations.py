"""Several databases migrating at once in one process (apps, the events thread) all succeed."""

from __future__ import annotations

import threading
from pathlib import Path

from kbportal.db import Database, current_revision, head_revision


def test_concurrent_first_use_migrations(tmp_path: Path) -> None:
    databases = [Database(f"sqlite:///{tmp_path / f'db{i}.sqlite'}") for i in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(databases))

    def first_use(database: Database) -> None:
        try:
            start.wait()
            database.session().close()
        except BaseException as exc:  # collected: a thread's exception must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for database in databases:
        assert current_revision(database.engine) == head_revision()
        database.dispose()

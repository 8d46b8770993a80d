"""Git-derived "last updated" and authors for the publisher, cheap for full and small builds."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from kbportal.content.models import Article
from kbportal.sync.git import Git, GitError
from kbportal.sync.history import FileInfo, file_history, scan_repo

log = logging.getLogger(__name__)

# Up to this many files, one `git log` per file beats a pass over the whole history.
PER_FILE_LIMIT = 20


class GitMetadata:
    """Last-updated dates and authors of article files from git, or nothing outside git."""

    def __init__(self, articles_dir: Path, paths: Iterable[str] | None = None) -> None:
        self.articles_dir = Path(articles_dir)
        self.files: dict[str, FileInfo] = {}
        self.available = Git(self.articles_dir).is_repo()
        if not self.available:
            return
        wanted = None if paths is None else sorted(set(paths))
        try:
            if wanted is not None and len(wanted) <= PER_FILE_LIMIT:
                for path in wanted:
                    commits = file_history(self.articles_dir, path, follow=False)
                    if commits:
                        authors = tuple(dict.fromkeys(c.author for c in commits))
                        self.files[path] = FileInfo(commits[0].date, authors)
            else:
                self.files = scan_repo(self.articles_dir).files  # one process for everything
        except GitError as exc:
            log.warning("git metadata unavailable, using file times: %s", exc)
            self.files = {}

    def updated_for(self, relpath: str) -> datetime | None:
        """When the file last changed in git (the loader's `updated_for`); None if unknown."""
        info = self.files.get(relpath)
        return info.updated if info else None

    def authors_for(self, relpath: str) -> tuple[str, ...]:
        """Who changed the file, most recent first."""
        info = self.files.get(relpath)
        return info.authors if info else ()

    def enrich(self, article: Article) -> Article:
        """The article with its git authors (its date comes through `updated_for`)."""
        authors = self.authors_for(article.path)
        if not authors or article.authors:
            return article
        return dataclasses.replace(article, authors=authors)

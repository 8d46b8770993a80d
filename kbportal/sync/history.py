"""Article history from git: per-file commits, last-updated dates and authors, old paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kbportal.sync.git import Git, GitError

log = logging.getLogger(__name__)

# Field and record separators that cannot occur in names, dates or subjects.
_FS = "\x1f"
_RS = "\x1e"
_FORMAT = "%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s"


@dataclass(frozen=True)
class Commit:
    """One commit that touched an article: what staff see in its history."""

    sha: str
    author: str
    email: str
    date: datetime
    subject: str

    @property
    def short(self) -> str:
        """The abbreviated hash shown in lists."""
        return self.sha[:10]


@dataclass(frozen=True)
class FileInfo:
    """What git knows about one file: when it last changed and who wrote it."""

    updated: datetime
    authors: tuple[str, ...]  # most recent first, each once


def _parse_header(header: str) -> Commit:
    sha, author, email, date, subject = header.split(_FS, 4)
    return Commit(sha, author, email, datetime.fromisoformat(date), subject)


def file_history(
    articles_dir: Path, relpath: str, limit: int = 100, follow: bool = True
) -> list[Commit]:
    """The commits that changed one article, newest first, following renames if asked."""
    git = Git(articles_dir)
    if not git.is_repo():
        return []
    # --follow runs rename detection on every commit (0.1 s on a big tree): pages want it,
    # the publisher's per-file dates do not.
    options = ["--follow"] if follow else []
    try:
        out = git.run("log", f"--max-count={limit}", *options, f"--format={_FORMAT}", "--", relpath)
    except GitError as exc:
        log.warning("history of %s unavailable: %s", relpath, exc)
        return []
    return [_parse_header(rec.strip("\n")) for rec in out.split(_RS) if rec.strip()]


@dataclass(frozen=True)
class RepoScan:
    """Everything one pass over the repository's log yields."""

    files: dict[str, FileInfo]  # by current path
    renames: dict[str, str]  # every old path -> the current path it became


def scan_repo(articles_dir: Path) -> RepoScan:
    """Dates, authors and renames of every file from one `git log` process, newest first."""
    git = Git(articles_dir)
    if not git.is_repo() or git.head() is None:
        return RepoScan({}, {})
    # --relative keeps paths relative to the articles folder when it is a subfolder.
    out = git.run(
        "log",
        "--name-status",
        "-M",
        "--relative",
        "-z",
        f"--format={_FORMAT}",
        "--",
        ".",
        timeout=300,
    )
    updated: dict[str, datetime] = {}
    authors: dict[str, list[str]] = {}
    current: dict[str, str] = {}  # a path as named in older commits -> its name today
    # Paths whose older commits are another file's history (deleted, or added afresh later).
    ended: set[str] = set()
    for record in out.split(_RS):
        if not record.strip("\0\n"):
            continue
        header, _, rest = record.partition("\0")  # -z ends the header with NUL
        commit = _parse_header(header)
        parts = [p for p in (x.strip("\n") for x in rest.split("\0")) if p]
        i = 0
        while i < len(parts):
            status = parts[i][0]
            if status in "RC":
                old, new, i = parts[i + 1], parts[i + 2], i + 3
            else:
                old = new = parts[i + 1]
                i += 2
            if new in ended:
                continue
            if status == "D":
                ended.add(new)
                continue
            name = current.get(new, new)
            _touch(updated, authors, name, commit)
            if status == "R":
                current[old] = name
            if status in "ARC":
                ended.add(new)
    files = {path: FileInfo(updated[path], tuple(authors[path])) for path in updated}
    return RepoScan(files, {old: new for old, new in current.items() if old != new})


def _touch(
    updated: dict[str, datetime], authors: dict[str, list[str]], name: str, commit: Commit
) -> None:
    # Newest commits come first: the first date seen is the last update.
    updated.setdefault(name, commit.date)
    seen = authors.setdefault(name, [])
    if commit.author not in seen:
        seen.append(commit.author)

"""What a build records about its sources: files, hashes, and which articles go live when."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kbportal.content.models import Article, Problem
from kbportal.content.report import counted
from kbportal.content.source import classify

log = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """A build could not be made; the previous version keeps serving."""


class EmptyBuildError(BuildError):
    """A build would publish no articles at all, so it is refused."""


@dataclass
class BuildReport:
    """What a build or update did."""

    build_id: str
    articles: int = 0  # published articles in the new version
    public: int = 0
    internal: int = 0
    added: list[str] = field(default_factory=list)  # article keys
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # old key -> key added by renames
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = True  # a full build (False: an incremental update)
    next_publish_at: datetime | None = None  # earliest scheduled article still waiting

    @property
    def errors(self) -> list[Problem]:
        """Problems of error severity."""
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        """One line for logs and the CLI."""
        kind = "build" if self.full else "update"
        return (
            f"{kind} {self.build_id}: {counted(self.articles, 'article')} ({self.public} public, "
            f"{self.internal} internal); +{len(self.added)} ~{len(self.changed)} "
            f"-{len(self.removed)}; {counted(len(self.errors), 'error')}, "
            f"{counted(len(self.problems) - len(self.errors), 'warning')}; {self.seconds:.2f} s"
        )


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (front matter dates without a zone are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def status_of(article: Article, now: datetime) -> str:
    """Whether an article is published now, a draft, or scheduled for later."""
    if article.draft:
        return "draft"
    if article.publish_at is not None and utc(article.publish_at) > now:
        return "scheduled"
    return "published"


def file_hash(path: Path) -> str:
    """A content hash of one source file."""
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def kind_of(relpath: str) -> str:
    """What a source path is: "article", "category", "media" or "other" (the loader's rules)."""
    return classify(relpath)


def scan(articles_dir: Path) -> dict[str, str]:
    """Every relevant source file under the articles folder: relpath -> content hash."""
    found: dict[str, str] = {}
    root = str(articles_dir)
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if kind_of(rel) == "other" or not os.path.isfile(full):
                continue
            try:
                found[rel] = file_hash(Path(full))
            except OSError as exc:  # unreadable: the loader reports it as a problem
                log.warning("cannot hash %s: %s", rel, exc)
    return found


def normalize(relpath: str) -> str | None:
    """A changed-file path as given by a caller (git, a watcher), or None if it is unusable."""
    rel = relpath.replace("\\", "/").strip() if relpath else ""
    while rel.startswith("./"):
        rel = rel[2:]
    if not rel or "\x00" in rel or rel.startswith("/"):
        return None
    if any(part in ("", ".", "..") for part in rel.split("/")):
        return None
    return rel

"""A small, explicit wrapper over the `git` command line for the portal's working copy."""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Network operations get longer than local ones; both are bounded so a hung remote
# never holds the sync lock forever.
LOCAL_TIMEOUT = 60.0
FETCH_TIMEOUT = 120.0


class GitError(RuntimeError):
    """A git command failed; the message carries the command and git's own error text."""


@dataclass
class ChangeSet:
    """What changed between two commits, as paths relative to the articles folder."""

    changed: list[str] = field(default_factory=list)  # added or modified
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old path -> new path

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.renamed)


class Git:
    """Runs git in one working copy, with no shell, explicit arguments and timeouts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)

    def run(self, *args: str, timeout: float = LOCAL_TIMEOUT, check: bool = True) -> str:
        """Run `git <args>` in the working copy and return its stdout."""
        cmd = ["git", *args]
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a TTY
            "LC_ALL": "C",  # stable, parseable messages
        }
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.workdir,
                capture_output=True,
                timeout=timeout,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from exc
        except FileNotFoundError as exc:  # git missing, or the working copy folder
            raise GitError(f"cannot run git in {self.workdir}: {exc}") from exc
        if check and proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args[:3])} failed ({proc.returncode}): {err}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    def is_repo(self) -> bool:
        """Whether the folder is inside a git working copy."""
        if not self.workdir.is_dir():
            return False
        out = self.run("rev-parse", "--is-inside-work-tree", check=False)
        return out.strip() == "true"

    def prefix(self) -> str:
        """The working copy's folder relative to the repository root ("" or "articles/")."""
        return self.run("rev-parse", "--show-prefix").strip()

    def head(self) -> str | None:
        """The commit checked out, or None in a repository without commits."""
        out = self.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return out.strip() or None

    def fetch(self, remote: str, branch: str) -> str:
        """Fetch one branch from the remote and return the commit it points to."""
        self.run(
            "fetch", "--no-tags", "--quiet", remote, f"refs/heads/{branch}", timeout=FETCH_TIMEOUT
        )
        return self.run("rev-parse", "--verify", "FETCH_HEAD^{commit}").strip()

    def has_commit(self, sha: str) -> bool:
        """Whether the commit exists in the local object store."""
        out = self.run("cat-file", "-t", sha, check=False)
        return out.strip() == "commit"

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether `older` is an ancestor of `newer` (False when either is unknown here)."""
        try:
            self.run("merge-base", "--is-ancestor", older, newer)  # the answer is the exit status
        except GitError:
            return False
        return True

    def checkout(self, sha: str) -> None:
        """Move the working copy to a commit, discarding local edits (it is the portal's)."""
        self.run("reset", "--hard", "--quiet", sha)

    def diff(self, old: str, new: str) -> ChangeSet:
        """Paths that differ between two commits, with renames detected, under this folder."""
        out = self.run(
            "diff", "--name-status", "-M", "-z", "--no-ext-diff", "--relative", old, new, "--", "."
        )
        return parse_name_status(out)


def parse_name_status(out: str) -> ChangeSet:
    """Parse `git diff --name-status -z` output (renames as R<score> old new)."""
    parts = out.split("\0")
    changes = ChangeSet()
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i]
        kind = status[0]
        if kind in "RC":
            old, new = parts[i + 1], parts[i + 2]
            i += 3
            if kind == "R":
                changes.renamed[old] = new
            else:  # a copy leaves the original in place: only the new file appears
                changes.changed.append(new)
            continue
        path = parts[i + 1]
        i += 2
        if kind == "D":
            changes.removed.append(path)
        else:  # A, M, T (type change)
            changes.changed.append(path)
    return changes

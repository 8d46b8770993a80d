"""Real git repositories for sync tests: a bare origin, an editor's clone, the portal's copy."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import write_tree


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in a folder and return stdout (raises on failure)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=full_env
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


class Editor:
    """An editor's clone of the articles repository: write, commit, push."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, files: Mapping[str, str | bytes]) -> None:
        write_tree(self.path, files)

    def push(self, message: str, author: str = "Ann Editor", branch: str = "main") -> str:
        """Commit everything and push; returns the new commit."""
        git(self.path, "add", "-A")
        git(
            self.path,
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
            env={"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "ed@example.com"},
        )
        git(self.path, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(self.path, "rev-parse", "HEAD").strip()

    def git(self, *args: str) -> str:
        """Run git in this clone (test modules cannot import conftest by name reliably)."""
        return git(self.path, *args)

    def rm(self, *paths: str) -> None:
        git(self.path, "rm", "-q", "-r", *paths)

    def mv(self, old: str, new: str) -> None:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        git(self.path, "mv", old, new)


class Repos:
    """The three repositories of a publishing setup."""

    def __init__(self, root: Path) -> None:
        self.origin = root / "origin.git"
        self.portal = root / "portal-articles"
        self.data = root / "data"
        git(root, "init", "-q", "--bare", "-b", "main", str(self.origin))
        git(root, "clone", "-q", str(self.origin), str(root / "editor"))
        self.editor = Editor(root / "editor")
        git(self.editor.path, "checkout", "-q", "-b", "main")

    def clone_portal(self) -> None:
        git(self.portal.parent, "clone", "-q", "-b", "main", str(self.origin), str(self.portal))

    def config(self, **extra: object) -> dict[str, object]:
        """Settings as `load_config` returns them, for this setup."""
        from kbportal.config import load_config

        return load_config(
            {
                "ARTICLES_DIR": self.portal,
                "DATA_DIR": self.data,
                "GIT_REMOTE": "origin",
                "GIT_BRANCH": "main",
                **extra,
            },
            environ={},
        )


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make git independent of the machine's configuration."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Bot")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "bot@example.com")


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    """A bare origin and an editor clone (the portal clones once content exists)."""
    return Repos(tmp_path)

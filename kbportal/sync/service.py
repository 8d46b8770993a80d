"""Sync: fetch the articles branch, publish what changed, roll back if publishing fails."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from filelock import FileLock, Timeout

from kbportal.content.models import Problem
from kbportal.content.source import classify
from kbportal.sync.git import ChangeSet, Git, GitError

if TYPE_CHECKING:  # the publisher is heavy to import; sync loads it only when it runs
    from kbportal.publish.manifest import BuildReport

log = logging.getLogger(__name__)

Status = Literal["published", "up-to-date", "refused", "failed", "busy"]

# What the publisher cares about; anything else in the repository (README, CI files) is not.


class SyncError(RuntimeError):
    """Sync could not run at all (no working copy, git failure before anything changed)."""


@dataclass
class SyncReport:
    """What one sync did: commits, changed paths, the build it produced, problems."""

    status: Status
    message: str = ""
    old_commit: str | None = None
    new_commit: str | None = None
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    build_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    finished_at: str = ""

    @property
    def ok(self) -> bool:
        """Whether the portal now serves the fetched commit (or already did)."""
        return self.status in ("published", "up-to-date")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as stored in the data folder and returned by the webhook."""
        return asdict(self)

    def format_text(self) -> str:
        """A human summary for `kbportal sync`."""
        lines = [f"sync {self.status}: {self.message}".rstrip(": ")]
        if self.old_commit != self.new_commit and self.new_commit:
            lines.append(f"  commit {(self.old_commit or 'none')[:10]} -> {self.new_commit[:10]}")
        for path in self.changed:
            lines.append(f"  changed  {path}")
        for path in self.removed:
            lines.append(f"  removed  {path}")
        for old, new in self.renamed.items():
            lines.append(f"  renamed  {old} -> {new}")
        if self.build_id:
            lines.append(f"  build {self.build_id} in {self.seconds:.2f}s")
        for p in self.problems:
            lines.append(f"  {p.path}:{p.line}: {p.severity} [{p.code}] {p.message}")
        return "\n".join(lines)


def is_article_path(relpath: str) -> bool:
    """Whether a path in the articles repository is something the publisher reads."""
    return classify(relpath) != "other"


def article_changes(changes: ChangeSet) -> ChangeSet:
    """The part of a diff that concerns articles, categories and images."""
    out = ChangeSet(
        changed=[p for p in changes.changed if is_article_path(p)],
        removed=[p for p in changes.removed if is_article_path(p)],
    )
    for old, new in changes.renamed.items():
        old_ok, new_ok = is_article_path(old), is_article_path(new)
        if old_ok and new_ok:
            out.renamed[old] = new
        elif old_ok:
            out.removed.append(old)
        elif new_ok:
            out.changed.append(new)
    return out


def _state_dir(config: Mapping[str, Any]) -> Path:
    path = Path(config["DATA_DIR"]) / "sync"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_state(config: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded sync state: the published commit and the last report (or {})."""
    path = _state_dir(config) / "state.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(config: Mapping[str, Any], state: dict[str, Any]) -> None:
    path = _state_dir(config) / "state.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=1, default=str))
    os.replace(tmp, path)  # readers see the old or the new state, never half of one


def last_report(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The last sync's report as stored (for staff pages and `kbportal sync --status`)."""
    return read_state(config).get("last")


@contextlib.contextmanager
def sync_lock(config: Mapping[str, Any], wait: float) -> Iterator[bool]:
    """Hold the one-sync-at-a-time lock; yields False if it stayed busy for `wait` seconds."""
    lock = FileLock(_state_dir(config) / "lock", timeout=max(0.0, wait))
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def sync(
    config: Mapping[str, Any],
    *,
    wait: float = 5.0,
    force: bool = False,
    target: str | None = None,
    compact: bool = False,
) -> SyncReport:
    """Fetch the configured branch and publish it; one sync at a time across processes.

    With `target` (a commit another node announced), publish exactly that commit. Otherwise a
    new publish is announced to the other nodes sharing the database. With `compact` (the
    periodic sync), a quiet knowledge base is rebuilt in full once `COMPACT_AFTER` has passed.
    """
    started = time.monotonic()
    with sync_lock(config, wait) as acquired:
        if not acquired:
            report = SyncReport("busy", "another sync is already running")
        else:
            report = _sync_locked(config, force=force, target=target, compact=compact)
            report.seconds = round(time.monotonic() - started, 3)
            report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            state = read_state(config)
            if report.ok and report.new_commit:
                state["commit"] = report.new_commit
            state["last"] = report.to_dict()
            _write_state(config, state)
            if report.status == "published" and report.new_commit and target is None:
                _announce(config, report.new_commit)
    level = logging.INFO if report.ok or report.status == "busy" else logging.ERROR
    log.log(level, "%s", report.format_text())
    for problem in report.problems:
        log.warning("%s:%s: [%s] %s", problem.path, problem.line, problem.code, problem.message)
    return report


def _announce(config: Mapping[str, Any], commit: str) -> None:
    """Tell the other nodes; never an older commit than the newest announced one."""
    from kbportal.cluster import service as cluster  # the database, only when there is news

    try:
        newest = cluster.latest(config)
        git = Git(Path(config["ARTICLES_DIR"]))
        if (
            newest is not None
            and newest.commit != commit
            and git.is_ancestor(commit, newest.commit)
        ):
            log.info("not announcing %s: %s is newer", commit[:10], newest.commit[:10])
            return
        cluster.announce(config, commit)
    except Exception:  # noqa: BLE001 - this node published; the others catch up on their poll
        log.warning("could not announce commit %s to the other nodes", commit[:10], exc_info=True)


def _sync_locked(
    config: Mapping[str, Any], *, force: bool, target: str | None = None, compact: bool = False
) -> SyncReport:
    articles = Path(config["ARTICLES_DIR"])
    git = Git(articles)
    if not git.is_repo():
        raise SyncError(
            f"{articles} is not a git working copy; clone the articles repository "
            f"there first (git clone -b {config['GIT_BRANCH']} URL {articles})"
        )
    from kbportal.sync import publishing  # the publisher is heavy; import it when needed

    recorded = read_state(config).get("commit")
    old = recorded if recorded and git.has_commit(recorded) else git.head()
    clock = _Clock()
    try:
        new = git.fetch(config["GIT_REMOTE"], config["GIT_BRANCH"])
        clock.lap("fetch")
    except GitError as exc:
        return SyncReport("failed", str(exc), old_commit=old, new_commit=old)
    if target is not None:
        if not git.has_commit(target):
            message = f"commit {target[:10]} announced by another node is not on the remote"
            return SyncReport("failed", message, old_commit=old, new_commit=old)
        new = target
    has_build = publishing.has_build(config)
    due = publishing.publish_at_due(config)
    quiet = new == old and has_build and not force and not due
    merging = publishing.compaction_due(config) if quiet and compact else 0
    if quiet and not merging:
        return SyncReport("up-to-date", "nothing new", old_commit=old, new_commit=new)

    full = force or not has_build or old is None or bool(merging)
    try:
        changes = ChangeSet() if full or old is None else article_changes(git.diff(old, new))
        clock.lap("diff")
        git.checkout(new)
        clock.lap("checkout")
    except GitError as exc:
        return SyncReport("failed", str(exc), old_commit=old, new_commit=new)
    report = SyncReport(
        "published",
        "",
        old_commit=old,
        new_commit=new,
        changed=changes.changed,
        removed=changes.removed,
        renamed=changes.renamed,
        timings=clock.laps,
    )
    results: list[BuildReport] = []
    try:
        if full:
            results.append(publishing.full_build(config))
            report.message = "full build"
            if merging:
                report.message = f"full build merging {merging} incremental publishes"
        elif changes:
            results.append(publishing.incremental(config, changes))
            report.message = "incremental update"
        if due and not full:
            # A due publish_at changes which articles are live without any file changing.
            scheduled = publishing.publish_due(config)
            if scheduled is not None:
                results.append(scheduled)
                report.message = " + ".join(filter(None, [report.message, "scheduled articles"]))
        clock.lap("publish")
    except Exception as exc:  # noqa: BLE001 - any publishing failure must roll files back
        if old and not results:
            try:
                git.checkout(old)
            except GitError:
                log.exception("rollback to %s failed", old)
        status: Status = "refused" if publishing.is_refusal(exc) else "failed"
        if status == "failed":  # a refusal is expected behaviour; a crash needs its traceback
            log.exception("publishing %s failed", new[:10])
        serving = new if results else old
        return SyncReport(
            status,
            f"{type(exc).__name__}: {exc}; still serving {(serving or 'nothing')[:10]}",
            old_commit=old,
            new_commit=new,
            changed=changes.changed,
            removed=changes.removed,
            renamed=changes.renamed,
        )
    if not results:
        report.status, report.message = "up-to-date", "no article changed"
        return report
    report.build_id = results[-1].build_id
    report.problems = [p for r in results for p in r.problems]
    return report


class _Clock:
    """Seconds spent in each step of a sync, for the report and the benchmark."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self._last, 3)
        self._last = now

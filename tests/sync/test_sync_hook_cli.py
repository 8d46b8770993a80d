"""`kbportal sync` and the post-receive hook, on real repositories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

import kbportal
from kbportal import db, sync
from kbportal.publish import close_all, kb_for
from kbportal.search.types import SearchQuery
from kbportal.sync.cli import sync_command, watch
from kbportal.sync.web import EXTENSION

HOOK = Path(kbportal.__file__).parent / "hooks" / "post-receive"
ARTICLES = {"en/a/one.md": "# One\n\nAlpha words.\n", "en/a/two.md": "# Two\n\nBeta words.\n"}


@pytest.fixture
def setup(repos, monkeypatch):
    repos.editor.write(ARTICLES)
    repos.editor.push("initial")
    repos.clone_portal()
    for key, value in repos.config().items():
        if key in ("ARTICLES_DIR", "DATA_DIR", "GIT_REMOTE", "GIT_BRANCH"):
            monkeypatch.setenv(f"KBPORTAL_{key}", str(value))
    yield repos
    close_all()


def hits(repos, text):
    return [h.slug for h in kb_for(repos.config()).search(SearchQuery(text)).hits]


def test_cli_sync_prints_the_report_and_exits_nonzero_on_refusal(setup):
    runner = CliRunner()
    result = runner.invoke(sync_command, [])
    assert result.exit_code == 0, result.output
    assert "sync published" in result.output
    setup.editor.write({"en/a/one.md": "# One\n\nGamma words.\n"})
    setup.editor.push("edit")
    result = runner.invoke(sync_command, ["--json"])
    data = json.loads(result.output)
    assert data["status"] == "published" and data["changed"] == ["en/a/one.md"]
    setup.editor.rm("en")
    setup.editor.push("delete all")
    result = runner.invoke(sync_command, [])
    assert result.exit_code == 1 and "refused" in result.output
    assert hits(setup, "gamma") == ["a/one"]


def test_cli_sync_outside_git_is_a_clean_error(setup, monkeypatch, tmp_path):
    monkeypatch.setenv("KBPORTAL_ARTICLES_DIR", str(tmp_path))
    result = CliRunner().invoke(sync_command, [])
    assert result.exit_code == 1 and "not a git working copy" in result.output


def test_watch_polls(setup):
    setup.editor.write({"en/a/three.md": "# Three\n\nDelta words.\n"})
    setup.editor.push("three")
    watch(setup.config(), interval=0.01, as_json=False, rounds=2)
    assert hits(setup, "delta") == ["a/three"]


def install_hook(repos, env: dict[str, str]) -> None:
    target = repos.origin / "hooks" / "post-receive"
    shutil.copy(HOOK, target)
    target.chmod(0o755)
    lines = [f"{k}={v}" for k, v in env.items()]
    (repos.origin / "hooks" / "kbportal.env").write_text("\n".join(lines) + "\n")


def push_output(repos, message: str) -> str:
    repos.editor.git("add", "-A")
    repos.editor.git("commit", "-q", "-m", message)
    proc = subprocess.run(
        ["git", "push", "origin", "HEAD:refs/heads/main"],
        cwd=repos.editor.path,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stderr  # hook output reaches the pusher as "remote: ..." on stderr


def test_post_receive_hook_runs_sync(setup, tmp_path):
    sync.sync(setup.config())
    wrapper = tmp_path / "kbportal-sync"
    # Stands in for the `kbportal` script: `kbportal sync ARGS` -> the sync command.
    wrapper.write_text(f'#!/bin/sh\nshift\nexec {sys.executable} -m kbportal.sync.cli "$@"\n')
    wrapper.chmod(0o755)
    cfg = setup.config()
    install_hook(
        setup,
        {
            "KBPORTAL_BIN": str(wrapper),
            "KBPORTAL_ARTICLES_DIR": cfg["ARTICLES_DIR"],
            "KBPORTAL_DATA_DIR": cfg["DATA_DIR"],
            "KBPORTAL_GIT_BRANCH": "main",
        },
    )
    setup.editor.write({"en/a/one.md": "# One\n\nEpsilon words.\n"})
    output = push_output(setup, "edit via hook")
    assert "sync published" in output and "en/a/one.md" in output
    assert hits(setup, "epsilon") == ["a/one"]


def test_post_receive_hook_posts_a_signed_webhook(setup, tmp_path):
    sync.sync(setup.config())
    app = Flask("kbportal")
    app.config.update({f"KBPORTAL_{k}": v for k, v in setup.config().items()})
    app.config.update(KBPORTAL_WEBHOOK_SECRET="hook-secret", SECRET_KEY="x")
    db.init_app(app)
    sync.init_app(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        install_hook(
            setup,
            {
                "KBPORTAL_HOOK_URL": f"http://127.0.0.1:{server.port}/hooks/git",
                "KBPORTAL_WEBHOOK_SECRET": "hook-secret",
            },
        )
        setup.editor.write({"en/a/two.md": "# Two\n\nZeta words.\n"})
        output = push_output(setup, "edit via webhook")
        assert "webhook accepted" in output
        runner = app.extensions[EXTENSION]
        assert runner.wait(runner.last_requested, timeout=60)["status"] == "published"
        # Each push signs a body of its own (commit, time): the next one is no replay.
        first = runner.last_requested
        setup.editor.write({"en/a/three.md": "# Three\n\nEta words.\n"})
        assert "webhook accepted" in push_output(setup, "second edit via webhook")
        assert runner.last_requested != first
        assert runner.wait(runner.last_requested, timeout=60)["status"] == "published"
    finally:
        server.shutdown()
    assert hits(setup, "zeta") == ["a/two"]

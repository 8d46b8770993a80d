"""The first hour at the command line: a clean --help, readable listings, a clear busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from kbportal import create_app, publish
from kbportal.cli import _summary_of_build_for_serving, build_for_serving, cli
from kbportal.config import load_config
from kbportal.forked import ChildError, run_apart
from kbportal.publish import layout, store
from kbportal.publish.origin import served_build


def _invoke(tmp_path: Path, *args: str):
    app = create_app({"DATA_DIR": str(tmp_path / "data"), "TESTING": True})
    info = ScriptInfo(create_app=lambda: app)
    return CliRunner().invoke(cli, list(args), obj=info)


def test_help_lists_our_commands_only(tmp_path: Path) -> None:
    output = _invoke(tmp_path, "--help").output
    for ours in ("serve", "index", "check", "search", "sync", "users", "tokens", "db"):
        assert f"  {ours} " in output
    for flasks in ("routes", "shell", "run", "--app", "--env-file", "--debug"):
        assert flasks not in output, flasks


def test_flask_commands_are_gone_not_hidden(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "routes")
    assert result.exit_code == 2
    assert "No such command 'routes'" in result.output


def test_serve_on_a_busy_port_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(Path(sys.executable).parent / "kbportal"), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"KBPORTAL_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert f"--port {port + 1}" in result.stderr and "make serve PORT=" in result.stderr
    assert "serving on" not in result.stdout


SITE = {
    "en/a/one.md": "# One\n\nFirst article.\n",
    "en/a/two.md": "# Two\n\nSecond article.\n",
    "en/a/three.md": "# Three\n\nThird article.\n",
}
OTHER = {"en/b/four.md": "# Four\n\nSomething else.\n"}


def _index(tmp_path: Path, articles: Path, *args: str):
    config = {"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data"), "TESTING": True}
    app = create_app(config)
    info = ScriptInfo(create_app=lambda: app)
    try:
        return CliRunner().invoke(cli, ["index", *args], obj=info)
    finally:
        publish.close_all()


def test_index_of_another_folder_refuses_and_says_what_it_would_replace(
    tmp_path: Path, make_articles
) -> None:
    site, other = make_articles(SITE, "site"), make_articles(OTHER, "other")
    assert _index(tmp_path, site).exit_code == 0
    refused = _index(tmp_path, other)
    assert refused.exit_code == 1
    assert f"3 articles from {site}" in refused.output and "--force" in refused.output
    served = served_build(tmp_path / "data")
    assert served is not None and served.articles_dir == site and served.articles == 3
    assert _index(tmp_path, site).exit_code == 0  # the same folder again: no question asked
    forced = _index(tmp_path, other, "--force")
    assert forced.exit_code == 0, forced.output
    assert f"replacing: {tmp_path / 'data'} serves build" in forced.output
    served = served_build(tmp_path / "data")
    assert served is not None and served.articles_dir == other and served.articles == 1


def test_serve_rebuilds_when_the_served_build_came_from_another_folder(
    tmp_path: Path, make_articles
) -> None:
    site, other = make_articles(SITE, "site"), make_articles(OTHER, "other")
    assert _index(tmp_path, other).exit_code == 0
    config = load_config({"ARTICLES_DIR": str(site), "DATA_DIR": str(tmp_path / "data")}, {})
    report = build_for_serving(config)
    assert report is not None and report.articles == 3
    assert build_for_serving(config) is None  # now it serves its own folder: nothing to do
    served = served_build(tmp_path / "data")
    assert served is not None and served.articles_dir == site


def test_serve_rebuilds_a_build_written_in_an_older_format(tmp_path: Path, make_articles) -> None:
    # After an upgrade: rebuilt before the workers start, so none of them builds in-process.
    site = make_articles(SITE, "site")
    assert _index(tmp_path, site).exit_code == 0
    old = layout.current_build(tmp_path / "data")
    assert old is not None
    (old / "index" / "KBPORTAL_FORMAT").write_text("kbportal-search-0\n")
    config = load_config({"ARTICLES_DIR": str(site), "DATA_DIR": str(tmp_path / "data")}, {})
    report = build_for_serving(config)
    assert report is not None and report.articles == 3
    current = layout.current_build(tmp_path / "data")
    assert current is not None and current != old and store.is_current_format(current)
    assert build_for_serving(config) is None


def test_the_serving_build_runs_in_a_forked_process_and_reports_back(
    tmp_path: Path, make_articles
) -> None:
    site = make_articles(SITE, "site")
    config = load_config({"ARTICLES_DIR": str(site), "DATA_DIR": str(tmp_path / "data")}, {})
    failure, summary = run_apart(lambda: _summary_of_build_for_serving(config))
    assert failure == "" and "3 articles" in summary
    assert run_apart(lambda: _summary_of_build_for_serving(config)) == ("", "")  # built already
    empty = load_config(
        {"ARTICLES_DIR": str(tmp_path / "nowhere"), "DATA_DIR": str(tmp_path / "d2")}, {}
    )
    failure, summary = run_apart(lambda: _summary_of_build_for_serving(empty))
    assert "does not exist" in failure and summary == ""


def test_run_apart_returns_the_childs_result_and_raises_its_failure() -> None:
    assert run_apart(os.getpid) != os.getpid()
    with pytest.raises(ChildError, match="ZeroDivisionError"):
        run_apart(lambda: 1 // 0)


WAVES = {
    "en/a/good.md": "# Good\n\nSee [broken](broken.md) and [gone](gone.md).\n",
    "en/a/broken.md": (
        "---\ntitle: [unclosed\n---\n# Broken\n\n"
        "See [nowhere](nowhere.md).\n\n![Shot](../../img/missing.png)\n"
    ),
}


def test_check_reports_everything_in_one_pass(tmp_path: Path, make_articles) -> None:
    articles = make_articles(WAVES)
    app = create_app({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "d")})
    info = ScriptInfo(create_app=lambda: app)
    result = CliRunner().invoke(cli, ["check"], obj=info)
    out = result.output
    assert result.exit_code == 1
    # The bad front matter, and (same pass) the broken link and image below it.
    assert "en/a/broken.md:3: error [bad-front-matter]" in out
    assert "en/a/broken.md:6" in out and "nowhere.md" in out
    assert "en/a/broken.md:8" in out and "missing-image" in out
    # A link to the skipped file says so; a link to a file that never existed is missing.
    assert "link-to-skipped" in out and "en/a/broken.md is skipped" in out
    assert "link to a missing article 'gone.md'" in out
    assert "link to a missing article 'broken.md'" not in out
    assert "1 skipped (not published): en/a/broken.md" in out


def test_counts_read_as_english(tmp_path: Path, make_articles) -> None:
    articles = make_articles({"en/a/one.md": "---\ncolour: red\n---\n# One\n\nText.\n"})
    app = create_app({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "d")})
    info = ScriptInfo(create_app=lambda: app)
    checked = CliRunner().invoke(cli, ["check"], obj=info).output
    assert checked.endswith("1 article checked: 0 errors, 1 warning\n"), checked
    indexed = CliRunner().invoke(cli, ["index"], obj=info)
    publish.close_all()
    assert ": 1 article (1 public, 0 internal)" in indexed.output, indexed.output
    assert "0 errors, 1 warning;" in indexed.output

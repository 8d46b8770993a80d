"""The `kbportal` command through click's runner, on a real articles tree."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from support import HIT_KEYS

from kbportal import create_app, publish
from kbportal.cli import cli
from kbportal.config import load_config
from kbportal.search.types import SearchQuery
from kbportal.serializers import search_results_json
from kbportal.viewer import PUBLIC

GOOD = {
    "en/billing/refunds.md": "# How to get a refund\n\nWrite to us for a refund of a payment.\n",
    "en/billing/invoices.md": "# Download invoices\n\nSee [refunds](refunds.md).\n",
    "ru/billing/refunds.md": "# Как вернуть деньги\n\nНапишите нам про возврат оплаты.\n",
}
BROKEN = {**GOOD, "en/start/bad.md": "# Bad\n\nSee [nothing](missing.md).\n"}
WARNING_ONLY = {**GOOD, "en/start/odd.md": "---\ntitle: Odd\nunknownkey: 1\n---\n\nText.\n"}


@pytest.fixture
def run(tmp_path: Path, make_articles: Callable[..., Path]) -> Iterator[Callable[..., Result]]:
    """Run `kbportal ARGS` against a tree of files, in an app made for that tree."""

    def invoke(files: dict[str, str], *args: str) -> Result:
        articles = make_articles(files)
        config = {"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data")}
        app = create_app({**config, "TESTING": True})
        info = ScriptInfo(create_app=lambda: app)
        return CliRunner().invoke(cli, list(args), obj=info, catch_exceptions=False)

    yield invoke
    publish.close_all()


def test_index_builds_and_prints_a_summary(run: Callable[..., Result]) -> None:
    result = run(BROKEN, "index")
    assert result.exit_code == 0, result.output
    assert "build " in result.output and "4 articles" in result.output
    assert "missing-link" in result.output  # problems are printed, the build still succeeds


def test_index_fails_on_an_empty_kb(run: Callable[..., Result]) -> None:
    result = run({"en/only.md": "---\ndraft: true\n---\n# Draft\n"}, "index")
    assert result.exit_code == 1
    assert "empty" in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_fails_on_errors_in_every_format(run: Callable[..., Result], fmt: str) -> None:
    result = run(BROKEN, "check", "--format", fmt)
    assert result.exit_code == 1
    if fmt == "json":
        problems = json.loads(result.output)
        assert problems[0]["path"] == "en/start/bad.md" and problems[0]["line"] == 3
    elif fmt == "github":
        assert result.output.startswith("::error file=en/start/bad.md,line=3")
    else:
        assert "en/start/bad.md:3: error [missing-link]" in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_passes_a_clean_tree(run: Callable[..., Result], fmt: str) -> None:
    result = run(GOOD, "check", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(result.output) == []


def test_check_warnings_fail_only_when_strict(run: Callable[..., Result]) -> None:
    assert run(WARNING_ONLY, "check").exit_code == 0
    assert run(WARNING_ONLY, "check", "--strict").exit_code == 1


def test_search_json_is_the_api_shape(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run(GOOD, "search", "refund", "--json", "--limit", "5", "--locale", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"query", "total", "total_is_estimate", "results"}
    assert data["results"][0]["url"] == "/en/articles/billing/refunds"
    assert set(data["results"][0]) == HIT_KEYS
    config = load_config(
        {"ARTICLES_DIR": str(tmp_path / "articles"), "DATA_DIR": str(tmp_path / "data")}, {}
    )
    kb = publish.kb_for(config)
    expected = search_results_json(kb.search(SearchQuery("refund", locale="en", per_page=5)))
    assert data == expected


def test_search_filters_and_bad_limits(run: Callable[..., Result]) -> None:
    result = run(GOOD, "search", "оплата", "--json", "--locale", "ru", "--category", "billing")
    assert [r["locale"] for r in json.loads(result.output)["results"]] == ["ru"]
    assert run(GOOD, "search", "x", "--limit", "0").exit_code == 2
    plain = run(GOOD, "search", "refund")
    assert plain.exit_code == 0 and "/en/articles/billing/refunds" in plain.output


def test_every_command_is_listed(run: Callable[..., Result]) -> None:
    result = run(GOOD, "--help")
    for name in ("index", "check", "search", "serve"):
        assert name in result.output


def test_index_takes_dates_and_authors_from_git(run: Callable[..., Result], tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    run(GOOD, "check")  # writes the tree
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Editor",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Editor",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2021-03-04T05:06:07+00:00",
        "GIT_COMMITTER_DATE": "2021-03-04T05:06:07+00:00",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "First"]):
        subprocess.run(["git", *args], cwd=articles, env=env, check=True)

    assert run({}, "index").exit_code == 0
    config = load_config({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data")}, {})
    article = publish.kb_for(config).article("en", "billing/refunds", PUBLIC)
    assert article is not None and article.authors == ("Ada Editor",)
    assert article.updated == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)

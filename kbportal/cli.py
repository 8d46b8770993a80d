"""The `kbportal` command: build, check, search and serve the knowledge base."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup

from kbportal import create_app
from kbportal.config import ConfigError
from kbportal.content.models import Problem
from kbportal.content.report import counted
from kbportal.portcheck import PortInUse, ensure_free
from kbportal.web.params import MAX_PAGE, clean_text

log = logging.getLogger(__name__)

FORMATS = ("text", "json", "github")


def _config() -> dict[str, Any]:
    """The running app's settings (commands run inside an app context)."""
    from kbportal.publish import config_of

    return config_of(current_app)


class KbportalGroup(FlaskGroup):
    """Flask's group without Flask's own commands and options: `kbportal --help` lists ours."""

    FLASK_OPTIONS = frozenset({"env_file", "app", "debug"})

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_default_commands=False, **extra)
        # --app, --env-file and --debug would load another app or a .env: not ours to offer.
        self.params = [p for p in self.params if p.name not in self.FLASK_OPTIONS]

    def _load_plugin_commands(self) -> None:
        """No `flask.commands` entry points from other installed packages."""
        self._loaded_plugin_commands = True


@click.group(
    cls=KbportalGroup,
    create_app=create_app,
    load_dotenv=False,
    set_debug_flag=False,
    add_version_option=False,
    help="kbportal: a git-native knowledge base and support portal.",
)
@click.version_option(package_name="kbportal")
def cli() -> None:
    """The command group (other parts add theirs with `cli.add_command`)."""


def format_problems(problems: list[Problem], fmt: str, articles_dir: Path | None = None) -> str:
    """Problems as text, JSON or GitHub annotations (the content report's formats)."""
    from kbportal.content import report

    # GitHub places annotations by path from the repository root, not from the articles folder.
    prefix = report.repository_prefix(articles_dir) if fmt == "github" and articles_dir else ""
    return report.format_problems(problems, fmt, prefix)


def git_metadata(config: dict[str, Any]) -> Any:
    """Dates and authors from git when the articles folder is a git working copy, else None."""
    from kbportal.sync.metadata import GitMetadata

    metadata = GitMetadata(Path(config["ARTICLES_DIR"]))
    return metadata if metadata.available else None


@cli.command("index")
@click.option(
    "--force", is_flag=True, help="Replace a build made from a different articles folder."
)
def index_command(force: bool) -> None:
    """Build the whole knowledge base and serve the new version (problems are printed)."""
    from kbportal.publish import BuildError, build
    from kbportal.publish.origin import served_build

    config = _config()
    articles_dir = Path(config["ARTICLES_DIR"])
    served = served_build(Path(config["DATA_DIR"]))
    if served is not None and not served.is_from(articles_dir):
        replacing = (
            f"{config['DATA_DIR']} serves build {served.build_id}: "
            f"{counted(served.articles, 'article')} from {served.articles_dir}"
        )
        if not force:
            raise click.ClickException(
                f"{replacing}. Building {articles_dir} would replace them. Run `kbportal index "
                "--force` to do that, or set KBPORTAL_DATA_DIR to another folder to keep both."
            )
        click.echo(f"replacing: {replacing}; now building {articles_dir}", err=True)
    try:
        report = build(config, metadata=git_metadata(config))
    except BuildError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, sqlite3.OperationalError) as exc:
        # A full disk, a read-only or vanished data folder: say so plainly, no traceback. The
        # unfinished build was discarded; the previous version is still the one served.
        raise click.ClickException(
            f"could not write the new build in {config['DATA_DIR']}: {exc}. Nothing was "
            "changed: the version served before is still served. Free space and run it again."
        ) from exc
    if report.problems:
        click.echo(format_problems(report.problems, "text"), err=True, nl=False)
    click.echo(report.summary())


@cli.command("check")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check_command(fmt: str, strict: bool) -> None:
    """Check the articles (no build); exit 1 on errors, or on warnings with --strict."""
    from kbportal.publish.sources import load_kb

    config = _config()
    articles_dir = Path(config["ARTICLES_DIR"])
    if not articles_dir.is_dir():  # a mistyped path must not pass CI as "0 errors"
        raise click.ClickException(f"articles folder {articles_dir} does not exist")
    kb = load_kb(config)
    problems = sorted(kb.problems, key=lambda p: (p.path, p.line, p.code))
    text = format_problems(problems, fmt, articles_dir)
    if text:
        click.echo(text, nl=False)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if fmt == "text":
        click.echo(
            f"{counted(len(kb.articles), 'article')} checked: "
            f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
        )
        skipped = sorted(kb.targets.skipped)
        if skipped:  # everything was checked in this one pass; these will not publish
            click.echo(f"{len(skipped)} skipped (not published): {', '.join(skipped)}")
    if not kb.articles:
        # Nothing would publish (kbportal index refuses an empty knowledge base), so fail here too.
        click.echo(f"error: no articles found in {articles_dir}", err=True)
        sys.exit(1)
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1, MAX_PAGE), default=1, show_default=True)
@click.option("--locale", default=None, help="Only articles in this locale.")
@click.option("--category", default=None, help="Only this category and its subcategories.")
def search_command(
    query: str, as_json: bool, limit: int, page: int, locale: str | None, category: str | None
) -> None:
    """Search as a customer would (public articles only), like GET /api/v1/search."""
    from kbportal.publish import BuildError, kb_for
    from kbportal.search.types import SearchQuery
    from kbportal.serializers import search_results_json
    from kbportal.viewer import PUBLIC

    config = _config()
    # The API's own cleaning and checks, so the same search prints the same JSON.
    text = clean_text(query)
    if not text:
        raise click.BadParameter("the text to search for is empty", param_hint="QUERY")
    locale = (locale or "").strip() or None
    if locale is not None and locale not in config["LOCALES"]:
        hint = f"must be one of: {', '.join(config['LOCALES'])}"
        raise click.BadParameter(hint, param_hint="--locale")
    try:
        kb = kb_for(config)
    except BuildError as exc:
        raise click.ClickException(str(exc)) from exc
    results = kb.search(
        SearchQuery(
            text=text,
            viewer=PUBLIC,
            locale=locale,
            category=clean_text(category).strip("/") or None,
            page=page,
            per_page=limit,
        )
    )
    data = search_results_json(results)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{counted(data['total'], 'article')} match {text!r}")
    for item in data["results"]:
        click.echo(f"{item['score']:8.3f}  {item['title']}  {item['url']}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes [default: 2, or WEB_CONCURRENCY].",
)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option(
    "--reload", is_flag=True, help="Watch the articles folder and republish what changes."
)
def serve_command(host: str, port: int, workers: int | None, threads: int, reload: bool) -> None:
    """Serve with gunicorn (building the knowledge base first if there is no build yet)."""
    from kbportal.forked import run_apart

    config = _config()
    try:
        ensure_free(host, port)
    except PortInUse as exc:
        # gunicorn would retry five times and die with a bare "Connection in use".
        raise click.ClickException(
            f"{exc} (is another kbportal or server running?). Stop it, or choose another "
            f"port: `kbportal serve --port {port + 1}` "
            f"(or `make serve PORT={port + 1}`)."
        ) from exc
    # Built in a forked process: a full build's memory (hundreds of MB at 100k articles)
    # would otherwise stay in this master and in every worker forked from it.
    failure, summary = run_apart(lambda: _summary_of_build_for_serving(config))
    if failure:
        # Serve anyway: pages answer 503 "not published yet" until a build or sync succeeds.
        click.echo(f"warning: nothing to serve yet: {failure}", err=True)
    elif summary:
        click.echo(summary)
    _join_cluster(config)
    count = workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    if reload:
        from kbportal.preview import start_watcher

        start_watcher(config)
        click.echo(f"--reload: republishing on every change under {config['ARTICLES_DIR']}")
    run_gunicorn(config, host=host, port=port, workers=count, threads=threads)


def _join_cluster(config: dict[str, Any]) -> None:
    """Register this node in the shared database; refuse to start with a different secret key."""
    from kbportal.cluster.records import ClusterRefused
    from kbportal.cluster.service import join

    try:
        join(config)
    except ClusterRefused as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - pages must still serve while the database is down
        click.echo(f"warning: could not register this node in the database: {exc}", err=True)


def _summary_of_build_for_serving(config: dict[str, Any]) -> tuple[str, str]:
    """(why nothing can be served, "") or ("", the build's summary or "" when none was needed)."""
    from kbportal.publish import BuildError

    try:
        report = build_for_serving(config)
    except BuildError as exc:
        return str(exc), ""
    return "", report.summary() if report is not None else ""


def build_for_serving(config: dict[str, Any]) -> Any:
    """Build if nothing is served, if what is served came from another articles folder, or
    if it was written in an older format (after an upgrade)."""
    from kbportal.publish import build, ensure_build, layout, store
    from kbportal.publish.origin import served_build

    articles_dir = Path(config["ARTICLES_DIR"])
    current = layout.current_build(Path(config["DATA_DIR"]))
    if current is not None and not store.is_current_format(current):
        # Rebuilt here, before the workers start: a worker finding it would build in its own
        # process and keep that memory until the next publish.
        click.echo(f"build {current.name} has an older store format: rebuilding", err=True)
        return build(config, metadata=git_metadata(config))
    served = served_build(Path(config["DATA_DIR"]))
    if served is not None and not served.is_from(articles_dir):
        # Serving another folder than the configured one is never what `serve` was asked for.
        click.echo(
            f"the served build came from {served.articles_dir}; building {articles_dir}, "
            "the configured articles folder",
            err=True,
        )
        return build(config, metadata=git_metadata(config))
    return ensure_build(config, metadata=git_metadata(config))


def run_gunicorn(
    config: dict[str, Any], *, host: str, port: int, workers: int, threads: int
) -> None:
    """Run the production server (see kbportal.serving.server)."""
    from kbportal.serving.server import run

    run(
        config,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        in_each_worker=_in_each_worker,
    )


def _in_each_worker(config: dict[str, Any]) -> None:
    """In each warm worker: bound its allocator, and follow what other nodes publish."""
    from kbportal.memory import limit_arenas
    from kbportal.publish.accessor import switch_in_background
    from kbportal.sync.follower import Follower

    limit_arenas()  # memory must not grow with publishes (see kbportal.memory)
    switch_in_background()  # a new version is opened and warmed before readers get it
    Follower(config).start()  # publish what another node announced (and catch up now)


def main() -> None:
    """Entry point of the `kbportal` console script."""
    try:
        cli()
    except ConfigError as exc:  # a bad KBPORTAL_* value: say which, without a traceback
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)

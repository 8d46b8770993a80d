"""`kbportal sync`: publish the articles branch now, or keep polling it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import click

from kbportal.config import load_config
from kbportal.sync import publishing
from kbportal.sync.service import SyncError, SyncReport, sync

log = logging.getLogger(__name__)


def _print(report: SyncReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=str, indent=1))
    else:
        click.echo(report.format_text())


def watch(
    config: Mapping[str, Any], interval: float, as_json: bool, rounds: int | None = None
) -> None:
    """Sync every `interval` seconds, and at the earliest pending `publish_at`."""
    done = 0
    while rounds is None or done < rounds:
        try:
            report = sync(config, wait=interval, compact=True)
            if report.status != "up-to-date":
                _print(report, as_json)
        except SyncError as exc:
            click.echo(f"sync failed: {exc}", err=True)
        done += 1
        if rounds is not None and done >= rounds:
            return
        pause = interval
        when = publishing.next_publish_at(config)
        if when is not None:
            pause = min(pause, max(0.0, when.timestamp() - time.time()) + 0.5)
        time.sleep(pause)


def _settings() -> dict[str, Any]:
    """The running app's settings under `flask`/FlaskGroup, else from the environment."""
    from flask import current_app, has_app_context

    if has_app_context():
        from kbportal.sync.web import app_settings

        return app_settings(current_app._get_current_object())  # type: ignore[attr-defined]
    return load_config()


@click.command("sync")
@click.option(
    "--watch",
    "watch_",
    is_flag=True,
    help="Keep polling every KBPORTAL_SYNC_INTERVAL seconds (default 60).",
)
@click.option("--force", is_flag=True, help="Rebuild everything even if nothing changed.")
@click.option(
    "--compact",
    is_flag=True,
    help="Also rebuild in full when publishes wait to be merged and KBPORTAL_COMPACT_AFTER "
    "has passed (--watch always does).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def sync_command(watch_: bool, force: bool, compact: bool, as_json: bool) -> None:
    """Fetch the articles branch and publish what changed."""
    config = _settings()
    if watch_:
        watch(config, float(config["SYNC_INTERVAL"] or 60), as_json)
        return
    try:
        report = sync(config, force=force, compact=compact)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    _print(report, as_json)
    if not report.ok:
        raise SystemExit(1)


if __name__ == "__main__":  # `python -m kbportal.sync.cli` (used by hooks without the script)
    sync_command()

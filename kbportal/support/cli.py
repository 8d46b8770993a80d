"""`kbportal deliver [--watch]`: run the relay as its own process."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click
from flask import current_app

from kbportal.support.runtime import get_relay

log = logging.getLogger(__name__)


@click.command("deliver")
@click.option("--watch", is_flag=True, help="Keep delivering until stopped (SIGTERM or Ctrl-C).")
@click.option("--interval", type=click.FloatRange(0.05, 3600), default=2.0, show_default=True)
def deliver_command(watch: bool, interval: float) -> None:
    """Deliver waiting requests to their destinations (once, or with --watch until stopped)."""
    relay = get_relay(current_app)
    if not relay.channels:
        click.echo("no destinations configured: requests wait in the staff inbox")
        return
    if not watch:
        attempted = relay.drain()
        click.echo(f"{attempted} deliveries attempted")
        return
    stop = threading.Event()

    def _stop(*_args: Any) -> None:
        stop.set()
        relay.wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"delivering to {', '.join(sorted(relay.channels))} until stopped")
    relay.run(stop, idle=interval)

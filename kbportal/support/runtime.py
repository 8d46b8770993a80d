"""The relay of an app: built from its settings, run in the background of `kbportal serve`."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from kbportal.db import get_database
from kbportal.support.channels import build_channels, configured
from kbportal.support.relay import Relay

log = logging.getLogger(__name__)

EXTENSION_KEY = "kbportal_relay"


def make_relay(app: Flask) -> Relay:
    """A relay over the app's database, delivering to the configured destinations."""
    config = settings(app)
    return Relay(
        get_database(app).session,
        build_channels(config, str(app.secret_key)),
        lease_seconds=float(config["REQUESTS_LEASE_SECONDS"]),
    )


def settings(app: Flask) -> dict[str, Any]:
    """The app's KBPORTAL_* settings without the prefix."""
    return {k[len("KBPORTAL_") :]: v for k, v in app.config.items() if k.startswith("KBPORTAL_")}


def destinations(config: Mapping[str, Any] | None = None) -> list[str]:
    """The destinations a new request gets an outbox row for (none: the staff inbox)."""
    return configured(config if config is not None else settings(current_app))


def get_relay(app: Flask | None = None) -> Relay:
    """The app's relay (made on first use, per process)."""
    target = app or current_app
    relay: Relay | None = target.extensions.get(EXTENSION_KEY)
    if relay is None or getattr(relay, "_pid", None) != os.getpid():
        relay = make_relay(target)
        relay._pid = os.getpid()  # type: ignore[attr-defined]
        target.extensions[EXTENSION_KEY] = relay
    return relay


def wake(app: Flask | None = None) -> None:
    """Tell this process's background relay, if running, that a message is waiting."""
    relay: Relay | None = (app or current_app).extensions.get(EXTENSION_KEY)
    if relay is not None:
        relay.wake.set()


def start_background(app: Flask) -> threading.Thread | None:
    """Run the relay on a daemon thread of this process (a web worker); None if off."""
    if not app.config.get("KBPORTAL_REQUESTS_RELAY", True):
        return None
    relay = get_relay(app)
    if not relay.channels:
        return None  # the staff inbox needs no delivery
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), name="kbportal-relay", daemon=True)
    thread.start()
    atexit.register(stop.set)
    app.extensions[EXTENSION_KEY + ".stop"] = stop
    log.info("relay running in the background for %s", ", ".join(sorted(relay.channels)))
    return thread

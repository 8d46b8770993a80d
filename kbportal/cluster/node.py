"""This node: its name, its secret key, and its handle on the shared database."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kbportal.config import ensure_secret_key
from kbportal.db import Database

_databases: dict[str, Database] = {}
_lock = threading.Lock()


def node_name(config: Mapping[str, Any]) -> str:
    """KBPORTAL_NODE_NAME, else host and data folder (two nodes on one host differ by folder)."""
    return str(config.get("NODE_NAME") or f"{socket.gethostname()}:{config['DATA_DIR']}")[:200]


def key_of(config: Mapping[str, Any]) -> str:
    """The secret key this node signs sessions with (as create_app chooses it)."""
    return str(config.get("SECRET_KEY") or ensure_secret_key(Path(config["DATA_DIR"])))


def database(config: Mapping[str, Any]) -> Database:
    """One Database per URL for cluster records (migrated on first use, like the app's)."""
    url = str(config["DATABASE_URL"])
    with _lock:
        found = _databases.get(url)
        if found is None:
            found = _databases[url] = Database(url)
    return found

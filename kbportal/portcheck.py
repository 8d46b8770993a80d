"""Whether a TCP address is free to listen on, so `kbportal serve` can say so before starting."""

from __future__ import annotations

import errno
import logging
import socket

log = logging.getLogger(__name__)


class PortInUse(Exception):
    """The address is already taken by another process."""


def ensure_free(host: str, port: int) -> None:
    """Raise PortInUse if host:port is taken now (other bind errors are left to gunicorn)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return  # a bad host name: gunicorn reports it in its own words
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As gunicorn binds: SO_REUSEADDR, so a socket in TIME_WAIT does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"{host}:{port} is already in use") from exc
            log.debug("cannot probe %s:%s: %s", host, port, exc)

"""The origins allowed to embed the widget and call the public API from a browser."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class OriginError(ValueError):
    """A KBPORTAL_WIDGET_ORIGINS entry that is not a bare scheme://host[:port] origin."""


def normalise_origin(value: str) -> str:
    """The canonical form of an origin: lower-case scheme and host, default port dropped."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginError(f"{value!r} is not an origin such as https://shop.example.com")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise OriginError(f"{value!r} must be an origin only, without a path, query or user")
    if "*" in text:
        # A wildcard would let any subdomain (often user content) read and frame the panel.
        raise OriginError(f"{value!r}: wildcards are not allowed; list each origin")
    try:
        port = parts.port
    except ValueError:
        raise OriginError(f"{value!r} has an invalid port") from None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The configured origins, normalised and de-duplicated, in the order given."""
    items = value.split(",") if isinstance(value, str) else list(value)
    seen: dict[str, None] = {}
    for item in items:
        if item.strip():
            seen[normalise_origin(item)] = None
    return tuple(seen)


def request_origin(header: str | None) -> str | None:
    """The normalised Origin of a request, "null" for an opaque one, or None when absent."""
    if header is None or not header.strip():
        return None
    try:
        return normalise_origin(header)
    except OriginError:
        return "null"  # sandboxed frames, file: pages, garbage: never on any list


def frame_ancestors(origins: tuple[str, ...]) -> str:
    """The CSP frame-ancestors source list: the portal itself and the configured origins."""
    return " ".join(("'self'", *origins))


def origin_of_url(url: str) -> str | None:
    """The origin of a full URL (https://help.example.com/x -> https://help.example.com)."""
    parts = urlsplit(url.strip())
    try:
        return normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except OriginError:
        return None

"""The site's own absolute address, and text made safe for the XML documents it serves.

The Host header is whatever a client sends: written into a sitemap, a feed or robots.txt it
would let anyone point crawlers and readers at their own site (and fill caches with it). So
absolute URLs come from KBPORTAL_PUBLIC_URL when it is set; without it, only from a request
whose host is in KBPORTAL_ALLOWED_HOSTS (loopback names and the public URL's host by default).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, request

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls but tab, LF and CR,
# lone surrogates, and U+FFFE/U+FFFF. One `\x01` in a title made every feed reader refuse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text without the characters XML cannot carry (they are dropped)."""
    return _NOT_XML.sub("", text)


def parse_hosts(value: str | Iterable[str]) -> tuple[str, ...]:
    """Allowed host names from a comma-separated setting (lowercased, ports dropped)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(_hostname(item) for item in items if item.strip()))


def _hostname(host: str) -> str:
    """A host name without port, brackets or trailing dot, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def allowed_hosts() -> tuple[str, ...]:
    """KBPORTAL_ALLOWED_HOSTS, or loopback names plus the public URL's host."""
    configured = current_app.config.get("KBPORTAL_ALLOWED_HOSTS") or ""
    if configured:
        return parse_hosts(configured)
    public = urlsplit(current_app.config.get("KBPORTAL_PUBLIC_URL") or "").hostname
    return parse_hosts([*LOOPBACK_HOSTS, *([public] if public else [])])


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a Host header names an allowed host (".example.com" allows its subdomains)."""
    name = _hostname(host)
    for entry in allowed:
        if entry == "*" or name == entry:
            return True
        if entry.startswith(".") and (name.endswith(entry) or name == entry[1:]):
            return True
    return False


def trusted_root() -> str | None:
    """The absolute site URL without a trailing slash, or None when the host is not trusted."""
    configured = (current_app.config.get("KBPORTAL_PUBLIC_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if host_allowed(request.host, allowed_hosts()):
        return request.url_root.rstrip("/")
    global _warned
    if not _warned:  # once: anyone can send Host headers, and logs must not fill with them
        _warned = True
        log.warning(
            "not writing an untrusted Host (%r) into absolute URLs: set KBPORTAL_PUBLIC_URL, "
            "or add the host to KBPORTAL_ALLOWED_HOSTS",
            xml_text(request.host)[:100],
        )
    return None


_warned = False

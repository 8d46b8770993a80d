"""Branding settings (logo, accent colour, footer links): parsed and checked when config loads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Brand:
    """How the portal looks: a logo URL, an accent colour, extra footer links."""

    logo: str = ""
    accent: str = ""
    footer_links: tuple[tuple[str, str], ...] = ()


def _safe_url(url: str) -> str:
    """An http(s) URL or a path on this site; anything else (javascript:, data:) is refused."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return url
    raise ValueError(f"{url!r} is not an http(s) URL or a /path")


def logo_url(value: str) -> str:
    """KBPORTAL_LOGO_URL: where the header's logo image is."""
    return _safe_url(value.strip())


def accent_color(value: str) -> str:
    """KBPORTAL_ACCENT_COLOR: a #rgb or #rrggbb colour (it goes into a stylesheet)."""
    value = value.strip()
    if not _HEX.fullmatch(value):
        raise ValueError("must be a colour like #0b57b5")
    return value.lower()


def footer_links(value: str) -> tuple[tuple[str, str], ...]:
    """KBPORTAL_FOOTER_LINKS: "Label=URL; Label=URL" as (label, url) pairs."""
    links = []
    for item in value.split(";"):
        if not item.strip():
            continue
        label, sep, url = item.partition("=")
        if not sep or not label.strip() or not url.strip():
            raise ValueError(f"{item.strip()!r} is not Label=URL")
        links.append((label.strip(), _safe_url(url.strip())))
    return tuple(links)


def brand_of(settings: dict[str, Any]) -> Brand:
    """The Brand of a portal's settings (keys without KBPORTAL_); overrides are checked too."""
    logo, accent = settings.get("LOGO_URL") or "", settings.get("ACCENT_COLOR") or ""
    links = settings.get("FOOTER_LINKS") or ()
    if isinstance(links, str):  # given as text in an override, not through the environment
        links = footer_links(links)
    # Parsing is idempotent: values from the environment pass again unchanged.
    return Brand(
        logo=logo_url(logo) if logo else "",
        accent=accent_color(accent) if accent else "",
        footer_links=tuple(links),
    )

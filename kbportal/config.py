"""Configuration: defaults, then KBPORTAL_* environment variables, then explicit overrides."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kbportal import brand


class ConfigError(ValueError):
    """A setting that cannot be used, with a message naming the variable."""


def _natural(value: str) -> int:
    """A whole number >= 0 (counts, sizes, seconds)."""
    number = int(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _positive(value: str) -> int:
    """A whole number >= 1."""
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _smtp_url(value: str) -> str:
    """smtp://[user:password@]host[:port][?starttls=1] or smtps://...: checked at start-up."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("use smtp://host:port (?starttls=1) or smtps://host:port")
    parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    return value


def _percent(value: str, high: int) -> int:
    """A whole percentage in [0, high]."""
    number = int(value)
    if not 0 <= number <= high:
        raise ValueError(f"must be between 0 and {high}")
    return number


# Every key a deployment can set, with its default and how to read it from the environment.
# The README documents each; a test keeps the two in step.
SETTINGS: dict[str, tuple[Any, Callable[[str], Any], str]] = {
    "ARTICLES_DIR": (
        "articles",
        str,
        "Folder (or git working copy) holding the markdown articles.",
    ),
    "DATA_DIR": ("instance", str, "Where builds of the index and the SQLite database live."),
    "DATABASE_URL": ("", str, "SQLAlchemy URL; default: SQLite kbportal.sqlite in DATA_DIR."),
    "SECRET_KEY": ("", str, "Signs sessions; default: a random key kept in DATA_DIR/secret_key."),
    "DEFAULT_LOCALE": ("en", str, "Locale of articles that do not name one, and of the UI."),
    "LOCALES": ("en,ru", lambda v: v, "Comma-separated locales the portal serves."),
    "SITE_NAME": ("Help Center", str, "Name shown in the header and page titles."),
    "LOGO_URL": ("", brand.logo_url, "Logo in the header: an https URL or a /path; empty: none."),
    "ACCENT_COLOR": ("", brand.accent_color, "Accent colour of buttons and links, e.g. #0b57b5."),
    "FOOTER_LINKS": (
        (),
        brand.footer_links,
        'Extra footer links: "Label=URL; Label=URL" (https URLs or /paths).',
    ),
    "SEARCH_PAGE_SIZE": (10, _positive, "Results per page of search."),
    "GIT_BRANCH": ("main", str, "Branch that `kbportal sync` publishes."),
    "GIT_REMOTE": ("origin", str, "Remote that `kbportal sync` fetches from."),
    "WEBHOOK_SECRET": ("", str, "Shared secret checked on POST /hooks/git; empty disables it."),
    "SYNC_INTERVAL": (
        0,
        _natural,
        "Seconds between polls of the git remote; 0 turns polling off.",
    ),
    "COMPACT_AFTER": (
        900,
        _natural,
        "Seconds without a publish after which `kbportal sync` rebuilds in full, merging away "
        "what incremental publishes left behind (deleted index entries); 0 never.",
    ),
    "BUILD_PROCS": (
        0,
        _natural,
        "Processes a full build runs on (rendering and indexing split over them); 0: one per "
        "core; 1: everything in one process.",
    ),
    "PUBLIC_URL": ("", str, "Public address for links agents copy; default: the request's."),
    "MAX_ARTICLE_BYTES": (
        256 * 1024,
        _positive,
        "Largest article file in bytes; a larger one is a problem and is skipped.",
    ),
    "MAX_HEADINGS": (500, _positive, "Most headings in one article; more skip the file."),
    "ALLOWED_HOSTS": (
        "",
        str,
        "Hosts whose name may go into absolute URLs (sitemap, feeds, robots.txt) when "
        "PUBLIC_URL is not set; default: loopback names and PUBLIC_URL's host.",
    ),
    "PROXY_FIX": (
        0,
        _natural,
        "Reverse proxies in front that set X-Forwarded-*; 0 trusts none (the direct client).",
    ),
    "MAX_REQUEST_BODY": (
        64 * 1024,
        _positive,
        "Largest request body in bytes for forms and JSON (413 beyond, refused unread).",
    ),
    "MAX_WEBHOOK_BODY": (
        1024 * 1024,
        _positive,
        "Largest body in bytes of POST /hooks/git (413 beyond, before the signature is checked).",
    ),
    "MAX_UPLOAD_BODY": (
        25 * 1024 * 1024,
        _positive,
        "Largest body in bytes of routes that take file uploads (e.g. request forms).",
    ),
    "MAX_URL_LENGTH": (8192, _positive, "Longest request target (path and query) in bytes (414)."),
    "MAX_HEADER_BYTES": (32768, _positive, "Most bytes of header fields in a request (431)."),
    "REQUEST_BODY_TIMEOUT": (
        30,
        _positive,
        "Seconds a client may take to send a request body to `kbportal serve` (408 after).",
    ),
    "DB_TIMEOUT": (
        5,
        _positive,
        "Seconds a database statement may wait for a lock before the request gets 503.",
    ),
    "NODE_NAME": (
        "",
        str,
        "This web node's name on /staff/problems; default: host name and data folder.",
    ),
    "SEARCH_CONCURRENCY": (
        1,
        _positive,
        "Searches one worker runs at once itself (without the search process, or while it "
        "cannot answer); more wait (up to 10 s, then 503) so pages never do.",
    ),
    "SEARCH_PROCESS": (
        True,
        lambda v: v.lower() in ("1", "true", "yes", "on"),
        "Run `kbportal serve`'s searches in one search process per node, below the workers' "
        "priority, so expensive searches slow only searches; off: in each worker.",
    ),
    "SEARCH_NICE": (
        10,
        lambda v: _percent(v, 19),
        "How much lower (0-19, as `nice`) the search process runs than the workers.",
    ),
    "SEARCH_ENCODER": (
        True,
        lambda v: v.lower() in ("1", "true", "yes", "on"),
        "Let the search process re-order the first results with the sentence encoder "
        "(multilingual-e5-small, 72 MB in that process only); off: the word-vector ranking alone.",
    ),
    "SEARCH_PROCESSES": (
        0,
        _natural,
        "Search processes per node under `kbportal serve`; 0: one per two cores (1 to 4), "
        "each niced as above.",
    ),
    "SEARCH_CACHE_MB": (
        64,
        _natural,
        "Megabytes of search answers each search process keeps for the current build "
        "(same query, scope, filters and page: answered from memory); 0 turns it off.",
    ),
    "SESSION_COOKIE_SECURE": (
        False,
        lambda v: v.lower() in ("1", "true", "yes"),
        "Send the session cookie over HTTPS only (set in production).",
    ),
    # Support requests (issue 9): where requests go, and the form's defences.
    "SMTP_URL": (
        "",
        _smtp_url,
        "smtp://user:pass@host:port (?starttls=1), or smtps:// for TLS; e-mails requests.",
    ),
    "REQUESTS_EMAIL_TO": ("", str, "Support address that receives requests by e-mail."),
    "REQUESTS_EMAIL_FROM": ("", str, "From address of request e-mails; default: the To address."),
    "REQUESTS_WEBHOOK_URL": ("", str, "Generic webhook receiving requests (Standard Webhooks)."),
    "REQUESTS_WEBHOOK_SECRET": ("", str, "Signing secret of the webhook (whsec_ + base64)."),
    "ZENDESK_URL": ("", str, "Zendesk address, e.g. https://acme.zendesk.com; files requests."),
    "ZENDESK_EMAIL": ("", str, "Zendesk agent e-mail for API-token authentication."),
    "ZENDESK_TOKEN": ("", str, "Zendesk API token; empty files anonymous requests."),
    "FRESHDESK_URL": ("", str, "Freshdesk address, e.g. https://acme.freshdesk.com."),
    "FRESHDESK_API_KEY": ("", str, "Freshdesk API key (tickets are created with it)."),
    "REQUESTS_RELAY": (
        True,
        lambda v: v.lower() in ("1", "true", "yes"),
        "Run the delivery relay as a thread inside `kbportal serve`.",
    ),
    "REQUESTS_DELIVERY_TIMEOUT": (10, _positive, "Seconds one delivery attempt may take."),
    "REQUESTS_LEASE_SECONDS": (
        120,
        _positive,
        "Seconds a relay holds a message it is delivering before another may take it.",
    ),
    "REQUESTS_RATE_LIMIT": (
        5,
        _positive,
        "Requests per hour from one visitor session, and from one (hashed) address.",
    ),
    "REQUESTS_MIN_SECONDS": (3, _natural, "Submits faster than this after opening are spam."),
    "REQUESTS_MAX_ATTACHMENT_MB": (10, _positive, "Largest attachment, in megabytes."),
    "REQUESTS_HOLDOUT": (
        0,
        lambda v: _percent(v, 20),
        "Percent of form sessions (0-20) shown no suggestions, to measure deflection.",
    ),
    "WIDGET_ORIGINS": (
        "",
        str,
        "Comma-separated origins (https://shop.example.com) that may embed the widget and call "
        "the public API from a browser; empty: only the portal's own pages.",
    ),
    "WIDGET_IDENTITY_SECRET": (
        "",
        str,
        "Shared secret for KBPortal.identify(): HMAC-SHA256 of the e-mail; empty: unverified.",
    ),
    "ANALYTICS_RETENTION_DAYS": (
        365,
        _positive,
        "Days raw search, click and vote rows are kept; daily aggregates are kept longer.",
    ),
}


def _split_locales(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Locales as a tuple, from a comma-separated string or a sequence."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item.strip())


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The effective settings, keyed without the KBPORTAL_ prefix."""
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for key, (default, parse, _doc) in SETTINGS.items():
        raw = env.get(f"KBPORTAL_{key}")
        try:
            config[key] = parse(raw) if raw not in (None, "") else default
        except ValueError as exc:
            raise ConfigError(f"KBPORTAL_{key}={raw!r} cannot be used: {exc}") from None
    config.update(overrides or {})
    config["LOCALES"] = _split_locales(config["LOCALES"])
    if config["DEFAULT_LOCALE"] not in config["LOCALES"]:
        config["LOCALES"] = (config["DEFAULT_LOCALE"], *config["LOCALES"])
    config["ARTICLES_DIR"] = Path(config["ARTICLES_DIR"]).resolve()
    config["DATA_DIR"] = Path(config["DATA_DIR"]).resolve()
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{config['DATA_DIR'] / 'kbportal.sqlite'}"
    return config


def ensure_secret_key(data_dir: Path) -> str:
    """A stable random secret kept in the data folder, made on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key

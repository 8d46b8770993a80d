"""Reading a report's period, locale, surface and segment from a query string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from kbportal.analytics.models import SEGMENTS
from kbportal.analytics.reports import Scope
from kbportal.analytics.searchlog import SURFACE

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
MAX_DAYS = 3660


class BadScope(ValueError):
    """A report parameter that cannot be used, with a message for the client."""


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadScope(f"{name} must be a date like 2026-11-01") from None


def parse_scope(args: Mapping[str, str], locales: Sequence[str], today: date) -> Scope:
    """A Scope from ?days= or ?since=&until=, ?locale=, ?surface=, ?segment=; raises BadScope."""
    until = _date(args["until"], "until") if args.get("until") else today
    if args.get("since"):
        since = _date(args["since"], "since")
    else:
        text = (args.get("days") or str(DEFAULT_PERIOD)).strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
            raise BadScope(f"days must be a whole number between 1 and {MAX_DAYS}")
        since = until - timedelta(days=int(text) - 1)
    if since > until:
        raise BadScope("since must not be after until")
    if (until - since).days >= MAX_DAYS:
        raise BadScope(f"a report covers at most {MAX_DAYS} days")
    locale = (args.get("locale") or "").strip() or None
    if locale is not None and locale not in locales:
        raise BadScope(f"locale must be one of: {', '.join(locales)}")
    surface = (args.get("surface") or "").strip() or None
    if surface is not None and not SURFACE.match(surface):
        raise BadScope("surface must be a lowercase word, e.g. page, api, suggest, form")
    segment = (args.get("segment") or "customer").strip()
    if segment not in SEGMENTS:
        raise BadScope(f"segment must be one of: {', '.join(SEGMENTS)}")
    return Scope(since, until, locale, surface, segment)


def lenient_scope(args: Mapping[str, str], locales: Sequence[str], today: date) -> Scope:
    """Like parse_scope, but a page falls back to the default for anything unusable."""
    try:
        return parse_scope(args, locales, today)
    except BadScope:
        return Scope(today - timedelta(days=DEFAULT_PERIOD - 1), today)

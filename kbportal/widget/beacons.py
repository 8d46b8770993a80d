"""Exposure, click and deflection beacons: validated, checked against what customers may see."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from kbportal.publish.view import PublishedKB
from kbportal.viewer import PUBLIC
from kbportal.web.params import clean_text

log = logging.getLogger(__name__)

TYPES = ("exposure", "click", "deflection", "search")
SURFACES = ("widget", "api")
MAX_BATCH = 20
MAX_ARTICLES = 10
SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class BeaconError(ValueError):
    """A beacon body that cannot be recorded, with an error per field."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Beacon:
    """One validated beacon: articles as "locale/slug" keys a customer may open."""

    type: str
    surface: str
    locale: str
    articles: tuple[str, ...] = ()
    query: str = ""
    session: str = ""
    form: str = ""  # the form's key, when the beacon comes from a request form
    request_type: str = ""
    search_id: int | None = None  # click: the search it came from; search: the one it continues
    position: int | None = None  # click: 1 for the first result
    data: dict[str, Any] = field(default_factory=dict)


def parse_beacons(
    body: Any, kb: PublishedKB, locales: tuple[str, ...], default_surface: str = "api"
) -> list[Beacon]:
    """Beacons from a JSON body: one object, or {"events": [up to 20 objects]}."""
    if isinstance(body, dict) and "events" in body:
        items = body["events"]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise BeaconError({"events": f"must be a list of 1 to {MAX_BATCH} events"})
        prefix = "events[{}]."
    else:
        items, prefix = [body], ""
    beacons, errors = [], {}
    for index, item in enumerate(items):
        try:
            beacons.append(_one(item, kb, locales, default_surface))
        except BeaconError as exc:
            errors.update({prefix.format(index) + k: v for k, v in exc.fields.items()})
    if errors:
        raise BeaconError(errors)
    return beacons


def _one(item: Any, kb: PublishedKB, locales: tuple[str, ...], default_surface: str) -> Beacon:
    """One beacon object, or BeaconError naming each bad field."""
    if not isinstance(item, dict):
        raise BeaconError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    kind = item.get("type")
    if kind not in TYPES:
        errors["type"] = f"must be one of: {', '.join(TYPES)}"
    surface = item.get("surface", default_surface)
    if surface not in SURFACES:
        errors["surface"] = f"must be one of: {', '.join(SURFACES)}"
    locale = item.get("locale", locales[0])
    if locale not in locales:
        errors["locale"] = f"must be one of: {', '.join(locales)}"
        locale = locales[0]
    session = item.get("session", "")
    if session and (not isinstance(session, str) or not SESSION.match(session)):
        errors["session"] = "must be 8-64 letters, digits, - or _"
    form = item.get("form", "")
    if form and (not isinstance(form, str) or not SESSION.match(form)):
        errors["form"] = "must be 8-64 letters, digits, - or _ (the form's Idempotency-Key)"
    raw = item.get("articles", [item["article"]] if "article" in item else [])
    if not isinstance(raw, list) or len(raw) > MAX_ARTICLES:
        errors["articles"] = f"must be a list of at most {MAX_ARTICLES} article slugs"
        raw = []
    keys = []
    for slug in raw:
        # Missing and internal look the same: a beacon can never confirm an internal slug.
        found = kb.article(locale, slug.strip("/"), PUBLIC) if isinstance(slug, str) else None
        if found is None:
            errors["articles" if "articles" in item else "article"] = "no such article"
            break
        keys.append(found.key)
    if kind == "search" and not clean_text(str(item.get("query") or "")):
        errors["query"] = "is required for search"
    total = item.get("total", 0)
    if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total <= 1_000_000:
        errors["total"] = "must be a whole number of results"
        total = 0
    search_id = item.get("search_id")
    if search_id is not None and (not isinstance(search_id, int) or isinstance(search_id, bool)):
        errors["search_id"] = "must be the search id a search beacon returned"
    position = item.get("position")
    if position is not None and (not isinstance(position, int) or not 1 <= position <= 1000):
        errors["position"] = "must be a whole number from 1"
    if kind in ("click", "exposure") and not keys and "article" not in errors:
        errors["articles" if kind == "exposure" else "article"] = "is required for " + str(kind)
    if errors:
        raise BeaconError(errors)
    return Beacon(
        type=str(kind),
        surface=str(surface),
        locale=str(locale),
        articles=tuple(keys),
        query=clean_text(str(item.get("query") or "")),
        session=str(session),
        form=str(form),
        request_type=clean_text(str(item.get("request_type") or ""), 64),
        search_id=search_id if isinstance(search_id, int) else None,
        position=position if isinstance(position, int) else None,
        data={"total": total} if kind == "search" else {},
    )

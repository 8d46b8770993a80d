"""Request types as the public API shows them: localized fields, checklist links, scope."""

from __future__ import annotations

import logging
import re
from typing import Any

from kbportal.content.request_types import RequestType, RequestTypes, localized
from kbportal.publish.view import PublishedKB
from kbportal.urls import article_path
from kbportal.viewer import PUBLIC

log = logging.getLogger(__name__)

TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class UnknownType(ValueError):
    """A request type the portal does not offer."""


def find_type(types: RequestTypes, name: str) -> RequestType | None:
    """The named request type; None for no name; UnknownType for a name the portal lacks."""
    if not name:
        return None
    found: RequestType | None = types.get(name) if TYPE_NAME.match(name) else None
    if found is None:
        offered = ", ".join(t.name for t in types.types)
        raise UnknownType(f"type must be one of: {offered}")
    return found


def type_json(kb: PublishedKB, rtype: RequestType, locale: str) -> dict[str, Any]:
    """A request type for a form in `locale`: labels and help in that language."""
    return {
        "name": rtype.name,
        "label": localized(rtype.label, locale),
        "help": localized(rtype.help, locale),
        "fields": [
            {
                "name": spec.name,
                "kind": spec.kind,
                "label": localized(spec.label, locale),
                "help": localized(spec.help, locale),
                "required": spec.required,
                "required_if": (
                    {"field": spec.required_if[0], "value": spec.required_if[1]}
                    if spec.required_if
                    else None
                ),
                "options": [
                    {"value": o.value, "label": localized(o.label, locale)} for o in spec.options
                ],
            }
            for spec in rtype.fields
        ],
        "checklist": _checklist(kb, rtype, locale),
    }


def _checklist(kb: PublishedKB, rtype: RequestType, locale: str) -> list[dict[str, str]]:
    """Checklist items whose article a customer may open (an internal link is left out)."""
    items = []
    for item in rtype.checklist:
        target = item.link.get(locale) or item.link.get("") or ""
        slug, _, anchor = target.partition("#")
        slug = slug.strip("/").removesuffix(".md")
        if slug and kb.article(locale, slug, PUBLIC) is None:
            continue
        url = article_path(locale, slug, anchor) if slug else ""
        items.append({"text": localized(item.text, locale), "url": url})
    return items

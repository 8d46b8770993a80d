"""Request types as the suggest API sees them: a name and the scope its suggestions come from."""

from __future__ import annotations

import logging
import re

from kbportal.publish.view import PublishedKB
from kbportal.widget.suggest import Scope

log = logging.getLogger(__name__)

TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class UnknownType(ValueError):
    """A request type the portal does not offer."""


def scope_for_type(kb: PublishedKB, name: str, locale: str) -> Scope | None:
    """The categories and tags a request type's suggestions come from; None: anywhere."""
    if not name:
        return None
    if not TYPE_NAME.match(name):
        raise UnknownType(f"type must be a request type name such as 'problem', not {name!r}")
    # HOOK: issue 9 (kbportal.support) publishes the request types with their categories and
    # tags; until it lands every well-formed type name searches the whole knowledge base.
    return None

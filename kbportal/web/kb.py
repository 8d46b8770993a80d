"""The published knowledge base this request reads, through helper D's accessor."""

from __future__ import annotations

import logging

from kbportal.publish.view import PublishedKB

log = logging.getLogger(__name__)


def current_kb() -> PublishedKB:
    """The published KB version this worker serves now."""
    from kbportal.publish import get_kb  # late: importing publish loads content and search

    return get_kb()

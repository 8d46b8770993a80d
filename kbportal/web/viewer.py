"""Who is reading this request: the one function every view asks."""

from __future__ import annotations

import logging

from kbportal.viewer import PUBLIC, Viewer

log = logging.getLogger(__name__)


def current_viewer() -> Viewer:
    """The reader of the current request; anonymous customers are PUBLIC."""
    # Helper F replaces this with staff viewers for signed-in agents and API tokens.
    return PUBLIC

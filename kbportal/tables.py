"""Every module that defines tables, imported together so the metadata is complete."""

from __future__ import annotations

# Here and not in kbportal.db: the table modules import kbportal.db, so the database module
# importing them back made a cycle.
import kbportal.accounts.models  # noqa: F401
import kbportal.analytics.models  # noqa: F401
from kbportal.db import Base

metadata = Base.metadata

"""Every module that defines tables, imported together so the metadata is complete.

It sits above the packages it names (kbportal.db only provides the base), so the database
layer never imports upwards; add a line here when a package gains tables.
"""

from __future__ import annotations


def import_models() -> None:
    """Import every module that defines tables (for Alembic's autogenerate and its tests)."""
    import kbportal.accounts.audit  # noqa: F401
    import kbportal.accounts.models  # noqa: F401
    import kbportal.analytics.models  # noqa: F401
    import kbportal.cluster.models  # noqa: F401
    import kbportal.support.models  # noqa: F401
    import kbportal.sync.deliveries  # noqa: F401

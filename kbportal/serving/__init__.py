"""Serving HTTP safely: request limits in the app, and the `kbportal serve` server set-up."""

from __future__ import annotations

from kbportal.serving.limits import allow_body, init_app, limit_for, read_body

__all__ = ["allow_body", "init_app", "limit_for", "read_body"]

"""Warming a worker opens the KB and searches once; it never stops a worker from starting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from kbportal.web.warmup import warm_up


def test_warm_up_opens_the_kb_and_pages_still_work(app_factory: Callable[..., Flask]) -> None:
    app = app_factory()
    assert warm_up(app) > 0
    client = app.test_client()
    assert client.get("/en/articles/billing/refunds").status_code == 200
    page = client.get("/en/search?q=refund")
    assert page.status_code == 200 and "Getting a refund" in page.get_data(as_text=True)


def test_warm_up_never_raises(app_factory: Callable[..., Flask], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    app = app_factory(ARTICLES_DIR=str(empty), DATA_DIR=str(tmp_path / "nodata"))
    assert warm_up(app) == 0.0

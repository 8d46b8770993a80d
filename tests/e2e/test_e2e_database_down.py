"""A database that cannot be opened: customers still read and search; staff paths answer 503."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from e2e_portal import Portal
from support import csrf_from

FILES = {"en/billing/refunds.md": "# Refunds\n\nWrite to us for a refund.\n"}


def down(portal: Callable[..., Portal], tmp_path: Path) -> Portal:
    """A portal whose SQLite "file" is a folder: every connection fails."""
    (tmp_path / "not-a-file").mkdir()
    return portal(FILES, DATABASE_URL=f"sqlite:///{tmp_path / 'not-a-file'}")


def test_customers_do_not_need_the_database(portal: Callable[..., Portal], tmp_path: Path) -> None:
    client = down(portal, tmp_path).app().test_client()
    for url in ["/en/", "/en/articles/billing/refunds", "/en/search?q=refund", "/login"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/search?q=refund").json["total"] == 1


def test_staff_paths_say_unavailable(portal: Callable[..., Portal], tmp_path: Path) -> None:
    client = down(portal, tmp_path).app().test_client()
    api = client.get("/api/v1/search?q=refund", headers={"Authorization": "Bearer abc"})
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.json == {"error": "temporarily unavailable; try again in a minute"}
    form = {"email": "a@example.com", "password": "long enough pw", "csrf_token": ""}
    form["csrf_token"] = csrf_from(client.get("/login").text)
    page = client.post("/login", data=form)
    assert page.status_code == 503 and "Traceback" not in page.text
    assert "not been published" not in page.text  # the KB is fine; this is another outage

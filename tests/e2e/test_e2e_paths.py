"""Nothing outside the articles tree is served, and nothing in it but articles and media."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_portal import Portal

SECRET = "TOP-SECRET-OUTSIDE-THE-TREE"
FILES: dict[str, str | bytes] = {
    "en/help/_category.yml": "title: Help\n",
    "en/help/start.md": "# Start\n\n![Logo](../../img/logo.png)\n\nSee [notes](../../notes.txt).\n",
    "en/help/_hidden.md": f"# Hidden\n\n{SECRET} underscore\n",
    "en/help/.dot.md": f"# Dot\n\n{SECRET} dot\n",
    "img/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    "notes.txt": "plain notes\n",
}
MEDIA_PROBES = [
    "/media/en/help/start.md",
    "/media/en/help/_category.yml",
    "/media/en/help/_hidden.md",
    "/media/en/help/.dot.md",
    "/media/../secret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/img/..%2f..%2fsecret.txt",
    "/media//etc/passwd",
    "/media/%2Fetc%2Fpasswd",
    "/media/outside-link/secret.txt",
    "/media/img/outside.png",
    "/media/img/logo.png%00.md",
    "/media/.git/config",
]


@pytest.fixture
def tree(portal: Callable[..., Portal]) -> Portal:
    """The tree, with a secret beside it and symlinks from inside pointing at it."""
    one = portal(FILES)
    secret = one.root / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (one.root / "outside").mkdir()
    (one.root / "outside" / "leak.md").write_text(f"# Leak\n\n{SECRET} folder\n")
    (one.articles / "outside-link").symlink_to(one.root / "outside", target_is_directory=True)
    (one.articles / "img" / "outside.png").symlink_to(secret)
    (one.articles / "en" / "help" / "linked.md").symlink_to(one.root / "outside" / "leak.md")
    (one.articles / ".git").mkdir()
    (one.articles / ".git" / "config").write_text(f"[core]\n# {SECRET}\n")
    return one


@pytest.mark.parametrize("url", MEDIA_PROBES)
def test_media_serves_only_tree_images(tree: Portal, url: str) -> None:
    with tree.app().test_client().get(url, follow_redirects=True) as response:
        assert response.status_code in (400, 404), url  # "//" first redirects to "/" (308)
        assert SECRET.encode() not in response.data


def test_tree_media_is_served(tree: Portal) -> None:
    client = tree.app().test_client()
    with client.get("/media/img/logo.png") as response:
        assert response.status_code == 200


def test_symlinked_and_hidden_articles_are_never_published(tree: Portal) -> None:
    client = tree.app().test_client()
    for url in [
        "/en/articles/help/linked",
        "/en/articles/outside-link/leak",
        "/en/articles/help/_hidden",
        "/en/articles/help/.dot",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/search?q=top+secret+outside").json["total"] == 0
    assert SECRET not in client.get("/en/search?q=top+secret+outside").text
    assert SECRET not in client.get("/sitemap.xml").text + client.get("/en/feed.xml").text


def test_check_never_reads_files_outside(tree: Portal) -> None:
    result = tree.run("check", "--format", "json")
    assert SECRET not in result.output

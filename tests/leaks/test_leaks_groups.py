"""Issue 7 §1: staff pages show an agent only what their groups may open.

/staff/problems listed the paths and messages of articles restricted to another group, and a
link inside an all-staff article gave away the slug of a group-restricted one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from leaks_sample import app_with_agents, client_for

from kbportal import publish
from kbportal.viewer import Viewer

FILES = {
    "en/start/welcome.md": "# Welcome\n\nHello.\n",
    "en/internal/_category.yml": "visibility: internal\n",
    # All staff: links to the L2-only runbook by path and by slug.
    "en/internal/handover.md": (
        "# Handover\n\nFor outages see [the runbook](failover.md) or [this](internal/failover).\n"
    ),
    "en/internal/failover.md": (
        "---\ntitle: Kumquat failover\naudience: [l2]\n---\n\n"
        "L2 only. See [missing](nowhere-kumquat.md).\n"
    ),
    # Restricted to L2 and linking to an all-staff page: that link is fine.
    "en/internal/l2-notes.md": (
        "---\ntitle: L2 notes\naudience: [l2]\n---\n\nSee [handover](handover.md).\n"
    ),
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_agents(tmp_path, FILES)


def test_problems_of_group_articles_are_theirs_alone(app: Flask) -> None:
    agent = client_for(app, "agent@example.com").get("/staff/problems").text
    assert "failover" not in agent.lower() and "kumquat" not in agent.lower()
    l2 = client_for(app, "l2@example.com").get("/staff/problems").text
    assert "en/internal/failover.md" in l2 and "nowhere-kumquat" in l2


def test_all_staff_article_does_not_link_a_group_article(app: Flask) -> None:
    page = client_for(app, "agent@example.com").get("/en/articles/internal/handover").text
    assert "failover" not in page.lower() and "kumquat" not in page.lower()
    assert "the runbook" in page  # the words stay, as plain text
    # Rendered once for every reader: L2 sees the same body (its sidebar may list the runbook).
    kb = publish.kb_for(publish.accessor.config_of(app))
    body = kb.article("en", "internal/handover", Viewer(staff=True)).html
    assert "failover" not in body


def test_group_article_links_an_all_staff_one(app: Flask) -> None:
    page = client_for(app, "l2@example.com").get("/en/articles/internal/l2-notes").text
    assert 'href="/en/articles/internal/handover"' in page


def test_the_problem_does_not_name_the_restricted_target(app: Flask) -> None:
    kb = publish.kb_for(publish.accessor.config_of(app))
    (problem,) = [p for p in kb.problems() if p.path == "en/internal/handover.md"][:1]
    assert problem.code == "internal-link" and "failover" not in problem.message


def test_an_audience_added_later_unlinks_it_from_all_staff_pages(tmp_path: Path) -> None:
    from support import write_tree

    from kbportal.config import load_config

    files = {**FILES, "en/internal/failover.md": "# Kumquat failover\n\nFor all staff.\n"}
    root = write_tree(tmp_path / "articles", files)
    config = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    staff = Viewer(staff=True)
    try:
        publish.build(config)
        body = publish.kb_for(config).article("en", "internal/handover", staff).html
        assert 'href="/en/articles/internal/failover"' in body
        (root / "en/internal/failover.md").write_text(FILES["en/internal/failover.md"])
        publish.update(config, ["en/internal/failover.md"], [])  # only the target changed
        body = publish.kb_for(config).article("en", "internal/handover", staff).html
        assert "failover" not in body
    finally:
        publish.close_all()

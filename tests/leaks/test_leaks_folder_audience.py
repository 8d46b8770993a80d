"""Issue 7 §1: an `audience:` in a folder's `_category.yml` restricts everything below it.

Audience (group) restrictions follow the visibility rules: the folder decides, front matter
may only narrow, a symlink into a group's folder is refused, and every staff page (article,
search, category, links, /staff/problems) shows an agent only what their groups may open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from leaks_sample import app_with_agents, client_for
from support import write_tree

from kbportal import publish
from kbportal.content.loader import load_knowledge_base

FILES = {
    "en/start/welcome.md": "# Welcome\n\nHello.\n",
    "en/internal/_category.yml": "visibility: internal\n",
    "en/internal/handover.md": (
        "# Handover\n\nSee [the plan](../l2/plan.md) for zephyrine.\n\n"
        "![The diagram](../l2/img/diagram.png)\n"
    ),
    "en/l2/img/diagram.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    # A group's folder: every article below is for L2 only, whatever its front matter says.
    "en/l2/_category.yml": "title: Second line\naudience: [l2]\n",
    "en/l2/plan.md": (
        "# Quokka plan\n\nzephyrine steps. See [missing](nowhere-quokka.md).\n\n"
        "![Diagram](img/diagram.png)\n"
    ),
    "en/l2/deep/more.md": "---\naudience: l2\n---\n\n# Deeper quokka\n\nzephyrine too.\n",
    "en/l2/says-public.md": "---\nvisibility: public\n---\n\n# Quokka public\n\nzephyrine.\n",
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_agents(tmp_path, FILES)


def test_a_group_folder_makes_every_article_below_it_theirs(make_articles) -> None:
    kb = load_knowledge_base(make_articles(FILES))
    for key in ("en/l2/plan", "en/l2/deep/more", "en/l2/says-public"):
        article = kb.articles[key]
        assert article.visibility == "internal" and article.audience == ("l2",), key
    assert kb.categories[("en", "l2/deep")].audience == ("l2",)


def test_pages_are_the_groups_alone(app: Flask) -> None:
    agent, l2 = client_for(app, "agent@example.com"), client_for(app, "l2@example.com")
    anonymous = app.test_client()
    for path in ("/en/articles/l2/plan", "/en/articles/l2/deep/more", "/en/categories/l2"):
        assert anonymous.get(path).status_code == 404, path
        assert agent.get(path).status_code == 404, path
        assert l2.get(path).status_code == 200, path
    assert "Second line" not in agent.get("/en/").text


def test_search_and_staff_search_find_them_for_the_group_only(app: Flask) -> None:
    public = app.test_client().get("/api/v1/search?q=zephyrine").get_json()
    assert public["total"] == 0 and public["results"] == []
    agent = client_for(app, "agent@example.com").get("/staff/search?q=zephyrine").text
    assert "quokka" not in agent.lower()
    l2 = client_for(app, "l2@example.com").get("/staff/search?q=zephyrine").text
    assert "Quokka plan" in l2 and "Deeper quokka" in l2


def test_links_and_problems_do_not_name_them_to_other_staff(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    page = agent.get("/en/articles/internal/handover").text
    assert "l2/plan" not in page and "quokka" not in page.lower() and "the plan" in page
    problems = agent.get("/staff/problems").text
    assert "en/l2/" not in problems and "quokka" not in problems.lower()
    mine = client_for(app, "l2@example.com").get("/staff/problems").text
    assert "nowhere-quokka" in mine


def test_front_matter_may_narrow_a_folders_audience_never_widen_it(make_articles) -> None:
    root = make_articles(
        {
            "en/ops/_category.yml": "audience: [l2, l3]\n",
            "en/ops/narrow.md": "---\naudience: [l3]\n---\n\n# Narrow\n",
            "en/ops/wider.md": "---\ntitle: Wider\naudience: [l3, sales]\n---\n\n# Wider\n",
            "en/ops/other.md": "---\naudience: [sales]\n---\n\n# Other\n",
            "en/ops/sub/_category.yml": "audience: [l3, billing]\n",
            "en/ops/sub/s.md": "# Sub\n",
        }
    )
    kb = load_knowledge_base(root)
    assert kb.articles["en/ops/narrow"].audience == ("l3",)
    assert kb.articles["en/ops/wider"].audience == ("l3",)  # sales dropped: an error
    assert "en/ops/other" not in kb.articles  # no one left: skipped
    assert kb.articles["en/ops/sub/s"].audience == ("l3",)
    found = {(p.path, p.line, p.code, p.severity) for p in kb.problems}
    assert ("en/ops/wider.md", 3, "audience-escape", "error") in found
    assert ("en/ops/other.md", 2, "audience-escape", "error") in found
    assert ("en/ops/sub/_category.yml", 1, "audience-escape", "error") in found


def test_category_front_matter_cannot_move_an_article_out_of_a_group(make_articles) -> None:
    root = make_articles(
        {
            "en/l2/_category.yml": "audience: [l2]\n",
            "en/staff/_category.yml": "visibility: internal\n",
            "en/l2/moved.md": "---\ncategory: staff\n---\n\n# Moved\n",
            "en/staff/in.md": "---\ncategory: l2\n---\n\n# Listed in\n",
        }
    )
    kb = load_knowledge_base(root)
    moved = next(a for a in kb.articles.values() if a.path == "en/l2/moved.md")
    assert moved.category == "staff" and moved.audience == ("l2",)
    listed = next(a for a in kb.articles.values() if a.path == "en/staff/in.md")
    assert listed.audience == ("l2",)  # listed in a group's folder: theirs too (narrower)


def test_a_symlink_into_a_groups_folder_is_refused(make_articles) -> None:
    root = make_articles(
        {"en/l2/_category.yml": "audience: [l2]\n", "en/l2/secret.md": "# Quokka\n"}
    )
    (root / "en" / "open.md").symlink_to("l2/secret.md")
    kb = load_knowledge_base(root)
    assert kb.by_path("en/open.md") is None
    assert ("en/open.md", "unsafe-symlink") in {(p.path, p.code) for p in kb.problems}


def test_an_empty_or_bad_folder_audience_hides_the_folder_from_the_public(make_articles) -> None:
    root = make_articles(
        {
            "en/a/_category.yml": "audience: []\n",
            "en/a/x.md": "# X\n",
            "en/b/_category.yml": "audience: {l2: yes}\n",
            "en/b/y.md": "# Y\n",
        }
    )
    kb = load_knowledge_base(root)
    assert not any(a.is_public for a in kb.articles.values())
    assert {
        ("en/a/_category.yml", "bad-category-file"),
        ("en/b/_category.yml", "bad-category-file"),
    } <= {(p.path, p.code) for p in kb.problems}


def test_kbportal_check_reports_audience_escapes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = write_tree(
        tmp_path / "articles",
        {
            "en/l2/_category.yml": "audience: [l2]\n",
            "en/l2/w.md": "---\naudience: [l2, sales]\n---\n\n# W\n",
        },
    )
    (root / "en" / "open.md").symlink_to("l2/w.md")
    env = {**os.environ, "KBPORTAL_ARTICLES_DIR": str(root)}
    env["KBPORTAL_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("kbportal")), "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "en/l2/w.md:2: error [audience-escape]" in done.stdout
    assert "en/open.md:1: error [unsafe-symlink]" in done.stdout


def test_a_groups_images_are_theirs_alone(app: Flask) -> None:
    agent, l2 = client_for(app, "agent@example.com"), client_for(app, "l2@example.com")
    page = agent.get("/en/articles/internal/handover").text
    assert "diagram.png" not in page and "The diagram" in page  # the words stay
    assert "/media/en/l2/img/diagram.png" in l2.get("/en/articles/l2/plan").text
    shown = l2.get("/media/en/l2/img/diagram.png")
    shown.close()
    assert shown.status_code == 200
    assert agent.get("/media/en/l2/img/diagram.png").status_code == 404
    assert app.test_client().get("/media/en/l2/img/diagram.png").status_code == 404
    problems = agent.get("/staff/problems").text
    assert "other staff groups" in problems and "diagram" not in problems


def test_a_folder_cannot_widen_its_parents_audience_or_say_public(make_articles) -> None:
    root = make_articles(
        {
            "en/ops/_category.yml": "audience: [l2]\n",
            "en/ops/sales/_category.yml": "audience: [sales]\nvisibility: public\n",
            "en/ops/sales/s.md": "# S\n",
        }
    )
    kb = load_knowledge_base(root)
    assert kb.categories[("en", "ops/sales")].audience == ("l2",)  # none left: the parent's
    assert kb.articles["en/ops/sales/s"].audience == ("l2",)
    found = {(p.path, p.code, p.severity) for p in kb.problems}
    assert ("en/ops/sales/_category.yml", "audience-escape", "error") in found
    assert ("en/ops/sales/_category.yml", "visibility-conflict", "warning") in found


def test_publishing_one_new_file_in_a_groups_folder_makes_it_theirs(tmp_path: Path) -> None:
    from kbportal.config import load_config
    from kbportal.viewer import Viewer

    root = write_tree(tmp_path / "articles", FILES)
    config = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    try:
        publish.build(config)
        (root / "en/l2/new.md").write_text("# New quokka\n\nzephyrine.\n")
        publish.update(config, ["en/l2/new.md"], [])
        kb = publish.kb_for(config)
        assert kb.article("en", "l2/new", Viewer(staff=True)) is None
        found = kb.article("en", "l2/new", Viewer(staff=True, groups=frozenset({"l2"})))
        assert found is not None and found.audience == ("l2",)
    finally:
        publish.close_all()

"""Broken content end to end: each problem reported with file and line, the rest publishes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from e2e_portal import Portal

BROKEN: dict[str, str | bytes] = {
    "en/start/welcome.md": "# Welcome\n\nRead [refunds](../billing/refunds.md).\n",
    "en/start/bad-yaml.md": "---\ntitle: [unclosed\n---\n# Bad YAML\n\nText.\n",
    "en/billing/refunds.md": (
        "# Refunds\n\nWrite to us for a refund.\n\nSee [gone](gone.md).\n\n![Chart](img/none.png)\n"
    ),
    "en/billing/copy.md": "---\nslug: billing/refunds-copy\n---\n# First copy\n\nOne.\n",
    "en/billing/copy2.md": "---\nslug: billing/refunds-copy\n---\n# Second copy\n\nTwo.\n",
    "en/billing/latin1.md": "# Caf\xe9\n\nPaid in \xe9.\n".encode("latin-1"),
    "en/billing/empty.md": "",
    "en/billing/front-only.md": "---\ntitle: Only front matter\nsummary: Nothing below.\n---\n",
    "ru/start/welcome.md": "# Добро пожаловать\n\nСоздайте рабочее пространство.\n",
}
# (file, line, code): every broken thing, where an editor would look for it.
EXPECTED = {
    ("en/start/bad-yaml.md", 3, "bad-front-matter"),
    ("en/billing/refunds.md", 5, "missing-link"),
    ("en/billing/refunds.md", 7, "missing-image"),
    ("en/billing/copy2.md", 2, "duplicate-slug"),
    ("en/billing/latin1.md", 1, "not-utf8"),
    ("en/billing/empty.md", 1, "empty-article"),
    ("en/billing/front-only.md", 4, "empty-article"),
}
SERVED = ["/en/articles/start/welcome", "/en/articles/billing/refunds"]
SERVED += ["/ru/articles/start/welcome", "/en/articles/billing/refunds-copy"]
SKIPPED = ["/en/articles/start/bad-yaml", "/en/articles/billing/latin1"]
SKIPPED += ["/en/articles/billing/empty", "/en/articles/billing/front-only"]


def found(problems: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    """(path, line, code) of each reported problem."""
    return {(p["path"], p["line"], p["code"]) for p in problems}


def test_index_publishes_the_rest_and_reports_each(portal: Callable[..., Portal]) -> None:
    one = portal(BROKEN)
    result = one.run("index")
    assert result.exit_code == 0, result.output
    assert "4 articles" in result.output and "7 errors" in result.output
    for path, line, code in EXPECTED:
        assert f"{path}:{line}: error [{code}]" in result.output
    client = one.app().test_client()
    for url in SERVED:
        assert client.get(url).status_code == 200, url
    for url in SKIPPED:
        assert client.get(url).status_code == 404, url
    page = client.get("/en/articles/billing/refunds").text
    assert "gone.md" not in page  # a link to a missing article is plain text
    # A missing image keeps its /media/ address (it shows once the file is pushed) and 404s.
    assert client.get("/media/en/billing/img/none.png").status_code == 404


def test_check_lists_every_problem_and_fails(portal: Callable[..., Portal]) -> None:
    one = portal(BROKEN)
    text = one.run("check")
    assert text.exit_code == 1
    assert "\n\n" not in text.output
    summary = text.output.rstrip().splitlines()[-2:]
    assert summary[0] == "4 articles checked: 7 errors, 0 warnings"
    assert summary[1] == (
        "5 skipped (not published): en/billing/copy2.md, en/billing/empty.md, "
        "en/billing/front-only.md, en/billing/latin1.md, en/start/bad-yaml.md"
    )
    as_json = one.run("check", "--format", "json")
    assert as_json.exit_code == 1
    assert found(json.loads(as_json.output)) == EXPECTED


def test_github_annotations_are_relative_to_the_repository(portal: Callable[..., Portal]) -> None:
    one = portal(BROKEN)
    subprocess.run(["git", "init", "-q", str(one.root)], check=True)
    result = one.run("check", "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == len(EXPECTED)
    for path, line, code in EXPECTED:
        assert f"::error file=articles/{path},line={line},title={code}::" in result.output


def test_github_annotations_outside_a_repository_are_folder_relative(
    portal: Callable[..., Portal],
) -> None:
    result = portal(BROKEN).run("check", "--format", "github")
    assert "::error file=en/billing/empty.md,line=1,title=empty-article::" in result.output


def test_a_clean_tree_checks_clean(portal: Callable[..., Portal]) -> None:
    clean = {k: v for k, v in BROKEN.items() if k in ("en/start/welcome.md", "ru/start/welcome.md")}
    clean["en/billing/refunds.md"] = "# Refunds\n\nWrite to us.\n"
    result = portal(clean).run("check")
    assert result.exit_code == 0, result.output
    assert result.output == "3 articles checked: 0 errors, 0 warnings\n"


def test_check_fails_on_a_missing_or_empty_folder(portal: Callable[..., Portal]) -> None:
    missing = portal(None).run("check")
    assert missing.exit_code == 1 and "does not exist" in missing.output
    empty = portal({"en/_category.yml": "title: Nothing\n"}).run("check", "--format", "json")
    assert empty.exit_code == 1 and "no articles found" in empty.output

"""Problems printed as text, JSON and GitHub annotations."""

from __future__ import annotations

import json

import pytest

from kbportal.content.models import Problem
from kbportal.content.report import format_problems

PROBLEMS = [
    Problem("billing/a.md", 4, "missing-link", "link to a missing article 'x.md'"),
    Problem("b.md", 2, "unknown-key", "unknown key 'colour', ignored: 100%", "warning"),
]


def test_text():
    assert format_problems(PROBLEMS, "text", prefix="articles/") == (
        "articles/billing/a.md:4: error [missing-link] link to a missing article 'x.md'\n"
        "articles/b.md:2: warning [unknown-key] unknown key 'colour', ignored: 100%\n"
    )


def test_json():
    data = json.loads(format_problems(PROBLEMS, "json"))
    assert data[0] == {
        "path": "billing/a.md",
        "line": 4,
        "code": "missing-link",
        "message": "link to a missing article 'x.md'",
        "severity": "error",
    }


def test_github_annotations_escape_their_values():
    lines = format_problems(PROBLEMS, "github", prefix="articles/").splitlines()
    assert lines[0] == (
        "::error file=articles/billing/a.md,line=4,title=missing-link::"
        "link to a missing article 'x.md'"
    )
    assert lines[1] == (
        "::warning file=articles/b.md,line=2,title=unknown-key::"
        "unknown key 'colour', ignored: 100%25"
    )


def test_empty_and_unknown_format():
    assert format_problems([], "text") == ""
    assert json.loads(format_problems([], "json")) == []
    with pytest.raises(ValueError):
        format_problems(PROBLEMS, "xml")

"""The editors' guide cannot drift: every front matter key and problem code is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbportal.content import frontmatter
from kbportal.content.report import PROBLEM_CODES

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "content.md").read_text(encoding="utf-8")
SOURCES = "\n".join(p.read_text() for p in (ROOT / "kbportal" / "content").glob("*.py"))


@pytest.mark.parametrize("key", sorted(frontmatter.KEYS))
def test_every_front_matter_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in GUIDE


@pytest.mark.parametrize("code", sorted(PROBLEM_CODES))
def test_every_problem_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in GUIDE


def test_every_code_the_pipeline_uses_is_listed() -> None:
    # Kebab-case string literals in the pipeline are problem codes, bar these few.
    literals = set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', SOURCES))
    not_codes = {
        "utf-8-sig",
        "text-align",
        "getting-started",
        "task-list-item-checkbox",
        "aria-label",
    }
    assert literals - not_codes - set(PROBLEM_CODES) == set()
    assert {"missing-image", "missing-file"} <= set(PROBLEM_CODES)  # built as f"missing-{what}"

"""Issue 7 §1 through git sync: a pushed escape (symlink included) publishes nothing secret."""

from __future__ import annotations

import os

from kbportal.publish import close_all, kb_for
from kbportal.search.types import SearchQuery
from kbportal.sync import sync
from kbportal.viewer import PUBLIC

FIRST = {
    "en/internal/_category.yml": "visibility: internal\n",
    "en/internal/z.md": "---\ntitle: Secret C\n---\n\nsecretcharlie\n",
    "en/billing/refunds.md": "# Refunds\n",
}
SECOND = {
    "en/internal/x.md": "---\ntitle: Secret A\ncategory: billing\n---\n\nsecretalpha\n",
    "en/internal/y.md": "---\ntitle: Secret B\nlocale: ru\n---\n\nsecretbravo\n",
    "en/billing/d.md": (
        "---\nvisibility: internal\ntitle: Secret D\nvisibility: public\n---\n\nsecretdelta\n"
    ),
}


def test_pushed_escapes_stay_internal(repos):
    repos.editor.write(FIRST)
    repos.editor.push("first")
    repos.clone_portal()
    try:
        assert sync(repos.config()).status == "published"
        repos.editor.write(SECOND)
        os.symlink("../internal/z.md", repos.editor.path / "en/billing/z-link.md")
        repos.editor.push("the issue's escapes")
        report = sync(repos.config())
        codes = {(p.path, p.code) for p in report.problems}
        assert {
            ("en/internal/x.md", "visibility-escape"),
            ("en/internal/y.md", "visibility-escape"),
            ("en/billing/z-link.md", "unsafe-symlink"),
            ("en/billing/d.md", "duplicate-key"),
        } <= codes, report.format_text()
        kb = kb_for(repos.config())
        for word in ("secretalpha", "secretbravo", "secretcharlie", "secretdelta"):
            for locale in ("en", "ru"):
                assert not kb.search(SearchQuery(word, locale=locale, viewer=PUBLIC)).hits
        assert [a.slug for a in kb.articles_in("en", "billing", PUBLIC)] == ["billing/refunds"]
    finally:
        close_all()


def test_a_500_bracket_category_file_is_a_problem_not_a_crash(repos):
    """Issue 7 §2: the 1.2 KB _category.yml that crashed sync."""
    repos.editor.write(FIRST)
    repos.editor.push("first")
    repos.clone_portal()
    try:
        assert sync(repos.config()).status == "published"
        repos.editor.write({"en/billing/_category.yml": "title: " + "[" * 500 + "]" * 500 + "\n"})
        repos.editor.push("a hostile category file")
        report = sync(repos.config())
        assert report.status == "published", report.format_text()
        assert ("en/billing/_category.yml", 1, "bad-category-file") in {
            (p.path, p.line, p.code) for p in report.problems
        }
        # Fail closed: the folder is hidden until the file is fixed.
        assert kb_for(repos.config()).article("en", "billing/refunds", PUBLIC) is None
    finally:
        close_all()

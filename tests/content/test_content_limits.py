"""Issue 7 §2: size limits make a problem per file, and the rest publishes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kbportal.content.limits import Limits
from kbportal.content.loader import load_article, load_knowledge_base


def codes(kb) -> list[tuple[str, int, str]]:
    return [(p.path, p.line, p.code) for p in kb.problems]


def test_a_50_mb_article_is_skipped_unread(make_articles) -> None:
    root = make_articles({"en/ok.md": "# OK\n\nfine\n"})
    with (root / "en" / "huge.md").open("wb") as out:  # the 50 MB article
        out.write(b"# Huge\n\n")
        out.write(b"lorem ipsum dolor sit amet " * (50 * 1024 * 1024 // 27))
    kb = load_knowledge_base(root)
    assert codes(kb) == [("en/huge.md", 1, "too-large")]
    assert "50.0 MB" in kb.problems[0].message
    assert list(kb.articles) == ["en/ok"]


def test_the_limit_is_a_setting(make_articles) -> None:
    root = make_articles({"en/a.md": "# A\n\n" + "word " * 400})
    kb = load_knowledge_base(root, limits=Limits(article_bytes=1000))
    assert codes(kb) == [("en/a.md", 1, "too-large")]
    assert list(load_knowledge_base(root).articles) == ["en/a"]


def test_too_many_headings(make_articles) -> None:
    body = "".join(f"## Part {n}\n\ntext\n\n" for n in range(600))
    root = make_articles({"en/a.md": "---\ntitle: A\n---\n" + body, "en/b.md": "# B\n"})
    kb = load_knowledge_base(root)
    # the 501st heading: front matter is 3 lines, each part 4
    assert codes(kb) == [("en/a.md", 4 + 500 * 4, "too-many-headings")]
    assert list(kb.articles) == ["en/b"]


def test_nesting_too_deep(make_articles) -> None:
    quotes = "> " * 40 + "deep\n"
    lists = "".join("  " * depth + "- item\n" for depth in range(30))
    emphasis = "*" * 100 + "a" + "*" * 100 + "\n"
    root = make_articles(
        {"en/q.md": quotes, "en/l.md": lists, "en/e.md": emphasis, "en/ok.md": "# OK\n"}
    )
    kb = load_knowledge_base(root)
    assert sorted((path, code) for path, _line, code in codes(kb)) == [
        ("en/e.md", "too-deeply-nested"),
        ("en/l.md", "too-deeply-nested"),
        ("en/q.md", "too-deeply-nested"),
    ]
    assert list(kb.articles) == ["en/ok"]


def test_limits_hold_on_the_one_file_path(make_articles) -> None:
    root = make_articles({"en/ok.md": "# OK\n"})
    kb = load_knowledge_base(root)
    (root / "en" / "big.md").write_text("# Big\n\n" + "x" * 300_000)
    article, problems = load_article(root, "en/big.md", known=kb.targets)
    assert article is None and [p.code for p in problems] == ["too-large"]


def test_a_huge_category_file_hides_its_folder(make_articles) -> None:
    root = make_articles(
        {"en/x/_category.yml": "title: X\n" + "# pad\n" * 5000, "en/x/a.md": "# A\n"}
    )
    kb = load_knowledge_base(root)
    assert [p.code for p in kb.problems] == ["bad-category-file"]
    assert kb.articles["en/x/a"].visibility == "internal"


def test_500_brackets_in_a_category_file_do_not_crash_check_index_or_sync(
    make_articles, tmp_path: Path
) -> None:
    """The issue's 1.2 KB _category.yml, through the real commands."""
    deep = "title: " + "[" * 500 + "]" * 500 + "\n"
    assert 1000 < len(deep) < 1300
    root = make_articles({"en/x/_category.yml": deep, "en/x/a.md": "# A\n", "en/b.md": "# B\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(root),
        "KBPORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    kbportal = str(Path(os.sys.executable).with_name("kbportal"))
    check = subprocess.run([kbportal, "check"], env=env, capture_output=True, text=True)
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert "en/x/_category.yml:1: error [bad-category-file]" in check.stdout
    index = subprocess.run([kbportal, "index"], env=env, capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    assert "Traceback" not in index.stderr + index.stdout

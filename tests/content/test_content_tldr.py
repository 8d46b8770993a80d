"""The tldr pages import as they are: a sample of real pages, and (slow) the whole corpus."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from support import NO_TLDR, TLDR

from kbportal.content.loader import load_knowledge_base

SAMPLE = [
    "en/linux/ip.md",
    "en/cisco-ios/ip.md",
    "ru/linux/ip.md",
    "en/common/git-commit.md",
    "ru/common/git-commit.md",
    "en/common/[.md",
    "en/common/%.md",
    "en/osx/g[.md",
]

pytestmark = pytest.mark.skipif(not TLDR.is_dir(), reason=NO_TLDR)


def sample_pages(per_folder: int = 5) -> list[str]:
    """About 50 real pages: the named ones plus the first few of each locale/platform."""
    chosen = list(SAMPLE)
    for locale in ("en", "ru"):
        for platform in ("common", "linux", "osx", "windows", "android"):
            folder = TLDR / locale / platform
            if folder.is_dir():
                names = sorted(p.name for p in folder.glob("*.md") if p.name[0].isalnum())
                chosen += [f"{locale}/{platform}/{name}" for name in names[:per_folder]]
    return sorted(set(chosen))


@pytest.fixture(scope="module")
def tldr_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tldr")
    for relpath in sample_pages():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TLDR / relpath, root / relpath)
    return root


def test_every_sampled_page_imports_without_problems(tldr_sample):
    kb = load_knowledge_base(tldr_sample)
    expected = sample_pages()
    assert len(expected) >= 45
    assert kb.problems == []
    assert sorted(article.path for article in kb.articles.values()) == expected


def test_same_command_on_two_platforms_and_two_locales(tldr_sample):
    kb = load_knowledge_base(tldr_sample)
    for key in ("en/linux/ip", "en/cisco-ios/ip", "ru/linux/ip"):
        article = kb.articles[key]
        assert article.title == "ip"
        assert "<h1" not in article.html
        assert article.summary
    assert kb.articles["ru/linux/ip"].summary.startswith("Показывать")
    assert kb.articles["en/linux/ip"].category == "linux"
    assert kb.categories[("en", "cisco-ios")].title == "Cisco ios"


def test_commands_are_searchable_text(tldr_sample):
    article = load_knowledge_base(tldr_sample).articles["en/linux/ip"]
    (intro,) = article.sections
    assert "ip {{[a|address]}}" in intro.text
    assert "List interfaces with detailed info:" in intro.text


def test_punctuation_file_names_get_usable_slugs(tldr_sample):
    kb = load_knowledge_base(tldr_sample)
    assert {"en/common/[", "en/common/%", "en/osx/g["} <= set(kb.articles)


@pytest.mark.slow
def test_whole_corpus_loads_cleanly():
    started = time.perf_counter()
    kb = load_knowledge_base(TLDR)
    elapsed = time.perf_counter() - started
    pages = [p for p in TLDR.rglob("*.md") if p.name != "LICENSE.md"]
    # "..md" (the `.` command) starts with "." and is hidden by the content rules.
    hidden = [p for p in pages if p.name.startswith(".")]
    assert len(kb.articles) == len(pages) - len(hidden)  # the root LICENSE.md is no article
    assert [p for p in kb.problems if p.severity == "error"] == []
    print(f"tldr: {len(kb.articles)} articles in {elapsed:.1f} s")

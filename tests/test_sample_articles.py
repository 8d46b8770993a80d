"""The shipped sample knowledge base stays clean, bilingual and with its internal wiki hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbportal.content.loader import KnowledgeBase, load_knowledge_base
from kbportal.viewer import PUBLIC

ARTICLES = Path(__file__).resolve().parents[1] / "articles"


@pytest.fixture(scope="module")
def sample() -> KnowledgeBase:
    return load_knowledge_base(ARTICLES, locales=("en", "ru"), default_locale="en")


def test_sample_has_no_problems(sample: KnowledgeBase) -> None:
    assert sample.problems == []


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_each_locale_has_a_public_help_center_and_an_internal_wiki(
    sample: KnowledgeBase, locale: str
) -> None:
    articles = [a for a in sample.articles.values() if a.locale == locale]
    public = [a for a in articles if PUBLIC.can_see(a)]
    internal = [a for a in articles if a.visibility == "internal"]
    assert len(public) >= 20
    assert len(internal) >= 8
    assert sum(a.template for a in internal) >= 4


def test_everything_under_internal_is_internal(sample: KnowledgeBase) -> None:
    for article in sample.articles.values():
        if "/internal/" in f"/{article.path}":
            assert article.visibility == "internal", article.path
            assert not PUBLIC.can_see(article)


def test_english_and_russian_trees_match(sample: KnowledgeBase) -> None:
    slugs = {
        locale: {a.slug for a in sample.articles.values() if a.locale == locale}
        for locale in ("en", "ru")
    }
    assert slugs["en"] == slugs["ru"]

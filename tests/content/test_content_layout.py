"""Where an article lives decides its locale, category and slug; folders become categories."""

from __future__ import annotations

from kbportal.content.loader import load_knowledge_base


def test_locale_from_front_matter_folder_suffix_and_default(make_articles):
    root = make_articles(
        {
            "en/billing/refunds.md": "# Refunds\n",
            "ru/billing/refunds.md": "# Возвраты\n",
            "faq/limits.md": "# Limits\n",
            "faq/limits.ru.md": "# Лимиты\n",
            "faq/other.md": "---\nlocale: ru\n---\n# Другое\n",
        }
    )
    kb = load_knowledge_base(root)
    assert sorted(kb.articles) == [
        "en/billing/refunds",
        "en/faq/limits",
        "ru/billing/refunds",
        "ru/faq/limits",
        "ru/faq/other",
    ]
    assert kb.articles["ru/billing/refunds"].category == "billing"  # "ru" is not a category
    assert kb.articles["ru/faq/limits"].path == "faq/limits.ru.md"
    assert kb.problems == []


def test_locale_mismatch_is_a_warning(make_articles):
    root = make_articles({"en/a.md": "---\ntitle: A\nlocale: ru\n---\nТекст\n"})
    kb = load_knowledge_base(root)
    assert "ru/a" in kb.articles
    (problem,) = kb.problems
    assert (problem.code, problem.line, problem.severity) == ("locale-mismatch", 3, "warning")


def test_unconfigured_locale_is_refused(make_articles):
    root = make_articles({"a.md": "---\nlocale: de\n---\nText\n"})
    kb = load_knowledge_base(root)
    assert kb.articles == {}
    assert (kb.problems[0].code, kb.problems[0].line) == ("bad-front-matter", 2)


def test_nested_categories_with_files_and_intermediate_folders(make_articles):
    root = make_articles(
        {
            "en/billing/_category.yml": "title: Billing & plans\ndescription: Money\norder: 2\n",
            "en/billing/invoices/vat/eu.md": "# EU VAT\n",
            "en/billing/invoices/_category.ru.yml": "title: Счета\n",
            "ru/billing/invoices/vat.md": "# НДС\n",
        }
    )
    kb = load_knowledge_base(root)
    billing = kb.categories[("en", "billing")]
    assert (billing.title, billing.description, billing.order) == ("Billing & plans", "Money", 2)
    assert kb.categories[("en", "billing/invoices")].title == "Invoices"
    assert kb.categories[("en", "billing/invoices/vat")].parent == "billing/invoices"
    assert kb.categories[("ru", "billing/invoices")].title == "Invoices"
    assert kb.articles["en/billing/invoices/vat/eu"].category == "billing/invoices/vat"
    assert [p.code for p in kb.problems] == ["locale-mismatch"]  # ru file inside en/


def test_locale_specific_category_file_in_a_shared_folder(make_articles):
    root = make_articles(
        {
            "billing/_category.yml": "title: Billing\n",
            "billing/_category.ru.yml": "title: Оплата\n",
            "billing/a.md": "# A\n",
            "billing/a.ru.md": "# А\n",
        }
    )
    kb = load_knowledge_base(root)
    assert kb.categories[("en", "billing")].title == "Billing"
    assert kb.categories[("ru", "billing")].title == "Оплата"


def test_internal_category_makes_everything_below_internal(make_articles):
    root = make_articles(
        {
            "en/team/_category.yml": "visibility: internal\n",
            "en/team/runbooks/outage.md": "# Outage\n",
            "en/team/claims-public.md": "---\nvisibility: public\n---\n# Claims public\n",
        }
    )
    kb = load_knowledge_base(root)
    assert kb.categories[("en", "team/runbooks")].visibility == "internal"
    assert kb.articles["en/team/runbooks/outage"].visibility == "internal"
    assert kb.articles["en/team/claims-public"].visibility == "internal"
    assert [(p.code, p.line) for p in kb.problems] == [("visibility-conflict", 2)]


def test_broken_category_file_hides_its_folder(make_articles):
    root = make_articles(
        {"en/team/_category.yml": "visibility: [internal\n", "en/team/secret.md": "# Secret\n"}
    )
    kb = load_knowledge_base(root)
    assert kb.articles["en/team/secret"].visibility == "internal"
    assert kb.problems[0].code == "bad-category-file"


def test_default_slug_is_folder_path_and_lowercased_stem(make_articles):
    root = make_articles({"en/linux/ip.md": "# ip\n", "en/osx/ip.md": "# ip\n", "Top.md": "# T\n"})
    kb = load_knowledge_base(root)
    assert sorted(kb.articles) == ["en/linux/ip", "en/osx/ip", "en/top"]


def test_duplicate_slug_keeps_the_first_by_path(make_articles):
    root = make_articles(
        {
            "a.md": "---\nslug: same\n---\n# A\n",
            "b.md": "---\ntitle: B\nslug: same\n---\n# B\n",
            "c.ru.md": "---\nslug: same\n---\n# C\n",  # other locale: a translation, fine
        }
    )
    kb = load_knowledge_base(root)
    assert kb.articles["en/same"].path == "a.md"
    assert kb.articles["ru/same"].path == "c.ru.md"
    (problem,) = kb.problems
    assert (problem.path, problem.line, problem.code) == ("b.md", 3, "duplicate-slug")


def test_hidden_and_underscore_files_are_not_articles(make_articles):
    root = make_articles(
        {
            ".github/readme.md": "# no\n",
            "_drafts/x.md": "# no\n",
            "_partial.md": "# no\n",
            ".hidden.md": "# no\n",
            "real.md": "# yes\n",
        }
    )
    assert list(load_knowledge_base(root).articles) == ["en/real"]


def test_drafts_are_loaded_marked_as_drafts(make_articles):
    root = make_articles({"wip.md": "---\ndraft: true\n---\n# WIP\n"})
    article = load_knowledge_base(root).articles["en/wip"]
    assert article.draft and not article.is_public


def test_folder_of_images_only_is_not_a_category(make_articles):
    root = make_articles({"en/guide/a.md": "# A\n", "en/guide/images/shot.png": "png"})
    kb = load_knowledge_base(root)
    assert sorted(kb.categories) == [("en", "guide")]
    assert "en/guide/images/shot.png" in kb.targets.media


def test_a_renderer_failure_skips_only_that_file(make_articles, monkeypatch):
    from kbportal.content import loader

    real = loader.render_body

    def fragile(body: str, **kwargs):
        if kwargs["path"] == "boom.md":
            raise RecursionError("too deep")
        return real(body, **kwargs)

    monkeypatch.setattr(loader, "render_body", fragile)  # fault injection, not a stand-in
    kb = load_knowledge_base(make_articles({"boom.md": "# Boom\n", "ok.md": "[b](boom.md)\n"}))
    assert list(kb.articles) == ["en/ok"]
    assert [(p.path, p.code) for p in kb.problems] == [
        ("boom.md", "render-failed"),
        ("ok.md", "link-to-skipped"),  # not "missing": the file is there, only skipped
    ]


def test_repository_files_at_the_top_are_not_articles(make_articles) -> None:
    from kbportal.content.loader import load_knowledge_base
    from kbportal.content.source import classify

    root = make_articles(
        {
            "README.md": "# About this repository\n\nHow to edit.\n",
            "LICENSE.md": "# License\n\nCC BY 4.0\n",
            "en/start/readme.md": "# Read me first\n\nA real article.\n",
        }
    )
    kb = load_knowledge_base(root, locales=("en", "ru"), default_locale="en")
    assert sorted(kb.articles) == ["en/start/readme"]
    assert classify("README.md") == classify("LICENSE.md") == "other"
    assert classify("en/start/readme.md") == "article"
    assert classify("en/start/_category.ru.yml") == "category"

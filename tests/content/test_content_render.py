"""Rendering features, one test each, through the real loader."""

from __future__ import annotations

from pathlib import Path

from kbportal.content.loader import load_knowledge_base
from kbportal.content.models import Heading
from kbportal.content.render import slugify_anchor


def render(make_articles, text: str, **more: str):
    """Load a tree holding `text` as guide/page.md and return that article."""
    root = make_articles({"guide/page.md": text, **more})
    return load_knowledge_base(root).articles["en/guide/page"]


def test_table(make_articles):
    html = render(make_articles, "| a | b |\n|---|--:|\n| 1 | 2 |\n").html
    assert "<table>" in html and '<td style="text-align:right">2</td>' in html


def test_strikethrough(make_articles):
    assert "<s>old</s>" in render(make_articles, "~~old~~ new\n").html


def test_heading_anchors_are_cyrillic_safe_and_unique(make_articles):
    text = "# T\n\n## Оплата картой\n\n## Оплата картой\n\n### FAQ: why?\n"
    article = render(make_articles, text)
    assert '<h2 id="оплата-картой">' in article.html
    assert '<h2 id="оплата-картой-2">' in article.html
    assert article.toc == (
        Heading(2, "Оплата картой", "оплата-картой"),
        Heading(2, "Оплата картой", "оплата-картой-2"),
        Heading(3, "FAQ: why?", "faq-why"),
    )


def test_slugify_anchor():
    assert slugify_anchor("Оплата картой") == "оплата-картой"
    assert slugify_anchor("  Hello,   World!  ") == "hello-world"
    assert slugify_anchor("!!!") == "section"


def test_toc_lists_h2_and_h3_only(make_articles):
    article = render(make_articles, "# T\n\n## Two\n\n### Three\n\n#### Four\n")
    assert [h.level for h in article.toc] == [2, 3]


def test_admonition(make_articles):
    html = render(make_articles, '!!! note "Heads up"\n    Body text\n').html
    assert '<div class="admonition note">' in html
    assert '<p class="admonition-title">Heads up</p>' in html


def test_github_alert(make_articles):
    html = render(make_articles, "> [!WARNING]\n> Careful\n").html
    assert "markdown-alert-warning" in html and "Careful" in html


def test_task_list(make_articles):
    html = render(make_articles, "- [x] done\n- [ ] todo\n").html
    assert 'type="checkbox"' in html and "checked" in html and "disabled" in html


def test_footnotes(make_articles):
    html = render(make_articles, "Claim[^1].\n\n[^1]: Source.\n").html
    assert 'class="footnote-ref"' in html and "Source." in html


def test_code_highlighting_uses_css_classes(make_articles):
    html = render(make_articles, '```python\nprint("hi")\n```\n').html
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="nb">print</span>' in html
    assert "style=" not in html
    # The portal's stylesheet carries Pygments' rules for the classes the highlighter emits.
    css = Path(__file__).resolve().parents[2] / "kbportal" / "static" / "kbportal.css"
    assert ".highlight .nb {" in css.read_text(encoding="utf-8")


def test_unknown_language_is_plain_escaped_code(make_articles):
    html = render(make_articles, "```nosuchlang\na < b\n```\n").html
    assert "a &lt; b" in html and "<span" not in html


def test_links_by_relative_path_and_by_slug(make_articles):
    article = render(
        make_articles,
        "[path](../billing/refunds.md#step-2) [slug](billing/refunds) [here](#top)\n"
        "[ru](../billing/refunds.ru.md) [ru slug](ru/billing/refunds)\n",
        **{"billing/refunds.md": "# R\n", "billing/refunds.ru.md": "# В\n"},
    )
    assert '<a href="/en/articles/billing/refunds#step-2">path</a>' in article.html
    assert '<a href="/en/articles/billing/refunds">slug</a>' in article.html
    assert '<a href="#top">here</a>' in article.html
    assert article.html.count('href="/ru/articles/billing/refunds"') == 2
    assert [link.resolved for link in article.links if link.kind == "article"] == [
        "en/billing/refunds",
        "en/billing/refunds",
        "ru/billing/refunds",
        "ru/billing/refunds",
    ]


def test_link_to_an_alias_goes_to_the_current_slug(make_articles):
    article = render(
        make_articles,
        "[old](old-name)\n",
        **{"new.md": "---\naliases: [old-name]\n---\n# New\n"},
    )
    assert '<a href="/en/articles/new">old</a>' in article.html


def test_cyrillic_file_link(make_articles):
    article = render(make_articles, "[x](../оплата/карта.md)\n", **{"оплата/карта.md": "# К\n"})
    assert 'href="/en/articles/%D0%BE%D0%BF%D0%BB%D0%B0%D1%82%D0%B0/' in article.html


def test_images_from_the_tree_are_served_from_media(make_articles):
    article = render(make_articles, "![Screen](img/shot.png)\n", **{"guide/img/shot.png": "PNG"})
    assert '<img src="/media/guide/img/shot.png" alt="Screen">' in article.html


def test_external_links_get_rel(make_articles):
    html = render(make_articles, "[site](https://example.com) <https://a.example>\n").html
    assert '<a href="https://example.com" rel="noopener nofollow">site</a>' in html
    assert 'href="https://a.example" rel="noopener nofollow"' in html


def test_sections_split_at_h2_to_h4_with_code_text(make_articles):
    article = render(
        make_articles,
        "# Title\n\nIntro text.\n\n## Install\n\n`pip install x`\n\n##### Deep\n\nMore.\n\n"
        "#### Four\n\n```sh\nrun --fast\n```\n",
    )
    assert [(s.anchor, s.title, s.level) for s in article.sections] == [
        ("", "Title", 1),
        ("install", "Install", 2),
        ("four", "Four", 4),
    ]
    assert article.sections[0].text == "Intro text."
    assert article.sections[1].text == "pip install x\nDeep\nMore."
    assert article.sections[2].text == "run --fast"


def test_link_to_a_folder_goes_to_its_category_page(make_articles):
    article = render(
        make_articles,
        "[billing](../billing/) [team](../team)\n",
        **{
            "billing/a.md": "# A\n",
            "team/_category.yml": "visibility: internal\n",
            "team/b.md": "# B\n",
        },
    )
    assert '<a href="/en/categories/billing">billing</a>' in article.html
    assert "/en/categories/team" not in article.html and "team" in article.html


def test_many_repeated_headings_get_unique_anchors(make_articles):
    article = render(make_articles, "## h\n## h-2\n" + "## h\n" * 400)
    anchors = [heading.anchor for heading in article.toc]
    assert anchors[:4] == ["h", "h-2", "h-3", "h-4"]
    assert len(set(anchors)) == len(anchors) == 402

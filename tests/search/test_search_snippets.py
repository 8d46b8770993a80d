"""Snippets: escaped text of the hit's own section, matches marked, about 200 characters."""

from __future__ import annotations

import html
import re

from kbportal.search.snippets import make_snippet
from kbportal.search.types import SearchQuery

from .conftest import MakeSearcher, article


def plain(snippet: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet)).strip("…")


def test_snippet_is_escaped_and_marked(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("x", "XSS", "Never paste <script>alert('refund')</script> here.")])
    snippet = s.search(SearchQuery("refund script")).hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;<mark>script</mark>&gt;" in snippet
    assert "<mark>refund</mark>" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_snippet_centres_on_matches_in_long_text() -> None:
    text = "filler words here. " * 50 + "The refund arrives in five days. " + "tail text. " * 50
    snippet = make_snippet(text, ["refund"])
    assert "<mark>refund</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(plain(snippet)) <= 200


def test_snippet_without_match_is_the_start() -> None:
    assert make_snippet("Short text.", ["absent"]) == "Short text."
    assert make_snippet("", ["x"]) == ""
    assert len(plain(make_snippet("word " * 100, ["absent"]))) <= 200


def test_snippet_prefers_a_window_with_more_terms() -> None:
    text = "card " + "x " * 150 + "card declined payment here"
    snippet = make_snippet(text, ["card", "declin", "payment"])
    assert "<mark>declined</mark>" in snippet and "<mark>payment</mark>" in snippet


def test_snippet_never_holds_other_articles_text(make_searcher: MakeSearcher) -> None:
    arts = [
        article(f"a{i}", f"Article {i}", ("s", "Setup", f"refund steps unique{i} " * 30))
        for i in range(5)
    ]
    s = make_searcher(arts)
    for hit in s.search(SearchQuery("refund steps")).hits:
        own = " ".join(f"refund steps {hit.slug.replace('a', 'unique')} " * 30 for _ in [0])
        assert plain(hit.snippet) in " ".join(own.split())
        assert hit.anchor == "s" and hit.section == "Setup"


def test_a_hit_on_a_section_without_text_shows_the_summary(make_searcher: MakeSearcher) -> None:
    faq = article(
        "faq",
        "Questions about refunds",
        "",
        ("cards", "Cards", "Card payments come back in five days."),
        summary="Answers about refunds, invoices and closing documents.",
    )
    hit = make_searcher([faq]).search(SearchQuery("refunds")).hits[0]
    assert hit.snippet
    assert "<mark>refunds</mark>" in hit.snippet or "invoices" in hit.snippet

"""As-you-type suggestions: words anywhere in a title, the search's own answers, typos forgiven."""

from __future__ import annotations

from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

ARTICLES = [
    article("reset", "Reset your password", "Use the forgotten password link on the sign-in page."),
    article("email", "Change your e-mail address", "Open settings and type the new address."),
    article("invoices", "Download invoices", "Invoices are PDF files in the billing section."),
    article("runbook", "Password vault runbook", "Internal steps.", visibility="internal"),
]


def slugs(found) -> list[str]:
    return [s.slug for s in found]


def test_a_word_in_the_middle_of_a_title(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    assert slugs(s.autocomplete("password", PUBLIC))[0] == "reset"
    assert slugs(s.autocomplete("pass", PUBLIC))[0] == "reset"  # still being typed
    assert slugs(s.autocomplete("address", PUBLIC))[0] == "email"


def test_a_question_as_typed_finds_the_article(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    found = slugs(s.autocomplete("how do I change my pass", PUBLIC))
    assert "reset" in found and found.index("reset") <= 1
    assert slugs(s.autocomplete("where are my invoices", PUBLIC))[0] == "invoices"


def test_typos_are_forgiven(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    assert slugs(s.autocomplete("pasword", PUBLIC))[0] == "reset"
    assert slugs(s.autocomplete("invoces", PUBLIC))[0] == "invoices"


def test_every_word_matching_comes_first_and_nothing_repeats(make_searcher: MakeSearcher):
    s = make_searcher(ARTICLES)
    found = slugs(s.autocomplete("change e-mail", PUBLIC))
    assert found[0] == "email" and len(found) == len(set(found))
    assert len(s.autocomplete("password", PUBLIC, limit=1)) == 1


def test_internal_titles_are_never_suggested_to_customers(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    for text in ("password vault", "vault", "runbook", "pasword vualt", "how do I open the vault"):
        assert "runbook" not in slugs(s.autocomplete(text, PUBLIC)), text
    assert "runbook" in slugs(s.autocomplete("vault", Viewer(staff=True)))

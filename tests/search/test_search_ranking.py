"""Ranking, language analysis, collapsing, pagination and filters on a real index."""

from __future__ import annotations

from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC

from .conftest import MakeSearcher, article


def keys(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.key for hit in results.hits]


def test_title_beats_body(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("mentions", "Getting started", "You can also export your invoices later."),
            article("invoices", "Invoices", "Where to find them."),
        ]
    )
    assert keys(s.search(SearchQuery("invoices"))) == ["en/invoices", "en/mentions"]


def test_heading_match_links_to_its_section(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article(
                "account",
                "Your account",
                "Sign in with your email.",
                ("delete-account", "Delete your account", "Open settings and confirm."),
                ("change-email", "Change email", "Type the new address."),
            )
        ]
    )
    results = s.search(SearchQuery("delete"))
    assert results.total == 1
    assert (results.hits[0].anchor, results.hits[0].section) == (
        "delete-account",
        "Delete your account",
    )


def test_sections_collapse_to_one_hit_per_article(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article(
                "export",
                "Export",
                ("csv", "Export to CSV", "Export rows."),
                ("pdf", "Export to PDF", "Export pages."),
                ("api", "Export by API", "Export anything."),
            ),
            article("other", "Other", "Nothing to export here."),
        ]
    )
    results = s.search(SearchQuery("export"))
    assert results.total == 2
    assert sorted(keys(results)) == ["en/export", "en/other"]


def test_english_stemming(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("refunds", "Refunds", "We refunded payments within 14 days.")])
    for text in ("refund", "refunding", "REFUNDS", "payment"):
        assert keys(s.search(SearchQuery(text))) == ["en/refunds"], text


def test_russian_morphology_and_yo(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("pay", "Оплата подписки", "Оплаты картой проходят сразу.", locale="ru"),
            article("invoice", "Счёт для юрлиц", "Запросите счёт у менеджера.", locale="ru"),
        ]
    )
    assert keys(s.search(SearchQuery("как оплатить"))) == ["ru/pay"]
    assert keys(s.search(SearchQuery("счет"))) == ["ru/invoice"]
    assert keys(s.search(SearchQuery("Счета"))) == ["ru/invoice"]


def test_mixed_language_query(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article(
                "slack", "Интеграция со Slack", "Подключите workspace в настройках.", locale="ru"
            ),
            article("mail", "Почта", "Письма приходят сразу.", locale="ru"),
        ]
    )
    assert keys(s.search(SearchQuery("slack workspaces", locale="ru"))) == ["ru/slack"]
    assert keys(s.search(SearchQuery("подключить slack", locale="ru")))[0] == "ru/slack"


def test_stop_words_do_not_match_everything(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("password", "Reset a password", "Click the link we send you."),
            article("how", "How it works", "This is how we do it and what we do."),
        ]
    )
    assert keys(s.search(SearchQuery("How do I reset my password?")))[0] == "en/password"
    assert s.search(SearchQuery("how do I")).total == 1  # "how" is a word here, the rest stop


def test_more_query_words_matched_ranks_higher(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("a", "Card", "card card card card card payment"),
            article("b", "Declined card payment", "What to do when a card payment is declined."),
        ]
    )
    assert keys(s.search(SearchQuery("declined card payment")))[0] == "en/b"


def test_pagination_counts_articles(make_searcher: MakeSearcher) -> None:
    arts = [
        article(
            f"a{i:02}", f"Printer {i}", ("x", "Setup", "printer setup"), ("y", "Use", "printer")
        )
        for i in range(25)
    ]
    s = make_searcher(arts)
    seen: list[str] = []
    for page, size in ((1, 10), (2, 10), (3, 5), (4, 0)):
        results = s.search(SearchQuery("printer", page=page, per_page=10))
        assert (results.total, len(results.hits), results.page) == (25, size, page)
        seen += keys(results)
    assert len(seen) == len(set(seen)) == 25


def test_filters_by_locale_and_category_tree(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("billing/refunds", "Refunds", "refund", category="billing"),
            article("billing/cards/refund", "Card refund", "refund", category="billing/cards"),
            article("billing-old/refund", "Old refund", "refund", category="billing-old"),
            article("billing/refunds", "Возврат refund", "refund", locale="ru", category="billing"),
        ]
    )
    assert s.search(SearchQuery("refund")).total == 4
    assert s.search(SearchQuery("refund", locale="ru")).total == 1
    in_billing = s.search(SearchQuery("refund", locale="en", category="billing"))
    assert sorted(keys(in_billing)) == ["en/billing/cards/refund", "en/billing/refunds"]
    assert keys(s.search(SearchQuery("refund", category="billing/cards"))) == [
        "en/billing/cards/refund"
    ]
    assert s.search(SearchQuery("refund", category="nope")).total == 0


def test_typo_gets_a_correction_and_results(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("password", "Reset your password", "Use the link in the email."),
            article("pay", "Оплата", "Оплатите подписку картой.", locale="ru"),
        ]
    )
    results = s.search(SearchQuery("resset pasword"))
    assert results.corrected == "reset password"
    assert keys(results) == ["en/password"]
    assert s.search(SearchQuery("подписку картой")).corrected is None
    assert s.search(SearchQuery("подпеску")).corrected == "подписку"


def test_autocomplete_titles(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("pay", "Как оплатить подписку", "x", locale="ru"),
            article("reset", "Reset your password", "x", ("a", "Password rules", "y")),
            article("ret", "Return policy", "x"),
        ]
    )
    assert sorted(x.slug for x in s.autocomplete("re", PUBLIC)) == ["reset", "ret"]
    found = s.autocomplete("your pass", PUBLIC)
    assert [(x.locale, x.slug, x.title) for x in found] == [("en", "reset", "Reset your password")]
    assert [x.slug for x in s.autocomplete("ОПЛАТ", PUBLIC)] == ["pay"]
    assert s.autocomplete("re", PUBLIC, locale="ru") == []
    assert len(s.autocomplete("re", PUBLIC, limit=1)) == 1
    assert s.autocomplete("", PUBLIC) == s.autocomplete("  ?! ", PUBLIC) == []


def test_titles_made_of_stop_words_are_found(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("which", "which", "Locate a program in the user's path."),
            article("how", "How it works", "The overview."),
            article("other", "Other", "Which is which, and how it works, in the body only."),
        ]
    )
    assert keys(s.search(SearchQuery("which")))[0] == "en/which"
    assert keys(s.search(SearchQuery("How it works?")))[0] == "en/how"
    assert keys(s.search(SearchQuery("with the"))) == []  # only stop words, none a title


def test_question_words_and_negations_carry_meaning(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("who-not", "Who should not get the vaccine?", "People with allergies."),
            article("how-get", "How do I get the vaccine?", "Book at a pharmacy."),
            article("kto", "Кто не может получить прививку?", "Люди с аллергией."),
            article("kak", "Как получить прививку?", "Запишитесь в аптеке."),
        ]
    )
    assert keys(s.search(SearchQuery("who should not get vaccinated")))[0] == "en/who-not"
    assert keys(s.search(SearchQuery("how to get a vaccine")))[0] == "en/how-get"
    assert keys(s.search(SearchQuery("кому нельзя и кто не может прививку")))[0] == "en/kto"
    assert keys(s.search(SearchQuery("как получить прививку")))[0] == "en/kak"


def test_title_phrase_ranks_first(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("a", "Password for the reset links", "links"),
            article("b", "Reset password", "how to"),
            article("c", "Reset your password", "steps"),
        ]
    )
    assert keys(s.search(SearchQuery("reset password")))[:2] == ["en/b", "en/c"]


def test_exact_title_wins_over_longer_titles(make_searcher: MakeSearcher) -> None:
    s = make_searcher(
        [
            article("ip-address", "ip address", "Manage ip addresses: ip ip ip."),
            article("ip", "ip", "Show and manipulate routing and devices."),
            article("ip-route", "ip route", "ip routes, ip tables."),
        ]
    )
    assert keys(s.search(SearchQuery("IP")))[0] == "en/ip"
    assert keys(s.search(SearchQuery("ip route")))[0] == "en/ip-route"


def test_swapped_letters_are_corrected(make_searcher: MakeSearcher) -> None:
    s = make_searcher([article("git", "git commit", "Record changes."), article("gui", "gui", "x")])
    assert s.search(SearchQuery("gti comit")).corrected == "git commit"

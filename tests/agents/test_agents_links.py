"""Link building for copies: canonical absolute URLs and markdown links (no Flask needed)."""

from __future__ import annotations

from kbportal.agents import links
from kbportal.search.types import Hit


def test_absolute_url_is_the_canonical_article_path() -> None:
    assert links.absolute_url("https://help.example.com/", "en", "billing/refunds") == (
        "https://help.example.com/en/articles/billing/refunds"
    )
    assert links.absolute_url("http://x", "ru", "a b", "раздел") == (
        "http://x/ru/articles/a%20b#%D1%80%D0%B0%D0%B7%D0%B4%D0%B5%D0%BB"
    )


def test_markdown_link_escapes_brackets_and_collapses_space() -> None:
    assert links.markdown_link("Refunds [beta]\n  and \\ more", "http://x/y") == (
        r"[Refunds \[beta\] and \\ more](http://x/y)"
    )


def test_hit_payload_keeps_only_mark_in_snippets() -> None:
    hit = Hit(
        locale="en",
        slug="internal/runbook",
        title="Runbook",
        section="Paging",
        anchor="paging",
        snippet='<mark>outage</mark> <img src=x onerror="alert(1)"> &lt;b&gt;',
        score=1.0,
        category="internal",
        visibility="internal",
    )
    payload = links.hit_payload(hit, "https://help.example.com")
    assert payload["snippet"] == "<mark>outage</mark>  &lt;b&gt;"
    assert payload["internal"] is True
    assert payload["section_url"] == "https://help.example.com/en/articles/internal/runbook#paging"
    assert payload["markdown"] == "[Runbook](https://help.example.com/en/articles/internal/runbook)"

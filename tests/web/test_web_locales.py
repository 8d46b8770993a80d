"""Only languages that have articles are offered and redirected to."""

from __future__ import annotations

from support import make_app

ENGLISH_ONLY = {"en/start/hello.md": "# Hello\n\nWelcome to the help center.\n"}
RUSSIAN_INTERNAL = {
    **ENGLISH_ONLY,
    "ru/team/notes.md": "---\ntitle: Заметки\nvisibility: internal\n---\nТолько для своих.\n",
}


def test_a_russian_browser_is_not_sent_to_an_empty_locale(tmp_path) -> None:
    client = make_app(tmp_path, ENGLISH_ONLY).test_client()
    response = client.get("/", headers={"Accept-Language": "ru,en;q=0.5"})
    assert response.status_code == 302 and response.location == "/en/"
    page = client.get("/en/").text
    assert 'hreflang="ru"' not in page and "Русский" not in page


def test_both_languages_offered_when_both_have_articles(app, client) -> None:
    assert client.get("/", headers={"Accept-Language": "ru"}).location == "/ru/"
    assert 'href="/ru/" hreflang="ru"' in client.get("/en/").text


def test_internal_only_locales_are_not_offered_to_customers(tmp_path) -> None:
    client = make_app(tmp_path, RUSSIAN_INTERNAL).test_client()
    assert client.get("/", headers={"Accept-Language": "ru"}).location == "/en/"
    assert "Русский" not in client.get("/en/").text


def test_nothing_published_still_lists_the_configured_languages(tmp_path) -> None:
    client = make_app(tmp_path, {}).test_client()
    page = client.get("/en/")
    assert page.status_code == 503 and "Русский" in page.text

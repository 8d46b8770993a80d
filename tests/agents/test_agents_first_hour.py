"""An agent's first hour: workspace after sign-in, staff links everywhere, one gate, clear pages."""

from __future__ import annotations

from agents_sample import RUNBOOK_TITLE, TEMPLATE_SLUG, sign_in
from flask import Flask
from flask.testing import FlaskClient

from kbportal.agents import links
from kbportal.cluster import service as cluster
from kbportal.search.types import Hit, SearchResults
from kbportal.sync.web import app_settings

STAFF_NAV = 'class="staff-nav"'


def test_sign_in_lands_on_the_workspace(client: FlaskClient, make_user) -> None:
    make_user("agent@example.com")
    response = sign_in(client, "agent@example.com")
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").headers["Location"] == "/staff/search"
    assert client.get("/login").headers["Location"] == "/staff/"  # already signed in


def test_public_pages_show_staff_links_only_to_staff(app: Flask, agent: FlaskClient) -> None:
    assert STAFF_NAV not in app.test_client().get("/en/").text
    home = agent.get("/en/").text
    assert STAFF_NAV in home
    for link in ("/staff/search", "/staff/templates", "/staff/problems"):
        assert f'href="{link}"' in home
    assert "/staff/reports/links" not in home and "/staff/admin" not in home  # not an agent's


def test_problems_and_history_are_staff_pages_in_both_languages(
    app: Flask, agent: FlaskClient
) -> None:
    cluster.join(app_settings(app))  # what `kbportal serve` does: this node is listed
    problems = agent.get("/staff/problems")
    assert problems.status_code == 200
    page = problems.text
    assert STAFF_NAV in page and "kbportal.css" in page and "agents.css" in page
    assert 'href="/staff/problems" aria-current="page"' in page
    history = agent.get("/staff/articles/en/billing/refunds/history").text
    assert STAFF_NAV in history and "Getting a refund" in history
    russian = agent.get("/staff/problems?locale=ru").text
    assert "Проблемы содержимого" in russian and "Content problems" not in russian
    assert "Проблем нет" in russian
    # The web nodes' table speaks Russian too.
    assert "Веб-узлы" in russian and "Web nodes" not in russian and "Last seen" not in russian


def test_a_role_without_access_gets_a_styled_403(agent: FlaskClient) -> None:
    response = agent.get("/staff/reports/links")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert STAFF_NAV in response.text and 'href="/staff/"' in response.text
    ru = agent.get("/staff/reports/links", headers={"Accept-Language": "ru"})
    assert "У вас нет доступа" in ru.text


def test_strangers_meet_the_same_gate_on_every_staff_page(client: FlaskClient) -> None:
    for url in ("/staff/search", "/staff/problems", "/staff/articles/en/billing/refunds/history"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith(f"/login?next={url}")
    assert client.get("/staff/search.json?q=x").status_code == 401


def test_agent_search_covers_every_locale_by_default(agent: FlaskClient) -> None:
    data = agent.get("/staff/search.json?q=деньги").get_json()  # an English UI, Russian words
    assert data["total"] >= 1 and {h["locale"] for h in data["hits"]} == {"ru"}
    page = agent.get("/staff/search?q=деньги").text
    assert "1 article found" in page and "Возврат денег" in page
    assert '<option value="" selected' not in page  # no locale pre-chosen


def test_ties_go_to_the_agents_language() -> None:
    def hit(locale: str, score: float) -> Hit:
        return Hit(locale, "billing/refunds", "T", "", "", "", score, "billing")

    class KB:
        def search(self, query):
            return SearchResults("q", 3, [hit("en", 2.0), hit("en", 1.0), hit("ru", 1.0)])

    ru_first = links.staff_search(KB(), "q", None, None, prefer="ru")  # type: ignore[arg-type]
    assert [(h.locale, h.score) for h in ru_first.hits] == [("en", 2.0), ("ru", 1.0), ("en", 1.0)]
    en_first = links.staff_search(KB(), "q", None, None, prefer="en")  # type: ignore[arg-type]
    assert [h.locale for h in en_first.hits] == ["en", "en", "ru"]


def test_a_reply_template_hit_opens_its_fill_in_page(agent: FlaskClient) -> None:
    data = agent.get("/staff/search.json?q=refunded+amount").get_json()
    hit = next(h for h in data["hits"] if h["slug"] == TEMPLATE_SLUG)
    assert hit["template"] is True
    assert hit["open"] == f"/staff/templates/en/{TEMPLATE_SLUG}"
    assert agent.get(hit["open"]).status_code == 200
    others = [h for h in data["hits"] if h["slug"] != TEMPLATE_SLUG]
    assert all(not h["template"] and h["open"].startswith("/en/articles/") for h in others)
    page = agent.get("/staff/search?q=refunded+amount").text
    assert f'data-open="/staff/templates/en/{TEMPLATE_SLUG}"' in page
    assert "Reply template" in page


def test_live_result_count_has_every_russian_plural_form(agent: FlaskClient) -> None:
    page = agent.get("/staff/search?locale=ru", headers={"Accept-Language": "ru"}).text
    assert 'data-msg-found-one="Найдена 1 статья"' in page
    assert 'data-msg-found-few="Найдено 3 статьи"' in page
    assert 'data-msg-found-many="Найдено 5 статей"' in page


def test_runbook_stays_internal_in_the_public_header(app: Flask, client: FlaskClient) -> None:
    assert RUNBOOK_TITLE not in client.get("/en/").text

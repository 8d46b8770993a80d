"""Staff tools in the article page header: history and problems links, never for the public."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

PUBLIC_PAGE = "/en/articles/billing/refunds"
INTERNAL_PAGE = "/en/articles/internal/runbook"


def test_customers_get_no_staff_links_and_a_public_cache(app: Flask) -> None:
    customer = app.test_client()
    response = customer.get(PUBLIC_PAGE)
    assert response.status_code == 200
    assert "/staff/" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"].startswith("public")


def test_staff_get_history_and_problems_links(agent: FlaskClient) -> None:
    for page, slug in ((PUBLIC_PAGE, "billing/refunds"), (INTERNAL_PAGE, "internal/runbook")):
        response = agent.get(page)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'href="/staff/articles/en/{slug}/history"' in html
        assert 'href="/staff/problems"' in html
        assert response.headers["Cache-Control"].startswith("private")
    assert agent.get("/staff/articles/en/billing/refunds/history").status_code == 200
    assert agent.get("/staff/problems").status_code == 200


def test_the_links_are_in_russian_on_russian_pages(agent: FlaskClient) -> None:
    html = agent.get("/ru/articles/billing/refunds").get_data(as_text=True)
    assert "История изменений" in html and "Проблемы содержимого" in html

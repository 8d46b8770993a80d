"""Article URLs as people paste them: a trailing slash, capitals or .md still find the article."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_portal import Portal

FILES = {
    "en/billing/refunds.md": "---\naliases: [money-back]\n---\n# Refunds\n\nWrite to us.\n",
    "en/desk/runbook.md": "---\ntitle: Runbook\nvisibility: internal\n---\nSecret steps.\n",
}


@pytest.mark.parametrize(
    "pasted",
    [
        "/en/articles/billing/refunds/",
        "/en/articles/Billing/Refunds",
        "/en/articles/billing/refunds.md",
        "/en/articles/money-back/",
        "/en/articles/MONEY-BACK",
    ],
)
def test_pasted_urls_redirect_permanently(portal: Callable[..., Portal], pasted: str) -> None:
    response = portal(FILES).app().test_client().get(pasted)
    assert response.status_code == 301
    assert response.headers["Location"] == "/en/articles/billing/refunds"


@pytest.mark.parametrize(
    "url",
    ["/en/articles/desk/runbook/", "/en/articles/DESK/runbook", "/en/articles/x/", "/en/articles/"],
)
def test_hidden_or_missing_stays_a_plain_404(portal: Callable[..., Portal], url: str) -> None:
    response = portal(FILES).app().test_client().get(url)
    assert response.status_code == 404


def test_pages_name_an_icon_so_browsers_skip_favicon_ico(portal: Callable[..., Portal]) -> None:
    page = portal(FILES).app().test_client().get("/en/articles/billing/refunds").text
    assert '<link rel="icon" href="data:,">' in page

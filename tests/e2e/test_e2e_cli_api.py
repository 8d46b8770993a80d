"""`kbportal search --json` prints what GET /api/v1/search returns; the API's exact contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from e2e_portal import Portal
from support import HIT_KEYS, write_tree

FILES = {
    "en/billing/_category.yml": "title: Billing\n",
    "en/billing/refunds.md": (
        "---\nsummary: How refunds work.\ntags: [money]\nupdated: 2026-10-01\n---\n"
        "# Refunds\n\nWrite to us for a refund.\n\n## Refund timing\n\nA refund takes five days.\n"
    ),
    "en/billing/invoices.md": "# Invoices\n\nInvoices list every payment and refund.\n",
    "en/start/welcome.md": "# Welcome\n\nCreate your workspace; refunds are in billing.\n",
    "ru/billing/refunds.md": "# Возврат денег\n\nДеньги вернутся за пять дней.\n",
}
QUERIES = [
    {"q": "refund"},
    {"q": "refund timing"},
    {"q": "  refund \t  "},
    {"q": "refund", "limit": "1", "page": "2"},
    {"q": "refund", "category": "billing"},
    {"q": "refund", "category": "/billing/"},
    {"q": "refund", "locale": "en"},
    {"q": "возврат денег", "locale": "ru"},
    {"q": "how do I get my money back?"},
    {"q": "refund\x00\u202e"},
    {"q": "refund " * 100},
    {"q": "zzzzqqq"},
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One built portal for the CLI and the API."""
    one = Portal(tmp_path_factory.mktemp("cli-api"))
    write_tree(one.articles, FILES)
    assert one.run("index").exit_code == 0
    yield one
    one.close()


def cli_args(params: dict[str, str]) -> list[str]:
    """The same search as command-line arguments."""
    args = ["search", params["q"], "--json"]
    for name in ("limit", "page", "locale", "category"):
        if name in params:
            args += [f"--{name}", params[name]]
    return args


@pytest.mark.parametrize("params", QUERIES, ids=range(len(QUERIES)))
def test_cli_json_is_the_api_json(portal: Portal, params: dict[str, str]) -> None:
    api = portal.app().test_client().get("/api/v1/search?" + urlencode(params))
    assert api.status_code == 200
    result = portal.run(*cli_args(params))
    assert result.exit_code == 0, result.output
    # The API adds what credits clicks to this one search (search_id, click_url): not the CLI's.
    body = {key: value for key, value in api.json.items() if key != "search_id"}
    body["results"] = [
        {key: value for key, value in hit.items() if key != "click_url"} for hit in body["results"]
    ]
    assert json.loads(result.output) == body


@pytest.mark.parametrize(
    "params",
    [{"q": "refund", "locale": "de"}, {"q": "refund", "page": "101"}, {"q": " \t "}],
    ids=["locale", "page", "blank"],
)
def test_cli_refuses_what_the_api_refuses(portal: Portal, params: dict[str, str]) -> None:
    api = portal.app().test_client().get("/api/v1/search?" + urlencode(params))
    assert api.status_code == 400
    result = portal.run(*cli_args(params))
    assert result.exit_code == 2 and "Error" in result.output


def test_search_contract(portal: Portal) -> None:
    data = portal.app().test_client().get("/api/v1/search?q=refund+timing&limit=5").json
    assert set(data) == {"query", "total", "total_is_estimate", "results", "search_id"}
    assert data["query"] == "refund timing" and isinstance(data["total"], int)
    assert data["total"] >= len(data["results"]) >= 1
    keys = HIT_KEYS - {"visibility"}
    for hit in data["results"]:
        assert keys <= set(hit) <= HIT_KEYS | {"click_url"}
        for key in keys - {"score", "confidence"}:
            assert isinstance(hit[key], str), key
        assert isinstance(hit["score"], float | int)
        assert 0.0 <= hit["confidence"] <= 1.0
        anchor = hit["url"].partition("#")[2]
        assert hit["url"].startswith(f"/{hit['locale']}/articles/{hit['slug']}")
        assert bool(anchor) == bool(hit["section"])
    top = data["results"][0]
    assert top["url"] == "/en/articles/billing/refunds#refund-timing"
    assert top["section"] == "Refund timing" and "<mark>" in top["snippet"]
    assert top["category"] == "billing" and top["locale"] == "en"


def test_article_contract(portal: Portal) -> None:
    data = portal.app().test_client().get("/api/v1/articles/billing/refunds").json
    assert data["slug"] == "billing/refunds" and data["title"] == "Refunds"
    assert data["url"] == "/en/articles/billing/refunds"
    assert data["locale"] == "en" and data["category"] == "billing"
    assert data["summary"] == "How refunds work." and data["tags"] == ["money"]
    assert data["updated"].startswith("2026-10-01")
    assert '<h2 id="refund-timing">Refund timing</h2>' in data["html"]
    ru = portal.app().test_client().get("/api/v1/articles/billing/refunds?locale=ru").json
    assert ru["title"] == "Возврат денег" and ru["url"] == "/ru/articles/billing/refunds"

"""The OpenAPI document and the routes cannot drift: every API route is in it, and only those."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from kbportal.widget.api import openapi_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask for every route


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI's {param} form, method) for every JSON API route of the app."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/hooks/")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - IGNORED_METHODS:
            found.add((path, method))
    return found


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_document_is_valid_openapi() -> None:
    validate(openapi_document())


def test_every_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    routes, paths = api_routes(app), documented(openapi_document())
    assert routes - paths == set(), "routes missing from kbportal/widget/openapi.json"
    assert paths - routes == set(), "documented paths that no route serves"


def test_it_is_served(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == openapi_document()


def schema_for(path: str, method: str, status: int) -> Any:
    """The JSON schema of one documented response, with the document's components attached."""
    document = openapi_document()
    response = document["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = document["components"]
    return schema


@pytest.mark.parametrize(
    ("method", "path", "url", "body", "status"),
    [
        ("get", "/api/v1/search", "/api/v1/search?q=refund", None, 200),
        ("get", "/api/v1/search", "/api/v1/search?q=refund&limit=0", None, 400),
        ("get", "/api/v1/articles/{slug}", "/api/v1/articles/billing/refunds", None, 200),
        ("get", "/api/v1/articles/{slug}", "/api/v1/articles/billing/override", None, 404),
        ("get", "/api/v1/autocomplete", "/api/v1/autocomplete?q=ref", None, 200),
        ("get", "/api/v1/suggest", "/api/v1/suggest?q=refund+timing", None, 200),
        ("get", "/api/v1/suggest", "/api/v1/suggest?q=refund&type=Bad!", None, 400),
        (
            "post",
            "/api/v1/events",
            "/api/v1/events",
            {"type": "click", "article": "billing/refunds"},
            202,
        ),
        ("post", "/api/v1/events", "/api/v1/events", {"type": "click"}, 400),
    ],
)
def test_real_answers_match_the_documented_schemas(
    client: FlaskClient, method: str, path: str, url: str, body: object, status: int
) -> None:
    response = client.open(url, method=method.upper(), json=body)
    assert response.status_code == status
    Draft202012Validator(schema_for(path, method, status)).validate(response.get_json())

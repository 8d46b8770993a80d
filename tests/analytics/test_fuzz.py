"""Hostile input to every analytics page and endpoint: a clear 4xx or a page, never a 5xx."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from flask.testing import FlaskClient

NASTY = [
    "",
    "\x00",
    "%00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "9" * 400,
    "-1",
    "1e309",
    "ё" * 3000,
    "%ED%A0%80",  # a lone surrogate, as bytes
    "NaN",
    "2026-02-30",
    "0.0.0",
    "%ZZ",
]
GETS = [
    "/en/articles/billing/refunds?click={v}&sec={v}",
    "/en/feedback/billing/refunds?vote={v}&why={v}",
    "/en/search?q={v}&page={v}&category={v}",
    "/api/v1/search?q=refund{v}&source={v}&prev={v}",
    "/api/v1/autocomplete?q={v}&prev={v}&source={v}",
    "/staff/insights?days={v}&since={v}&until={v}&locale={v}&surface={v}&segment={v}",
    "/staff/insights/query?q={v}&days={v}",
    "/staff/insights/gaps/{v}/draft.md?days={v}",
    "/api/v1/analytics/overview?days={v}&since={v}&until={v}&segment={v}",
    "/api/v1/analytics/query?q={v}&surface={v}",
    "/api/v1/analytics/gaps?locale={v}&since={v}",
    "/api/v1/analytics/copied?locale={v}&surface={v}&days={v}",
    "/api/v1/analytics/articles?locale={v}&until={v}",
    "/api/v1/analytics/searches?segment={v}&days={v}",
]


def values(seed: int) -> list[str]:
    rng = random.Random(seed)
    found = list(NASTY)
    for _ in range(10):
        found.append("".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 40))))
    return found


@pytest.mark.parametrize("template", GETS)
def test_query_strings_never_5xx(portal: Flask, editor: FlaskClient, template: str) -> None:
    for value in values(len(template)):
        url = template.replace("{v}", value.replace("#", "%23").replace("?", "%3F"))
        for client in (editor, portal.test_client()):
            status = client.get(url).status_code
            assert status < 500, (url, status)


def test_feedback_forms_never_5xx(portal: Flask) -> None:
    client = portal.test_client()
    headers = {"Origin": "http://localhost"}
    for value in values(7):
        for field in ("helpful", "reason", "comment", "vote", "website", "version"):
            form = {"helpful": "no", field: value}
            status = client.post("/en/feedback/billing/refunds", data=form, headers=headers)
            assert status.status_code < 500, (field, value, status.status_code)
    garbage = client.post(
        "/en/feedback/billing/refunds", data=b"\xff\xfe" * 100, headers=headers,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert garbage.status_code < 500
    huge = client.post(
        "/en/feedback/billing/refunds", data={"comment": "x" * 20_000}, headers=headers
    )
    assert huge.status_code in (400, 413)


def test_staff_forms_never_5xx(editor: FlaskClient) -> None:
    from support import csrf_from

    token = csrf_from(editor.get("/staff/insights").text)
    for value in values(3):
        for url, field in (
            ("/staff/insights/gaps/merge", "group"),
            ("/staff/insights/gaps/split", "normalized"),
            ("/staff/insights/recording", "recording"),
        ):
            response = editor.post(url, data={field: value, "csrf_token": token})
            assert response.status_code < 500, (url, value, response.status_code)

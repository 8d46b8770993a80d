"""/staff/insights and /api/v1/analytics against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kbportal.analytics.models import Click, SearchDaily, SearchRow, Vote
from kbportal.db import get_database, utcnow

TODAY = utcnow().date()
YESTERDAY = TODAY - timedelta(days=1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def search(i: int, day: date, query: str, total: int, clicks: int = 0, **more: Any) -> SearchRow:
    fields: dict[str, Any] = {
        "id": i,
        "at": at(day),
        "day": day,
        "session_id": f"s{i}",
        "surface": "page",
        "locale": "en",
        "query": query,
        "normalized": query,
        "total": total,
        "shown": "",
        "filters": "",
        "segment": "customer",
        "page": 1,
        "clicks": clicks,
        "reformulated": False,
        **more,
    }
    return SearchRow(**fields)


def click(search_id: int, day: date, position: int, article: str = "en/billing/refunds") -> Click:
    return Click(
        search_id=search_id, at=at(day), day=day, article=article, section="", position=position
    )


@pytest.fixture
def fixture_rows(portal: Flask) -> None:
    """Ten customer searches over two days, plus staff and bot rows that must not count.

    By hand: searches 10; zero-result 3 (ids 1, 2, 3) -> 30%; with results 7; clicked 4 (ids 4,
    5, 6, 7, one with two clicks) -> click-through 4/7, no-click 3/7; clicks 5 at positions
    1, 1, 2, 3, 8 -> mean 3.0; reformulated 2 -> 20%; corrected 1 (id 8, results after it).
    """
    rows: list[Any] = [
        search(1, YESTERDAY, "zorgle", 0, reformulated=True),
        search(2, YESTERDAY, "zorgle", 0),
        search(3, TODAY, "frobnicate", 0, reformulated=True),
        search(4, YESTERDAY, "refund", 2, clicks=2),
        search(5, YESTERDAY, "refund", 2, clicks=1),
        search(6, TODAY, "invoice", 1, clicks=1),
        search(7, TODAY, "password", 1, clicks=1),
        search(8, TODAY, "refnd", 2, corrected="refund"),
        search(9, TODAY, "billing", 3),
        search(10, TODAY, "card", 1),
        search(11, TODAY, "refund", 0, segment="staff"),
        search(12, TODAY, "refund", 0, segment="bot"),
        click(4, YESTERDAY, 1),
        click(4, YESTERDAY, 8),
        click(5, YESTERDAY, 2),
        click(6, TODAY, 1, "en/billing/invoices"),
        click(7, TODAY, 3, "en/account/password"),
    ]
    votes = [(True, None), (False, "outdated"), (False, "unclear"), (False, "outdated")]
    for n, (helpful, reason) in enumerate(votes):
        rows.append(
            Vote(
                at=at(TODAY), day=TODAY, article="en/billing/refunds", locale="en", version="v1",
                session_id=f"v{n}", helpful=helpful, reason=reason, segment="customer",
                comment="Which card?" if n == 1 else None,
            )
        )  # fmt: skip
    queries = {r.id: r.normalized for r in rows if isinstance(r, SearchRow)}
    for row in rows:  # as the recorder copies them in
        if isinstance(row, Click):
            row.normalized = queries.get(row.search_id)
    with get_database(portal).session() as session, session.begin():
        session.add_all(rows)


def test_overview_figures_match_the_hand_count(fixture_rows: None, editor: FlaskClient) -> None:
    assert_hand_count(editor)


@pytest.mark.parametrize("runs", [1, 2])
def test_the_same_figures_once_closed_days_are_rolled_up(
    fixture_rows: None, portal: Flask, editor: FlaskClient, runs: int
) -> None:
    from kbportal.analytics import rollup

    sessions = get_database(portal).session
    for _ in range(runs):  # running again replaces a day's figures, never adds to them
        rollup.roll_up(sessions, TODAY)
    with sessions() as session:
        assert rollup.horizon(session) == TODAY  # yesterday from aggregates, today raw
        assert session.query(SearchDaily).count() == 1  # yesterday's customers
    assert_hand_count(editor)


def assert_hand_count(editor: FlaskClient) -> None:
    body = editor.get(
        "/api/v1/analytics/overview?days=7", headers={"Authorization": f"Bearer {editor.token}"}
    ).json
    total = body["total"]
    assert total["searches"] == 10 and total["zero"] == 3
    assert total["zero_rate"] == pytest.approx(0.3)
    assert total["with_results"] == 7 and total["clicked"] == 4
    assert total["click_through_rate"] == pytest.approx(4 / 7)
    assert total["no_click_rate"] == pytest.approx(3 / 7)
    assert total["clicks"] == 5 and total["mean_position"] == pytest.approx(3.0)
    assert total["reformulation_rate"] == pytest.approx(0.2)
    assert total["corrected"] == 1
    positions = {p["position"]: p["clicks"] for p in body["positions"]}
    assert (positions["1"], positions["2"], positions["3"], positions["8"]) == (2, 1, 1, 1)
    by_day = {d["day"]: d["searches"] for d in body["daily"]}
    assert by_day[YESTERDAY.isoformat()] == 4 and by_day[TODAY.isoformat()] == 6
    assert len(body["daily"]) == 7


def test_segments_are_shown_apart(fixture_rows: None, editor: FlaskClient) -> None:
    auth = {"Authorization": f"Bearer {editor.token}"}
    staff = editor.get("/api/v1/analytics/overview?segment=staff", headers=auth).json
    bots = editor.get("/api/v1/analytics/overview?segment=bot", headers=auth).json
    assert staff["total"]["searches"] == 1 and bots["total"]["searches"] == 1


def test_the_page_shows_the_same_figures_with_charts_and_tables(
    fixture_rows: None, editor: FlaskClient
) -> None:
    page = editor.get("/staff/insights?days=7")
    assert page.status_code == 200
    html = page.text
    assert 'data-figure="searches">10<' in html
    assert 'data-figure="zero_rate">30.0%<' in html
    assert 'data-figure="click_through_rate">57.1%<' in html
    assert 'data-figure="mean_position">3.00<' in html
    assert html.count("<svg") >= 7 and "<table" in html
    assert "zorgle" in html and "Getting a refund" in html and "Which card?" in html
    assert page.headers["Cache-Control"] == "private, no-store"


def test_articles_and_searches_by_api(fixture_rows: None, editor: FlaskClient) -> None:
    auth = {"Authorization": f"Bearer {editor.token}"}
    articles = editor.get("/api/v1/analytics/articles", headers=auth).json["articles"]
    [refunds] = articles
    assert (refunds["yes"], refunds["no"], refunds["votes"]) == (1, 3, 4)
    assert refunds["reasons"] == {"outdated": 2, "unclear": 1}
    # Smoothed toward the site-wide rate (1 of 4) with 5 votes' weight: (1 + 5/4) / 9.
    assert refunds["smoothed"] == pytest.approx((1 + 5 * 0.25) / 9)
    assert refunds["searches"] == [["refund", 3]]  # searches 4 (two clicks) and 5
    top = editor.get("/api/v1/analytics/searches", headers=auth).json["searches"]
    assert top[0]["normalized"] == "refund" and top[0]["searches"] == 2
    detail = editor.get("/api/v1/analytics/query?q=refund", headers=auth).json
    assert detail["clicked"] == [["en/billing/refunds", 3]]


@pytest.mark.parametrize(
    "query",
    ["days=0", "days=abc", "since=2026-13-01", "locale=zz", "segment=robots", "surface=<x>"],
)
def test_bad_parameters_are_a_400_not_a_500(editor: FlaskClient, query: str) -> None:
    auth = {"Authorization": f"Bearer {editor.token}"}
    response = editor.get(f"/api/v1/analytics/overview?{query}", headers=auth)
    assert response.status_code == 400 and response.json["error"]
    assert editor.get(f"/staff/insights?{query}").status_code == 200  # pages fall back


def test_only_editors_and_admins_see_insights(portal: Flask, editor: FlaskClient) -> None:
    stranger = portal.test_client()
    assert stranger.get("/staff/insights").status_code == 302
    assert stranger.get("/api/v1/analytics/overview").status_code == 401
    agent = {"Authorization": f"Bearer {editor.agent_token}"}
    assert stranger.get("/api/v1/analytics/overview", headers=agent).status_code == 403


def test_articles_agents_copy_that_customers_rarely_find(
    portal: Flask, editor: FlaskClient
) -> None:
    """By hand: refunds copied 5 times by 2 agents, 1 customer click -> 0.2 clicks per copy;
    invoices 4 copies, 10 clicks (and a bot's, not counted) -> 2.5; password 2 copies: too few;
    the internal runbook is left out (search could never lead a customer there).
    """
    from kbportal.accounts.models import User
    from kbportal.analytics.models import AgentCopy

    with get_database(portal).session() as session, session.begin():
        agents = [u.id for u in session.query(User).order_by(User.id)]
        copies = [("en/billing/refunds", agents[i % 2]) for i in range(5)]
        copies += [("en/billing/invoices", agents[0])] * 4 + [
            ("en/account/password", agents[0])
        ] * 2
        session.add_all(
            AgentCopy(kind="link", at=at(TODAY), article=a, user_id=u) for a, u in copies
        )
        session.add(AgentCopy(kind="template", at=at(TODAY), article="en/billing/refunds"))
        session.add(click(1, TODAY, 1))
        session.add_all(click(2, TODAY, 1, "en/billing/invoices") for _ in range(10))
        bot = click(3, TODAY, 1, "en/billing/invoices")
        bot.segment = "bot"
        session.add(bot)
    body = editor.get(
        "/api/v1/analytics/copied", headers={"Authorization": f"Bearer {editor.token}"}
    ).json
    found = [(a["article"], a["copies"], a["agents"], a["search_clicks"]) for a in body["articles"]]
    assert found == [("en/billing/refunds", 5, 2, 1), ("en/billing/invoices", 4, 1, 10)]
    assert body["articles"][0]["clicks_per_copy"] == pytest.approx(0.2)
    page = editor.get("/staff/insights").text
    assert 'data-copied="en/billing/refunds"' in page and "Getting a refund" in page
    assert 'data-copied="en/account/password"' not in page


def test_rows_lost_to_a_crash_are_shown_to_editors(portal: Flask, editor: FlaskClient) -> None:
    from kbportal.analytics.models import Loss

    assert 'data-figure="lost_rows"' not in editor.get("/staff/insights").text
    with get_database(portal).session() as session, session.begin():
        session.add(Loss(at=at(TODAY), rows=15, cause="crash", node="web-1"))
        session.add(Loss(at=at(TODAY - timedelta(days=40)), rows=99, cause="crash", node="web-1"))
    page = editor.get("/staff/insights").text
    assert 'data-figure="lost_rows">15 searches, clicks and views were lost' in page
    auth = {"Authorization": f"Bearer {editor.token}"}
    assert editor.get("/api/v1/analytics/overview", headers=auth).json["lost_rows"] == 15

"""Requests filed after reading an article (and section), and searches followed by a request:
the whole visit, worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from kbportal.analytics.models import Click, SearchRow, Vote
from kbportal.analytics.reports import FOLLOWUPS, Scope
from kbportal.analytics.searchlog import normalize
from kbportal.db import Database
from kbportal.support import visits
from kbportal.support.models import FormSession, SupportRequest

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def request(
    key: str,
    session_id: str | None,
    at: datetime,
    source: str | None = None,
    query: str | None = None,
) -> SupportRequest:
    return SupportRequest(
        reference=f"KB-{key.upper():0>8}"[:11],
        idempotency_key=key,
        type="problem",
        priority="P3",
        locale="en",
        subject="s",
        description="d",
        email=f"{key}@example.com",
        session_id=session_id,
        source_article=source,
        source_query=query,
        created_at=at,
    )


def click(
    session_id: str, at: datetime, article: str, section: str = "", segment: str = "customer"
) -> Click:
    return Click(
        at=at,
        day=at.date(),
        article=article,
        section=section,
        session_id=session_id,
        segment=segment,
    )


def search(
    n: int, session_id: str, at: datetime, query: str, segment: str = "customer"
) -> SearchRow:
    return SearchRow(
        id=n,
        at=at,
        day=at.date(),
        session_id=session_id,
        surface="page",
        locale="en",
        query=query,
        normalized=normalize(query),
        segment=segment,
    )


@pytest.fixture
def rows(database: Database) -> list[visits.ReadBefore]:
    with database.session() as db:
        r1 = request("r1", "s1", T0, source="en/billing/refunds")
        r2 = request("r2", "s2", T0 + 60 * MIN, query="Refund money")
        r3 = request("r3", None, T0, source="/en/account/password")  # Do Not Track: no session
        r4 = request("r4", "s4", T0 - timedelta(days=40), source="en/billing/refunds")  # too old
        db.add_all([r1, r2, r3, r4])
        db.flush()
        db.add(
            FormSession(
                form_key="r1",
                type="problem",
                locale="en",
                opened_at=T0 - 3 * MIN,
                request_id=r1.id,
                clicked=json.dumps(
                    [
                        "/en/articles/billing/invoices#download",
                        "/en/articles/billing/refunds#timing",
                    ]
                ),
            )
        )
        db.add_all(
            [
                click("s1", T0 - 10 * MIN, "en/account/password", "reset"),
                click("s1", T0 - 5 * MIN, "en/billing/refunds"),  # read twice: counted once
                click("s1", T0 - 4 * MIN, "en/internal/x", segment="staff"),  # not a customer
                click("s2", T0 + 58 * MIN, "en/billing/refunds", "timing"),
                click("s2", T0 + 65 * MIN, "en/account/delete"),  # after the request
                click("s2", T0 + 60 * MIN - timedelta(hours=25), "en/old/thing"),  # another day
                click("s3", T0, "en/billing/refunds"),  # a visit that filed nothing
                search(1, "s1", T0 - 15 * MIN, "password reset"),
                search(2, "s1", T0 - 12 * MIN, "refund money"),
                search(3, "s1", T0 - 11 * MIN, "Money refunds"),  # the same need, reworded
                search(4, "s1", T0 - 10 * MIN, "internal x", segment="staff"),
                search(5, "s2", T0 + 57 * MIN, "refund money"),  # r2's form came from it
                search(6, "s2", T0 + 66 * MIN, "delete account"),  # after the request
                Vote(
                    at=T0 - 20 * MIN,
                    day=(T0 - 20 * MIN).date(),
                    article="en/account/password",
                    locale="en",
                    session_id="s1",
                    helpful=False,
                ),
            ]
        )
        db.commit()
        return visits.after_reading(db, since=T0 - timedelta(days=30))


def test_every_article_of_the_visit_counts_once_per_request(rows: list[visits.ReadBefore]) -> None:
    # r1 read refunds (the form's page, #timing from a suggestion, again from a search),
    # invoices (#download, a suggestion) and password (#reset from a search, and a vote);
    # r2 read refunds#timing from a search; r3 came from password's "Still need help?".
    assert [(r.article, r.requests) for r in rows] == [
        ("en/account/password", 2),  # r1, r3
        ("en/billing/refunds", 2),  # r1, r2 (r4 is before the period, s3 filed nothing)
        ("en/billing/invoices", 1),  # r1
    ]
    sections = {r.article: r.sections for r in rows}
    assert sections == {
        "en/account/password": [("reset", 1)],
        "en/billing/refunds": [("timing", 2)],
        "en/billing/invoices": [("download", 1)],
    }


def test_searches_followed_by_a_request(database: Database, rows: list[visits.ReadBefore]) -> None:
    # r1 searched "password reset" and "refund money" (then "Money refunds": the same need);
    # r2 searched "refund money" and opened the form from it (counted once); r2's search after
    # writing and the staff search do not count.
    with database.session() as db:
        found = visits.searches_before(db, since=T0 - timedelta(days=30))
    assert found == [("refund money", 2), ("password reset", 1)]


def test_the_insights_report_gains_the_column(
    database: Database, rows: list[visits.ReadBefore]
) -> None:
    import kbportal.support

    kbportal.support._register_followup()
    counter = FOLLOWUPS[kbportal.support.FOLLOWUP]
    scope = Scope(since=date(2026, 11, 10), until=date(2026, 11, 10), locale="en")
    with database.session() as db:
        assert counter(db, scope) == {
            "en/account/password": 2,
            "en/billing/refunds": 2,
            "en/billing/invoices": 1,
        }
        assert counter(db, Scope(since=date(2026, 11, 11), until=date(2026, 11, 12))) == {}


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("/en/articles/billing/refunds#timing", ("en/billing/refunds", "timing")),
        ("/ru/articles/%D1%81%D1%87%D1%91%D1%82?x=1", ("ru/счёт", "")),
        ("/en/categories/billing", None),
        ("https://evil.example/", None),
    ],
)
def test_article_urls_are_read_back(url: str, parsed: tuple[str, str] | None) -> None:
    assert visits.article_of_url(url) == parsed

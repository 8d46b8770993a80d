"""Deflection figures against a fixture whose every number was worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kbportal.db import Database
from kbportal.support import deflection
from kbportal.support.models import FormSession, SupportRequest

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=10)
MIN = timedelta(minutes=1)


def request(
    key: str, session_id: str, kind: str = "problem", at: datetime = T0, **kw: object
) -> SupportRequest:  # noqa: E501
    return SupportRequest(
        reference=f"KB-{key.upper():0>8}"[:11],
        idempotency_key=key,
        type=kind,
        priority="P3",
        locale=str(kw.pop("locale", "en")),
        subject="s",
        description="d",
        email=str(kw.pop("email", f"{session_id}@example.com")),
        session_id=session_id,
        created_at=at,
        **kw,
    )


def form(key: str, typed: int, **kw: object) -> FormSession:
    values: dict[str, object] = {"type": "problem", "locale": "en", "session_id": f"s{key}"}
    values.update(kw)
    return FormSession(form_key=key, typed_chars=typed, opened_at=T0, **values)


@pytest.fixture
def figures(database: Database) -> deflection.Report:
    with database.session() as db:
        req_c = request("c", "sC", closed_at=T0 + MIN)
        req_f_later = request("f2", "sF", at=T0 + timedelta(days=2))
        req_g = request("g", "sG")
        db.add_all([req_c, req_f_later, req_g])
        db.flush()
        db.add_all(
            [
                form("A", 5),  # too little typed: not a form session
                form("B", 50, shown=2, clicks=1, first_click_at=T0 + MIN),  # explicit
                form("C", 50, shown=1, clicks=1, first_click_at=T0, request_id=req_c.id),
                form("D", 30, shown=1),  # abandoned without a click
                form("E", 30, shown=1, clicks=1, first_click_at=T0, solved_at=T0 + MIN),
                form("F", 40, shown=1, clicks=1, first_click_at=T0),  # wrote again later
                form("G", 20, holdout=True, request_id=req_g.id),
                form("H", 20, holdout=True),  # abandoned, in the holdout
                form("I", 20, shown=1, clicks=1, first_click_at=NOW - 10 * MIN),  # too recent
                form("J", 15, type="question", locale="ru"),  # another group: abandoned
            ]
        )
        db.commit()
        return deflection.report(db, since=T0 - timedelta(days=1), until=NOW, now=NOW)


def test_figures_match_the_hand_computed_fixture(figures: deflection.Report) -> None:
    problem, question = figures.rows
    assert (problem.type, problem.locale, question.type, question.locale) == (
        "problem", "en", "question", "ru",
    )  # fmt: skip
    assert problem.form_sessions == 8  # B C D E F G H I
    assert problem.shown == 6  # B C D E F I
    assert problem.clicked == 5  # B C E F I
    assert problem.click_through == pytest.approx(5 / 6)
    assert problem.explicit == 2  # B and E: F wrote again, I is too recent, C sent
    assert problem.confirmed == 1  # E
    assert problem.abandoned == 2  # D and H, never counted as deflection
    assert problem.submitted == 2  # C and G
    assert problem.requests == 3 and problem.resolved == 1  # C closed by its link
    assert (problem.holdout_sessions, problem.holdout_submitted) == (2, 1)
    assert question.form_sessions == 1 and question.abandoned == 1
    assert figures.total.form_sessions == 9


def test_holdout_difference_with_its_interval(figures: deflection.Report) -> None:
    holdout = figures.holdout
    assert holdout is not None
    assert holdout.shown_sessions == 7 and holdout.holdout_sessions == 2
    assert holdout.shown_rate == pytest.approx(1 / 7)
    assert holdout.holdout_rate == pytest.approx(1 / 2)
    assert holdout.difference == pytest.approx(1 / 7 - 1 / 2)
    se = ((1 / 7) * (6 / 7) / 7 + 0.5 * 0.5 / 2) ** 0.5
    assert holdout.low == pytest.approx(holdout.difference - 1.959964 * se)
    assert holdout.high == pytest.approx(holdout.difference + 1.959964 * se)


def test_no_holdout_no_comparison() -> None:
    assert deflection.holdout_difference(10, 3, 0, 0) is None

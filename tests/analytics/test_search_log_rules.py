"""The search log's rules without Flask: normalising, collapsing keystrokes, segments."""

from __future__ import annotations

from typing import Any

import pytest

from kbportal.analytics.searchlog import SearchLog, SearchMade, Shown, normalize, surface_name
from kbportal.analytics.visitors import (
    LastSearch,
    Pace,
    Visitor,
    extends,
    is_bot_agent,
    opted_out,
    same_search,
)


class FakeRecorder:
    """Collects what the search log hands the recorder (the recorder has its own tests)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.marked: set[int] = set()

    def search(self, row: dict[str, Any]) -> None:
        self.rows[row["id"]] = row

    def reformulated(self, search_id: int) -> None:
        self.marked.add(search_id)


@pytest.fixture
def log() -> tuple[SearchLog, FakeRecorder]:
    fake = FakeRecorder()
    return SearchLog(fake), fake  # type: ignore[arg-type]


def type_out(
    search_log: SearchLog, visitor: Visitor, texts: list[str], start: float, step: float = 0.3
) -> Visitor:
    """Send each text as a keystroke search, carrying the session's memory like the cookie."""
    for i, text in enumerate(texts):
        _id, last = search_log.record(
            visitor, SearchMade("suggest", "en", text, 1), start + i * step
        )
        visitor = Visitor(visitor.session_id, visitor.segment, visitor.user_id, True, last)
    return visitor


def test_normalised_form_uses_the_search_stack_and_ignores_order() -> None:
    assert normalize("Refunds policy") == normalize("policy refund")
    assert normalize("Вернуть деньги") == normalize("деньги вернуть")
    assert normalize("how to") != ""  # only stop words: the words themselves


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ("ref", "refund", True),
        ("refund policy", "refund", True),
        ("refnud", "refund", True),  # two edits
        ("refund", "invoice", False),
        ("", "refund", False),
    ],
)
def test_what_counts_as_typing_on(before: str, after: str, same: bool) -> None:
    assert extends(before, after) is same


def test_keystrokes_make_one_row_with_the_final_query(log) -> None:
    search_log, fake = log
    visitor = type_out(search_log, Visitor("s1"), ["re", "ref", "refu", "refund", "refund p"], 100)
    assert len(fake.rows) == 1
    [row] = fake.rows.values()
    assert row["query"] == "refund p" and row["session_id"] == "s1"
    assert visitor.last is not None and visitor.last.id == row["id"]


def test_a_pause_or_another_locale_or_another_session_makes_a_new_row(log) -> None:
    search_log, fake = log
    last = LastSearch(1, "refund", "en", 100.0)
    assert same_search(last, "refunds", "en", 120.0)
    assert not same_search(last, "refunds", "en", 131.0)  # more than 30 s later
    assert not same_search(last, "refunds", "ru", 101.0)
    type_out(search_log, Visitor("s1"), ["refund"], 100)
    type_out(search_log, Visitor("s2"), ["refund"], 100.1)  # never merged across sessions
    assert len(fake.rows) == 2


def test_a_different_search_soon_after_is_a_reformulation(log) -> None:
    search_log, fake = log
    visitor = type_out(search_log, Visitor("s1"), ["money back"], 100)
    first = visitor.last
    assert first is not None
    type_out(search_log, visitor, ["refund"], 140)  # new words within 60 s
    assert fake.marked == {first.id}
    later = type_out(search_log, Visitor("s1"), ["invoice"], 300)
    assert later.last is not None and later.last.id not in fake.marked


def test_pages_and_filters_update_the_same_row(log) -> None:
    search_log, fake = log
    visitor = Visitor("s1")
    search_id, last = search_log.record(visitor, SearchMade("page", "en", "refund", 12), 100)
    visitor = Visitor("s1", last=last)
    again, _ = search_log.record(
        visitor, SearchMade("page", "en", "refund", 4, filters="category=billing", page=2), 105
    )
    assert again == search_id and len(fake.rows) == 1
    assert fake.rows[search_id]["page"] == 2 and fake.rows[search_id]["filters"]


def test_without_a_session_prev_keeps_keystrokes_together(log) -> None:
    search_log, fake = log
    dnt = Visitor(None)
    first, _ = search_log.record(dnt, SearchMade("suggest", "en", "ref", 3), 100)
    second, _ = search_log.record(dnt, SearchMade("suggest", "en", "refund", 3), 100.2, first)
    assert first == second and len(fake.rows) == 1
    assert fake.rows[first]["session_id"] is None
    # A tracked visitor cannot continue someone else's search by sending its id.
    other, _ = search_log.record(
        Visitor("s9"), SearchMade("suggest", "en", "refunds", 3), 101, first
    )
    assert other != first


def test_rows_keep_what_reports_need(log) -> None:
    search_log, fake = log
    made = SearchMade(
        "api", "en", "refnd", 2, [Shown("en/billing/refunds", "timing")], corrected="refund"
    )
    search_id, _ = search_log.record(Visitor("s1", "staff", 7), made, 100)
    row = fake.rows[search_id]
    assert row["segment"] == "staff" and row["user_id"] == 7 and row["surface"] == "api"
    assert row["shown"] == "en/billing/refunds#timing" and row["corrected"] == "refund"
    assert row["normalized"] == normalize("refnd")


def test_a_session_searching_like_a_script_becomes_a_bot(log) -> None:
    search_log, fake = log
    search_log.pace = Pace(limit=5)
    for i in range(8):
        search_log.record(Visitor("s1"), SearchMade("api", "en", f"word{i} x{i}", 1), 100 + i)
    segments = [row["segment"] for row in fake.rows.values()]
    assert segments[:5] == ["customer"] * 5 and segments[5:] == ["bot"] * 3


def test_staff_preview_with_recording_off_records_nothing(log) -> None:
    search_log, fake = log
    search_id, _ = search_log.record(
        Visitor("s1", "staff", 3, recording=False), SearchMade("page", "en", "refund", 1), 100
    )
    assert search_id and fake.rows == {}


def test_bots_and_privacy_signals() -> None:
    assert is_bot_agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert is_bot_agent("")
    assert not is_bot_agent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36"
    )
    assert opted_out("1", None) and opted_out(None, "1") and not opted_out("0", None)


def test_surface_names_are_open_but_tidy() -> None:
    assert surface_name("widget", "api") == "widget"
    assert surface_name("Form", "api") == "form"
    assert surface_name("<script>", "api") == "api"
    assert surface_name("x" * 40, "api") == "api"

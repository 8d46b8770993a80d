"""Reading untrusted query-string values."""

from __future__ import annotations

import pytest

from kbportal.web.params import BadParam, clean_text, lenient_int, parse_int


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        ("  refund   policy ", "refund policy"),
        ("a\x00b", "ab"),
        ("line\nbreak\ttab", "line break tab"),
        ("\u202eevil\u200b", "evil"),
        ("возврат денег", "возврат денег"),
        ("x" * 1000, "x" * 200),
    ],
)
def test_clean_text(raw: str | None, clean: str) -> None:
    assert clean_text(raw) == clean


def test_parse_int() -> None:
    assert parse_int(None, "n", 10, 1, 50) == 10
    assert parse_int(" 7 ", "n", 10, 1, 50) == 7
    for bad in ("0", "51", "-1", "abc", "1.5", "١٢", "9" * 30):
        with pytest.raises(BadParam):
            parse_int(bad, "n", 10, 1, 50)


def test_lenient_int() -> None:
    assert lenient_int("abc", 1, 1, 100) == 1
    assert lenient_int("-5", 1, 1, 100) == 1
    assert lenient_int("500", 1, 1, 100) == 100
    assert lenient_int("3", 1, 1, 100) == 3

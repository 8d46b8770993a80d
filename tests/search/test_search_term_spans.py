"""`analysis.term_spans` (the snippets' fast path) agrees with the text analyzer exactly."""

from __future__ import annotations

import pytest

from kbportal.search import analysis

TEXTS = (
    "Doesn't it? CAN'T won't shan't people's gmail’s don’t I'm we'll they've",
    "Ёлка и ёжик: Подписку можно отменить в настройках, ОПЛАТА картой.",
    "e.g. v2.1 git-commit __init__ x'y 'quoted' 3.14 C++ foo_bar naïve café",
    "List all NVMe devices; scan devices on an i2c bus: `i2cdetect -y 1`",
    "",
    "   ",
    "the and of a",  # stop words only
)


@pytest.mark.parametrize("text", TEXTS)
def test_term_spans_match_the_text_analyzer(text: str) -> None:
    expected = [
        (t.text, t.startchar, t.endchar)
        for t in analysis.text_analyzer()(text, chars=True, removestops=True)
    ]
    assert list(analysis.term_spans(text)) == expected

"""The reader's fast first pass agrees with the general (coordinated) one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbportal.search import Searcher, build_index, query_builder, update_index
from kbportal.viewer import PUBLIC

from .conftest import MakeSearcher, article


def test_fast_first_pass_equals_the_general_one(
    make_searcher: MakeSearcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make_searcher(
        [
            article(f"a{i}", f"Printer {i} setup", ("x", "Paper", f"paper jam toner {i}"), "ink")
            for i in range(12)
        ]
    )
    monkeypatch.setattr(query_builder, "COORD_SCALE", 0.0)
    with s._using() as reader:
        scope = reader.scope(PUBLIC, None, None)
        for text in ("printer paper", "toner ink jam", "setup 3", "paper"):
            built = query_builder.build_query(text)
            assert built is not None
            fast = reader.first_pass(built, scope).as_dict()
            general = reader._coordinated(built, scope)
            assert fast.keys() == general.keys()
            assert all(abs(fast[d] - general[d]) < 1e-9 for d in fast)


@pytest.mark.parametrize("segments", [1, 3])
def test_fast_term_scores_equal_whoosh_scores(tmp_path: Path, segments: int) -> None:
    arts = [
        article(f"a{i}", f"Printer {i} setup", ("x", "Paper", "paper jam " * i), "ink toner")
        for i in range(1, 15)
    ]
    build_index(tmp_path / "ix", arts[:8])
    for part in range(1, segments):  # updates add segments (and delete from older ones)
        update_index(tmp_path / "ix", arts[8:] if part == 1 else arts[:2], ["en/a5"])
    s = Searcher(tmp_path / "ix")
    with s._using() as reader:
        assert len(reader.searcher.leaf_searchers()) == segments
        for field, term in [("body", "paper"), ("title", "printer"), ("article_text", "ink")]:
            fast = reader.term_scores(field, term)
            m = reader.searcher.postings(field, term)
            slow = {}
            while m.is_active():
                slow[m.id()] = m.score()
                m.next()
            assert fast.keys() == slow.keys() and fast
            assert all(abs(fast[d] - slow[d]) < 1e-9 for d in fast)
    s.close()

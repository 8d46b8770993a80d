"""The word tables' layout and the weights a text's words get (Russian forms by stem)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from kbportal.search import analysis, wordvectors


def _write_table(folder: Path, words: list[str], rows: np.ndarray) -> None:
    folder.mkdir()
    (folder / "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    np.save(folder / "words.i8.npy", rows.astype(np.int8))
    np.save(folder / "words.scale.npy", np.ones(len(rows), dtype=np.float16))


def test_an_empty_line_keeps_every_later_word_on_its_own_row(tmp_path: Path) -> None:
    # The shipped Russian table has one: a form the stemmer reduces to nothing.
    rows = np.array([[1, 0], [0, 0], [0, 1], [1, 1]])
    _write_table(tmp_path / "t", ["a", "", "b", "c"], rows)
    words = wordvectors.WordVectors(tmp_path / "t")
    assert "" not in words.index
    assert words.ids("b") == [2]
    assert np.array_equal(words.vector("c"), [1.0, 1.0])


def test_the_shipped_russian_table_finds_rare_stems_on_their_own_rows() -> None:
    words = wordvectors.table("ru")
    assert words is not None
    # "промокод" is past the table's empty line (row 40,927): it must keep its own vector.
    assert words.ids("промокоды")[0] > 40_927

    def cos(a: str, b: str) -> float:
        x, y = words.vector(a), words.vector(b)
        assert x is not None and y is not None
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    assert cos("промокод", "скидка") > cos("промокод", "эпиграф") + 0.15
    assert cos("промокод", "скидка") > cos("промокод", "погода") + 0.2


def test_russian_forms_count_as_one_word_with_one_idf() -> None:
    words = wordvectors.table("ru")
    assert words is not None
    df = {"монетизация": 3, "монетизации": 2, "видео": 9}
    keyed = wordvectors.keyed_df(df, 10, words)
    assert keyed[analysis.stem("монетизацию")] == 5  # a form no article spells: its word's
    assert keyed[analysis.stem("видео")] == 9
    # Capped at the number of articles: forms may share an article.
    capped = wordvectors.keyed_df({"монетизация": 8, "монетизации": 7}, 10, words)
    assert capped[analysis.stem("монетизация")] == 10
    # Two forms of one word make the same vector as that word said twice.
    one = wordvectors.embed(Counter({"монетизация": 2, "видео": 1}), keyed, 10, words)
    two = wordvectors.embed(
        Counter({"монетизация": 1, "монетизации": 1, "видео": 1}), keyed, 10, words
    )
    assert np.allclose(one, two, atol=1e-6)


def test_english_weights_stay_by_word() -> None:
    words = wordvectors.table("en")
    assert words is not None
    df = {"delete": 2, "deleted": 5}
    assert wordvectors.keyed_df(df, 10, words) is df

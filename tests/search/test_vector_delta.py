"""A publish writes only the changed article vectors; readers see what a full rewrite gave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kbportal.search import build_index, semantic, update_index, vector_delta

from .conftest import article

TOPICS = ["refunds", "passwords", "invoices", "shipping", "accounts", "printers", "backups"]


def corpus(version: int = 0) -> list:
    return [
        article(f"a{i}", f"{t.title()} {i}", f"How {t} work, part {i} of {version}.")
        for i, t in enumerate(TOPICS * 3)
    ]


def rows(ix: Path) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
    vectors = semantic.ArticleVectors.load(ix)
    assert vectors is not None
    heads: dict[int, list[np.ndarray]] = {}
    for i, owner in enumerate(vectors.head_of.tolist()):
        heads.setdefault(owner, []).append(vectors.heads[i])
    return {k: (vectors.matrix[r], heads.get(r, [])) for k, r in vectors.row.items()}


def test_a_publish_writes_a_delta_and_leaves_the_base_files(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(ix, corpus())
    base = {name: (ix / name).stat().st_ino for name in ("semantic.npy", "semantic.json")}
    before = rows(ix)
    changed = article("a3", "Shipping 3", "Parcels leave on Mondays.")
    update_index(ix, [changed, article("new", "Gift cards", "Give one.")], ["en/a5"])
    assert {name: (ix / name).stat().st_ino for name in base} == base  # not rewritten
    assert (ix / vector_delta.file_name("en")).is_file()
    after = rows(ix)
    assert set(after) == set(before) - {"en/a5"} | {"en/new"}
    for key in set(before) - {"en/a3", "en/a5"}:  # unchanged rows are the base's
        assert np.array_equal(after[key][0], before[key][0])
        assert len(after[key][1]) == len(before[key][1])
    assert not np.array_equal(after["en/a3"][0], before["en/a3"][0])


def test_the_delta_folds_into_the_base_with_the_same_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, fast = tmp_path / "slow", tmp_path / "fast"
    build_index(slow, corpus())
    build_index(fast, corpus())
    monkeypatch.setattr(vector_delta, "FOLD_MIN", 3)
    monkeypatch.setattr(vector_delta, "FOLD_SHARE", 1000)
    for round_ in range(4):  # a delta of 2 keys, then more: folded past 3
        edits = [article(f"a{round_}", f"Edited {round_}", f"Round {round_} text.")]
        update_index(fast, edits, [f"en/a{10 + round_}"])
        monkeypatch.setattr(vector_delta, "FOLD_MIN", 10_000)
        update_index(slow, edits, [f"en/a{10 + round_}"])
        monkeypatch.setattr(vector_delta, "FOLD_MIN", 3)
    assert not (fast / vector_delta.file_name("en")).exists()  # folded
    assert (slow / vector_delta.file_name("en")).exists()  # still a delta
    folded, kept = rows(fast), rows(slow)
    assert set(folded) == set(kept)
    for key, (vector, heads) in kept.items():
        assert np.array_equal(folded[key][0], vector)
        assert len(folded[key][1]) == len(heads)

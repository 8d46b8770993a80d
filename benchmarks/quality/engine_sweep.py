"""Measure kbportal.search with some query_builder constants changed, one line per variant.

Usage: .venv/bin/python benchmarks/quality/engine_sweep.py 'COORD_SCALE=0' 'SECTION_WEIGHT=0.5' ...
Values are Python literals; dict constants can be changed per key with NAME.key=value.
"""

from __future__ import annotations

import ast
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]

import eval_quality  # noqa: E402 - after the path tweak above

from kbportal.search import query_builder  # noqa: E402


def apply(spec: str) -> dict[str, object]:
    """Set the constants of one variant; returns the old values to restore."""
    old: dict[str, object] = {}
    for item in filter(None, spec.split(",")):
        name, _, raw = item.partition("=")
        value = ast.literal_eval(raw)
        if "." in name:
            const, key = name.split(".", 1)
            table = dict(getattr(query_builder, const))
            old.setdefault(const, getattr(query_builder, const))
            table[key] = value
            setattr(query_builder, const, table)
            if const == "ARTICLE_FIELD_BOOSTS":
                query_builder.ARTICLE_FIELDS = frozenset(table)
        else:
            old.setdefault(name, getattr(query_builder, name))
            setattr(query_builder, name, value)
    return old


def main(argv: list[str]) -> None:
    """Print one row per variant (the unchanged engine first)."""
    queries = eval_quality.load_queries()
    print(f"{'variant':40} {eval_quality.HALVES_HEADER}")
    for spec in ["", *argv]:
        old = apply(spec)
        with tempfile.TemporaryDirectory() as tmp:
            rank = eval_quality.engine_ranker(eval_quality.EVAL_DIR, Path(tmp))
            row = eval_quality.halves_row(rank, queries)
        for name, value in old.items():
            setattr(query_builder, name, value)
        query_builder.ARTICLE_FIELDS = frozenset(query_builder.ARTICLE_FIELD_BOOSTS)
        print(f"{spec or 'current':40} {row}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

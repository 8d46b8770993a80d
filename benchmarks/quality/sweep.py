"""Measure recipe variants of the standalone ranker: one line of metrics per variant.

Usage: .venv/bin/python benchmarks/quality/sweep.py 'title_boost=2' 'title_boost=5,coord=0.9' ...
Each argument is a comma-separated list of knob=value changes to the base recipe (see
lexical.Recipe); the base itself is measured first. Also prints the metrics on odd/even
halves of the queries so a gain that lives in one half only (noise) shows up.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import eval_quality  # noqa: E402 - after the path tweak above
import lexical  # noqa: E402


def parse(spec: str) -> dict:
    """'a=1,b=x' -> {'a': 1.0, 'b': 'x'} with numbers and booleans converted."""
    out: dict = {}
    for item in filter(None, spec.split(",")):
        key, _, raw = item.partition("=")
        value: object = raw
        if raw in ("True", "False"):
            value = raw == "True"
        else:
            try:
                value = int(raw) if raw.isdigit() else float(raw)
            except ValueError:
                value = raw
        out[key.strip()] = value
    return out


def main(argv: list[str]) -> None:
    """Print one row per variant."""
    base_spec = ""
    if argv and argv[0].startswith("base:"):
        base_spec, argv = argv[0][5:], argv[1:]
    base = lexical.variant(lexical.Recipe(), **parse(base_spec))
    docs = lexical.load_articles(eval_quality.EVAL_DIR / "articles")
    queries = eval_quality.load_queries()
    print(f"{'variant':44} {eval_quality.HALVES_HEADER}")
    for spec in ["", *argv]:
        recipe = lexical.variant(base, **parse(spec))
        with tempfile.TemporaryDirectory() as tmp:
            engine = lexical.Engine(docs, Path(tmp), recipe)
            row = eval_quality.halves_row(engine.rank, queries)
            engine.searcher.close()
        print(f"{spec or 'base ' + base_spec:44} {row}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

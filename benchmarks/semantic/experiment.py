"""Measure lexical + static-embedding fusion on StackFAQ, one line per fusion weight.

Re-ranks kbportal.search's top DEPTH articles (engine mode) by
`lexical / best lexical + w x cosine` and prints full / even / odd halves, so a gain seen in one
half only shows as noise.

Usage: .venv/bin/python benchmarks/semantic/experiment.py [--table DIR] [--weights 0,0.2,0.5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "quality"), str(HERE.parent.parent)]

import eval_quality  # noqa: E402 - after the path tweak above

from kbportal.search import semantic, wordvectors  # noqa: E402


def candidates(workdir: Path, depth: int) -> tuple[Callable[[str], list[tuple[str, float]]], dict]:
    """A function giving the engine's top (slug, score) for a query, and the article texts."""
    from kbportal.search import Searcher, build_index  # noqa: PLC0415
    from kbportal.search.index import whole_text  # noqa: PLC0415
    from kbportal.search.types import SearchQuery  # noqa: PLC0415

    articles = eval_quality.engine_articles(eval_quality.EVAL_DIR)
    build_index(workdir / "index", articles)
    searcher = Searcher(workdir / "index")
    searcher._vectors = {}  # the lexical engine alone: the fusion is redone here per weight
    texts = {a.slug: whole_text(a, list(a.sections)) for a in articles}

    def top(text: str) -> list[tuple[str, float]]:
        hits = searcher.search(SearchQuery(text, per_page=depth)).hits
        return [(h.slug, h.score) for h in hits]

    return top, texts


def main() -> None:
    """Print one row per weight (0 = the lexical engine alone)."""
    p = argparse.ArgumentParser()
    p.add_argument("--table", type=Path, default=semantic.DATA_DIR)
    p.add_argument("--weights", default="0,0.1,0.2,0.3,0.5,0.8,1.2")
    p.add_argument("--depth", type=int, default=semantic.DEPTH)
    args = p.parse_args()
    wordvectors._tables["en"] = semantic.WordVectors(args.table)
    queries = eval_quality.load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        top, texts = candidates(Path(tmp), args.depth)
        vectors = semantic.ArticleVectors.build((k, t, ()) for k, t in texts.items())
        lists = [top(q.text) for q in queries]
    qvecs = [vectors.query_vector(q.text) for q in queries]
    print(f"{'weight':8} {eval_quality.HALVES_HEADER}")
    for w in (float(x) for x in args.weights.split(",")):
        ranked_all = []
        for cands, qv in zip(lists, qvecs, strict=True):
            slugs = [s for s, _ in cands]
            if qv is None or not cands or w == 0:
                ranked_all.append(slugs)
                continue
            fused = semantic.fuse([s for _, s in cands], vectors.cosines(qv, slugs), w)
            order = sorted(range(len(slugs)), key=lambda i: -fused[i])
            ranked_all.append([slugs[i] for i in order])
        by_text = dict(zip((q.text for q in queries), ranked_all, strict=False))

        def rank(text: str, by_text: dict = by_text) -> list[str]:
            return by_text[text]

        print(f"{w:<8} {eval_quality.halves_row(rank, queries)}", flush=True)


if __name__ == "__main__":
    main()

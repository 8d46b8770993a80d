"""Search-quality evaluation on the labelled StackFAQ set: R@1, R@3, MRR@10, nDCG@10.

Three modes:
  direct   - a standalone Whoosh index built here from the articles (a small loader of our own),
             with the ranking recipe in benchmarks/quality/lexical.py; for experiments.
  product  - the real thing: kbportal.content loader -> kbportal.publish build -> GET /api/v1/search
             through Flask's test client, exactly as a customer's browser would query.
  engine   - kbportal.search (build_index + Searcher) on articles from our own small loader:
             the product's ranking without the content pipeline and the web layer.

Usage:
  .venv/bin/python benchmarks/eval_quality.py                   # product mode (default)
  .venv/bin/python benchmarks/eval_quality.py --mode engine     # kbportal.search, own loader
  .venv/bin/python benchmarks/eval_quality.py --mode direct     # standalone Whoosh recipe
  .venv/bin/python benchmarks/eval_quality.py --failures        # also write misses to results/
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kbportal.content.models import Article

log = logging.getLogger(__name__)

EVAL_DIR = Path("/work/shared/eval/stackfaq")
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Reference figures from /work/shared/eval/README.md (plain engines, same queries).
REFERENCE = [
    ("SQLite FTS5, porter, bm25 title x3", 0.697, 0.873, 0.792, 0.834),
    ("tantivy 0.27, en_stem, title x3", 0.751, 0.893, 0.827, 0.860),
    ("rank_bm25 Okapi", 0.673, 0.832, 0.762, 0.804),
    ("lunr, title x10", 0.750, 0.890, 0.825, 0.857),
]
TARGET = {"R@3": 0.93, "MRR@10": 0.87}

Ranker = Callable[[str], list[str]]  # query text -> ranked slugs (best first, at most 10)


@dataclass(frozen=True)
class Query:
    """One labelled question and the slugs of the articles that answer it."""

    text: str
    relevant: frozenset[str]


def load_queries(eval_dir: Path = EVAL_DIR) -> list[Query]:
    """The labelled questions from queries.jsonl."""
    queries = []
    with (eval_dir / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                queries.append(Query(row["query"], frozenset(row["relevant"])))
    return queries


def metrics(ranked: list[str], relevant: frozenset[str]) -> dict[str, float]:
    """R@1, R@3, reciprocal rank and nDCG over the first 10 results of one query."""
    top = ranked[:10]
    first = next((i for i, slug in enumerate(top) if slug in relevant), None)
    dcg = sum(1 / math.log2(i + 2) for i, slug in enumerate(top) if slug in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return {
        "R@1": float(first is not None and first < 1),
        "R@3": float(first is not None and first < 3),
        "MRR@10": 0.0 if first is None else 1 / (first + 1),
        "nDCG@10": dcg / ideal if ideal else 0.0,
    }


def evaluate(rank: Ranker, queries: Iterable[Query]) -> tuple[dict[str, float], list[dict]]:
    """Mean metrics over the queries, plus the per-query misses (not first) for inspection."""
    totals = {"R@1": 0.0, "R@3": 0.0, "MRR@10": 0.0, "nDCG@10": 0.0}
    misses = []
    n = 0
    for query in queries:
        ranked = rank(query.text)
        scores = metrics(ranked, query.relevant)
        for key, value in scores.items():
            totals[key] += value
        if scores["R@1"] < 1:
            misses.append(
                {
                    "query": query.text,
                    "relevant": sorted(query.relevant),
                    "got": ranked[:3],
                    "rr": round(scores["MRR@10"], 3),
                }
            )
        n += 1
    return {key: value / max(n, 1) for key, value in totals.items()}, misses


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """A markdown table of our results next to the reference engines."""
    lines = ["| engine | R@1 | R@3 | MRR@10 | nDCG@10 |", "|---|---|---|---|---|"]
    for name, r1, r3, mrr, ndcg in REFERENCE:
        lines.append(f"| {name} | {r1:.3f} | {r3:.3f} | {mrr:.3f} | {ndcg:.3f} |")
    for name, m in rows:
        lines.append(
            f"| **{name}** | {m['R@1']:.3f} | {m['R@3']:.3f} | {m['MRR@10']:.3f} "
            f"| {m['nDCG@10']:.3f} |"
        )
    lines.append(f"| target | | {TARGET['R@3']:.3f} | {TARGET['MRR@10']:.3f} | |")
    return "\n".join(lines)


HALVES_HEADER = "R@1   R@3   MRR   nDCG  | R@3/MRR even  odd"


def halves_row(rank: Ranker, queries: list[Query]) -> str:
    """Metrics on all queries, then R@3/MRR on the even and odd halves (a gain in one only is
    noise); the columns of HALVES_HEADER."""
    m, _ = evaluate(rank, queries)
    even, _ = evaluate(rank, queries[0::2])
    odd, _ = evaluate(rank, queries[1::2])
    return (
        f"{m['R@1']:.3f} {m['R@3']:.3f} {m['MRR@10']:.3f} {m['nDCG@10']:.3f} "
        f"| {even['R@3']:.3f}/{even['MRR@10']:.3f} {odd['R@3']:.3f}/{odd['MRR@10']:.3f}"
    )


def direct_ranker(eval_dir: Path, workdir: Path) -> Ranker:
    """A ranker over a standalone Whoosh index (benchmarks/quality/lexical.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))
    import lexical  # noqa: PLC0415 - a scratch module beside this script, not a package

    engine = lexical.Engine(lexical.load_articles(eval_dir / "articles"), workdir, lexical.BEST)
    return engine.rank


def engine_articles(eval_dir: Path) -> list[Article]:
    """The eval articles from our own small loader, as kbportal Article values."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))
    import lexical  # noqa: PLC0415 - a scratch module beside this script, not a package

    from kbportal.content.models import Article, Section  # noqa: PLC0415

    return [
        Article(
            locale="en",
            slug=d.slug,
            path=f"{d.slug}.md",
            title=d.title,
            html="",
            sections=tuple(
                Section(anchor=h.lower().replace(" ", "-"), title=h, text=t) for h, t in d.sections
            ),
        )
        for d in lexical.load_articles(eval_dir / "articles")
    ]


def engine_ranker(eval_dir: Path, workdir: Path) -> Ranker:
    """A ranker over kbportal.search alone (build_index + Searcher) on our own loader's docs."""
    from kbportal.search import Searcher, build_index  # noqa: PLC0415
    from kbportal.search.types import SearchQuery  # noqa: PLC0415

    build_index(workdir / "index", engine_articles(eval_dir))
    searcher = Searcher(workdir / "index")

    def rank(text: str) -> list[str]:
        return [hit.slug for hit in searcher.search(SearchQuery(text, per_page=10)).hits]

    return rank


def product_ranker(eval_dir: Path, workdir: Path) -> Ranker:
    """A ranker that asks the product: build with kbportal.publish, query GET /api/v1/search."""
    from kbportal import create_app  # noqa: PLC0415 - product mode only
    from kbportal.publish import build, config_of  # noqa: PLC0415

    app = create_app(
        {
            "ARTICLES_DIR": str(eval_dir / "articles"),
            "DATA_DIR": str(workdir),
            "LOCALES": "en",
            "DEFAULT_LOCALE": "en",
            "TESTING": True,
            "SECRET_KEY": "eval",
        }
    )
    report = build(config_of(app))
    log.info("built %s", report)
    client = app.test_client()

    def rank(text: str) -> list[str]:
        response = client.get("/api/v1/search", query_string={"q": text, "limit": 10})
        if response.status_code != 200:
            raise RuntimeError(f"search API returned {response.status_code} for {text!r}")
        return [row["slug"] for row in response.get_json()["results"]]

    return rank


def main(argv: list[str] | None = None) -> int:
    """Run every query, print the table, optionally write the misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("product", "engine", "direct"), default="product")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument(
        "--failures",
        action="store_true",
        help="write queries whose answer is not first to benchmarks/results/",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    queries = load_queries(args.eval_dir)
    with tempfile.TemporaryDirectory(prefix="kbq-") as tmp:
        start = time.perf_counter()
        make = {"direct": direct_ranker, "engine": engine_ranker, "product": product_ranker}[
            args.mode
        ]
        rank = make(args.eval_dir, Path(tmp))
        built = time.perf_counter() - start
        start = time.perf_counter()
        scores, misses = evaluate(rank, queries)
        took = time.perf_counter() - start
    print(table([(f"kbportal ({args.mode})", scores)]))
    print(
        f"\n{len(queries)} queries; build {built:.1f} s; "
        f"queries {took:.1f} s ({1000 * took / len(queries):.1f} ms each)"
    )
    if args.failures:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"quality-misses-{args.mode}.jsonl"
        out.write_text("".join(json.dumps(m) + "\n" for m in misses), encoding="utf-8")
        print(f"{len(misses)} queries not ranked first -> {out}")
    met = all(scores[key] >= value for key, value in TARGET.items())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

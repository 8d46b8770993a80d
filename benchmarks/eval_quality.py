"""Search quality on every labelled set, through the product's search API, beside plain engines.

For each set in ../shared/eval/ beside the checkout (or KBPORTAL_EVAL_DIR; its README says what
each is), the product is built from the set's articles with kbportal.publish and asked
GET /api/v1/search through Flask's test client, as a browser would. The plain engines of the
README (SQLite FTS5, tantivy, rank_bm25, lunr, plain Whoosh) run on the same articles and queries
in the same run. Printed per set: R@1, R@3, MRR@10, nDCG@10 and p95 latency; how well the
API's `confidence` separates right first results from wrong (AUC, precision of the first result
at thresholds); and, with --ref or a previous saved run, the paired bootstrap 95% interval of each
metric's change against that version.

Usage:
  .venv/bin/python benchmarks/eval_quality.py                  # every set, plain engines too
  .venv/bin/python benchmarks/eval_quality.py --ref main       # + the change against main
  .venv/bin/python benchmarks/eval_quality.py --no-plain --sets jhucovid-dev
  .venv/bin/python benchmarks/eval_quality.py --failures       # misses to benchmarks/results/
  .venv/bin/python benchmarks/eval_quality.py --no-encoder     # without the sentence encoder
Exits 1 while a target is missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))

import evalsets  # noqa: E402
from evalsets import (  # noqa: E402 - after the path tweak above
    EVAL_ROOT,
    METRICS,
    EvalSet,
    Query,
    Run,
    all_sets,
    bootstrap,
    load_set,
    precision_at,
    separation,
)

log = logging.getLogger(__name__)

EVAL_DIR = EVAL_ROOT / "stackfaq"  # the set the older sweeps (benchmarks/quality/) use
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LAST_RUN = RESULTS_DIR / "quality-last.json"
# Issue 10's targets, through the API: (R@3, MRR@10) per set.
TARGETS = {
    "stackfaq": (0.945, 0.884),
    "jhucovid-dev": (0.87, 0.79),
    "rutube-dev": (0.68, 0.60),
}
P95_TARGET_MS = 30.0
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)

Ranker = Callable[[str], list[str]]  # query text -> ranked slugs (best first, at most 10)
__all__ = ["EVAL_DIR", "Query", "load_queries", "evaluate", "halves_row", "engine_ranker"]


def load_queries(folder: Path = EVAL_DIR) -> list[Query]:
    """The labelled questions of a set (StackFAQ unless told), for the sweeps."""
    return evalsets.load_queries(folder)


def engine_articles(eval_dir: Path) -> list:
    """A set's articles as kbportal Article values (one section each), for the sweeps."""
    from kbportal.content.models import Article, Section  # noqa: PLC0415

    es = load_set(eval_dir)
    return [
        Article(es.locale, d.slug, f"{d.slug}.md", d.title, "", sections=(Section("", "", d.text),))
        for d in es.docs
    ]


def miss(query: Query, ranked: list[str]) -> dict:
    """A query whose answer was not first, for reading."""
    return {"query": query.text, "relevant": sorted(query.relevant), "got": ranked[:3]}


def evaluate(rank: Ranker, queries: list[Query]) -> tuple[dict[str, float], list[dict]]:
    """Mean metrics over the queries, plus the per-query misses (not first) for inspection."""
    run, misses = Run("ranker"), []
    for query in queries:
        ranked = rank(query.text)
        run.add(ranked, query.relevant, 0.0)
        if not run.per_query["R@1"][-1]:
            misses.append(miss(query, ranked))
    return {m: run.mean(m) for m in METRICS}, misses


HALVES_HEADER = "R@1   R@3   MRR   nDCG  | R@3/MRR even  odd"


def halves_row(rank: Ranker, queries: list[Query]) -> str:
    """Metrics on all queries, then R@3/MRR on the even and odd halves (the sweeps' row)."""
    m, _ = evaluate(rank, queries)
    even, _ = evaluate(rank, queries[0::2])
    odd, _ = evaluate(rank, queries[1::2])
    return (
        f"{m['R@1']:.3f} {m['R@3']:.3f} {m['MRR@10']:.3f} {m['nDCG@10']:.3f} "
        f"| {even['R@3']:.3f}/{even['MRR@10']:.3f} {odd['R@3']:.3f}/{odd['MRR@10']:.3f}"
    )


def engine_ranker(eval_dir: Path, workdir: Path) -> Ranker:
    """A ranker over kbportal.search alone (build_index + Searcher), for the sweeps."""
    from kbportal.search import Searcher, build_index  # noqa: PLC0415
    from kbportal.search.types import SearchQuery  # noqa: PLC0415

    build_index(workdir / "index", engine_articles(eval_dir))
    searcher = Searcher(workdir / "index")
    return lambda text: [h.slug for h in searcher.search(SearchQuery(text, per_page=10)).hits]


def as_search_process(on: bool = True) -> Callable[[], object]:
    """Switch the sentence encoder on here, as the node's search process does (the searches
    run in this process); returns the wait for the articles' vectors. Older versions have none."""
    try:
        from kbportal.search import encoded, encoder  # noqa: PLC0415 - whichever kbportal
    except ImportError:
        return lambda: None
    encoder.enable(on)
    encoded.FILL_SHARE = 1.0  # the runs wait for the articles' vectors: make them at full speed
    return encoded.wait


def product_run(
    es: EvalSet, workdir: Path, misses: list[dict] | None = None, encoder: bool = True
) -> Run:
    """The product on one set: build with kbportal.publish, ask GET /api/v1/search per query
    (once the articles' encoder vectors, made in the background, are ready)."""
    from kbportal import create_app  # noqa: PLC0415 - whichever kbportal is on the path
    from kbportal.publish import build, config_of  # noqa: PLC0415

    encoded = as_search_process(encoder)

    app = create_app(
        {
            "ARTICLES_DIR": str(es.folder / "articles"),
            "DATA_DIR": str(workdir),
            "LOCALES": es.locale,
            "DEFAULT_LOCALE": es.locale,
            "TESTING": True,
            "SECRET_KEY": "eval",
        }
    )
    build(config_of(app))
    client = app.test_client()
    client.get("/api/v1/search", query_string={"q": "warm up", "limit": 10})
    encoded()
    run = Run("kbportal, through the API")
    for query in es.queries:
        start = time.perf_counter()
        response = client.get("/api/v1/search", query_string={"q": query.text, "limit": 10})
        millis = 1000 * (time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"search API returned {response.status_code} for {query.text!r}")
        rows = response.get_json()["results"]
        ranked = [row["slug"] for row in rows]
        run.add(ranked, query.relevant, millis)
        run.confidence.append(float(rows[0].get("confidence", math.nan)) if rows else math.nan)
        if misses is not None and not run.per_query["R@1"][-1]:
            misses.append(miss(query, ranked))
    return run


def plain_runs(es: EvalSet) -> list[Run]:
    """Every plain engine on one set."""
    from plain_engines import ENGINES  # noqa: PLC0415 - needs the bench extras

    runs = []
    for name, make in ENGINES.items():
        rank = make(es.docs, es.locale)
        run = Run(name)
        for query in es.queries:
            start = time.perf_counter()
            ranked = rank(query.text)
            run.add(ranked, query.relevant, 1000 * (time.perf_counter() - start))
        runs.append(run)
    return runs


def ref_runs(ref: str, names: list[str], flags: tuple[str, ...] = ()) -> dict[str, dict]:
    """The product at another git revision, run now on the same sets (a throwaway worktree)."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="kbq-ref-") as tmp:
        tree, out = Path(tmp) / "tree", Path(tmp) / "out.json"
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(tree), ref],
            check=True,
        )
        try:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            cmd = [sys.executable, __file__, "--product-only", "--dump", str(out), *flags]
            cmd += ["--sets", *names]
            subprocess.run(cmd, check=True, env=env, cwd=tmp)
            return json.loads(out.read_text(encoding="utf-8"))
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)])


def set_table(name: str, runs: list[Run]) -> str:
    """One set's markdown table: every engine's metrics and p95, then the target."""
    lines = [
        f"\n### {name}\n",
        "| engine | R@1 | R@3 | MRR@10 | nDCG@10 | p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        cells = " | ".join(f"{run.mean(m):.3f}" for m in METRICS)
        label = f"**{run.engine}**" if run.engine.startswith("kbportal") else run.engine
        lines.append(f"| {label} | {cells} | {run.p95():.1f} |")
    if name in TARGETS:
        r3, mrr = TARGETS[name]
        lines.append(f"| target | | {r3:.3f} | {mrr:.3f} | | {P95_TARGET_MS:.0f} |")
    return "\n".join(lines)


def change_table(name: str, run: Run, old: dict, label: str) -> str:
    """Each metric's change against an older run, with its paired bootstrap 95% interval."""
    cells = []
    for m in METRICS:
        diff, low, high = bootstrap(run.per_query[m], old["per_query"][m])
        mark = " (loss)" if high < 0 else (" (gain)" if low > 0 else "")
        cells.append(f"{m} {diff:+.3f} [{low:+.3f}, {high:+.3f}]{mark}")
    return f"{name} vs {label}: " + "; ".join(cells)


def confidence_lines(name: str, run: Run) -> str:
    """AUC of the first hit's confidence, and the first result's precision above thresholds."""
    if all(math.isnan(c) for c in run.confidence):
        return f"{name}: no confidence in the API's hits"
    correct = run.per_query["R@1"]
    auc = separation(run.confidence, correct)["AUC"]
    parts = []
    for t in THRESHOLDS:
        precision, shown = precision_at(run.confidence, correct, t)
        parts.append(f">={t:.1f}: P@1 {precision:.3f} on {shown:.0%}")
    return f"{name}: confidence AUC {auc:.3f}; " + "; ".join(parts)


def met(name: str, run: Run) -> bool:
    """Whether the product meets the set's targets (quality and p95)."""
    r3, mrr = TARGETS.get(name, (0.0, 0.0))
    return run.mean("R@3") >= r3 and run.mean("MRR@10") >= mrr and run.p95() <= P95_TARGET_MS


def main(argv: list[str] | None = None) -> int:
    """Run every set, print the tables, compare with an older version, save this run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", help="set folder names (default: all)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain engines")
    parser.add_argument("--ref", help="also run the product at this git revision and compare")
    parser.add_argument("--baseline", type=Path, default=LAST_RUN, help="a saved run to compare")
    parser.add_argument("--failures", action="store_true", help="write misses to results/")
    parser.add_argument("--no-encoder", action="store_true", help="without the sentence encoder")
    parser.add_argument("--product-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    folders = [f for f in all_sets() if not args.sets or f.name in args.sets]
    names = [f.name for f in folders]
    flags = ("--no-encoder",) if args.no_encoder else ()
    older = ref_runs(args.ref, names, flags) if args.ref else None
    saved = None
    if not args.ref and args.baseline.exists():
        saved = json.loads(args.baseline.read_text(encoding="utf-8"))
    ours, ok = {}, True
    for folder in folders:
        es = load_set(folder)
        misses: list[dict] = []
        with tempfile.TemporaryDirectory(prefix="kbq-") as tmp:
            found = misses if args.failures else None
            run = product_run(es, Path(tmp), found, encoder=not args.no_encoder)
        ours[es.name] = run.to_json()
        if args.product_only:
            continue
        runs = [run] if args.no_plain else [*plain_runs(es), run]
        print(set_table(f"{es.name} ({len(es.queries)} queries, {len(es.docs)} articles)", runs))
        print("\n" + confidence_lines(es.name, run), flush=True)
        ok &= met(es.name, run)
        if args.failures:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            out = RESULTS_DIR / f"quality-misses-{es.name}.jsonl"
            out.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misses))
    if args.dump:
        args.dump.write_text(json.dumps(ours), encoding="utf-8")
        return 0
    against, label = (older, f"--ref {args.ref}") if older else (saved, "the previous saved run")
    if against:
        print("\nChange against an older version (paired bootstrap, 95%):")
        for name, run_json in ours.items():
            if name in against and len(against[name]["millis"]) == len(run_json["millis"]):
                run = Run(run_json["engine"], run_json["per_query"], run_json["millis"])
                print(change_table(name, run, against[name], label))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    LAST_RUN.write_text(json.dumps(ours), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

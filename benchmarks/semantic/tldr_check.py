"""A second, unrelated check of the re-rank: tldr example lines as queries, lexical vs fused.

Each query is one example description of an English tldr page ("list all network
interfaces"); the right answers are the pages holding that exact line. Unlike StackFAQ this is
not text the model saw in training (Stack Exchange), and its queries share the pages' words,
so it shows whether the re-rank hurts where lexical search is already right.

Usage: .venv/bin/python benchmarks/semantic/tldr_check.py [--pages 800]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

import eval_quality  # noqa: E402
from tldr_data import _EXAMPLE, _MARKUP, pages, tldr_root  # noqa: E402

from kbportal.search import Searcher, build_index  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def labelled(root: Path, count: int, seed: int = 11) -> list[eval_quality.Query]:
    """One random example line per sampled English page, with every page holding that line."""
    english = [p for p in pages(root) if p.relative_to(root).parts[0] == "en"]
    holders: dict[str, set[str]] = defaultdict(set)
    lines: dict[str, list[str]] = {}
    for page in english:
        slug = page.relative_to(root / "en").with_suffix("").as_posix().lower()
        found = []
        for match in _EXAMPLE.finditer(page.read_text(encoding="utf-8")):
            words = _MARKUP.sub("", match.group(1)).split()
            if 2 <= len(words) <= 10:
                text = " ".join(words).lower()
                found.append(text)
                holders[text].add(slug)
        lines[slug] = found
    rng = random.Random(seed)
    sample = rng.sample(sorted(s for s in lines if lines[s]), count)
    return [
        eval_quality.Query(text, frozenset(holders[text]))
        for text in (rng.choice(lines[s]) for s in sample)
    ]


def main() -> None:
    """Print lexical and fused metrics, full set and halves."""
    p = argparse.ArgumentParser()
    p.add_argument("--pages", type=int, default=800)
    args = p.parse_args()
    from kbportal.content.loader import load_knowledge_base  # noqa: PLC0415

    root = tldr_root()
    queries = labelled(root, args.pages)
    kb = load_knowledge_base(root)
    articles = list(kb.articles.values()) if isinstance(kb.articles, dict) else list(kb.articles)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(Path(tmp) / "ix", articles)
        searcher = Searcher(Path(tmp) / "ix")
        vectors = searcher._vectors

        def rank(text: str) -> list[str]:
            res = searcher.search(SearchQuery(text, viewer=PUBLIC, locale="en", per_page=10))
            return [h.slug for h in res.hits]

        print(f"{len(queries)} queries | R@1   R@3   MRR   | R@3/MRR even  odd")
        for name, vec in (("lexical", None), ("fused", vectors)):
            searcher._vectors = vec
            m, _ = eval_quality.evaluate(rank, queries)
            even, _ = eval_quality.evaluate(rank, queries[0::2])
            odd, _ = eval_quality.evaluate(rank, queries[1::2])
            print(
                f"{name:11} | {m['R@1']:.3f} {m['R@3']:.3f} {m['MRR@10']:.3f} "
                f"| {even['R@3']:.3f}/{even['MRR@10']:.3f} {odd['R@3']:.3f}/{odd['MRR@10']:.3f}"
            )
        searcher.close()


if __name__ == "__main__":
    main()

"""The pruned first pass against the full one on a built data folder (e.g. tldr x 12, 100k).

For each tldr query: the k best documents of the pruned pass (k = 50 and 150, what the
re-rank and confidence take) and their scores must equal the full pass's, bit for bit; then
every query's first page through the searcher (keys, sections, scores, confidences) with
pruning on and off. Prints how many passes were pruned and how the totals compare. Usage:

    .venv/bin/python benchmarks/check_pruning.py --articles DIR --data DIR [--queries 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tldr_data import queries  # noqa: E402

from kbportal.publish import layout  # noqa: E402
from kbportal.publish.published import BuildKB  # noqa: E402
from kbportal.search import pruning, query_builder  # noqa: E402
from kbportal.search import searcher as searcher_module  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    searcher_module.BUDGET = 1e9  # no deadline: a loaded machine must not change what is compared
    build = layout.current_build(args.data)
    if build is None:
        raise SystemExit(f"no build in {args.data}")
    kb = BuildKB(build, args.articles)
    qs = queries(args.articles, args.queries)
    pruned = passes = 0
    with kb.searcher._using() as reader:
        scope = reader.scope(PUBLIC, None, None)
        for q in qs:
            built = query_builder.build_query(q)
            if built is None:
                continue
            full = reader.first_pass(built, scope)
            for k in (50, 150):
                found = reader.first_pass(built, scope, k)
                passes += 1
                pruned += found.exact_for is not None
                a, b = sorted(found.top(k)), sorted(full.top(k))
                assert a == b, q
                sa = found.scores[np.searchsorted(found.docs, a)]
                sb = full.scores[np.searchsorted(full.docs, b)]
                assert (sa == sb).all(), q
    print(f"first pass: the k best equal, bit for bit, in {passes} passes ({pruned} pruned)")
    on = [kb.search(SearchQuery(q, PUBLIC)) for q in qs]
    pruning.PRUNE_ABOVE = 10**12
    off = [kb.search(SearchQuery(q, PUBLIC)) for q in qs]
    for x, y in zip(on, off, strict=True):
        hx = [(h.key, h.anchor, h.score, h.confidence) for h in x.hits]
        hy = [(h.key, h.anchor, h.score, h.confidence) for h in y.hits]
        assert hx == hy, x.query
    flagged = sum(x.total_is_estimate for x in on)
    differ = sum(x.total != y.total for x, y in zip(on, off, strict=True))
    print(
        f"first pages equal for {len(qs)} queries; {flagged} totals flagged as estimates, "
        f"{differ} differ from the full count"
    )


if __name__ == "__main__":
    main()

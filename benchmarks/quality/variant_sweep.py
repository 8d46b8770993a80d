"""Measure variants of the product's search on every set, each against the unchanged one.

Each set is built once (kbportal.publish, as eval_quality.py does) and asked through the
published KB's search in process (the API's own call, without Flask), so a query-time variant
costs seconds instead of a rebuild. A variants file is Python that defines
`VARIANTS = [(name, apply, undo), ...]` (callables that patch and restore module constants or
functions) and optionally `BASE()`, applied before everything. Printed per set: R@3 / MRR@10,
the paired bootstrap 95% interval of the MRR and R@3 change against the base, and p95 (ms).

Usage: .venv/bin/python benchmarks/quality/variant_sweep.py variants.py [set ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from evalsets import EVAL_ROOT, EvalSet, load_set  # noqa: E402 - after the path tweak

from kbportal import create_app  # noqa: E402
from kbportal.publish import build, config_of, get_kb  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402
from kbportal.web.params import clean_text  # noqa: E402

SETS = ("stackfaq", "jhucovid-dev", "rutube-dev")


def prepare(name: str, work: Path) -> tuple[EvalSet, Any, Any]:
    """One set built into `work`, with its app and published KB."""
    es = load_set(EVAL_ROOT / name)
    app = create_app(
        {
            "ARTICLES_DIR": str(es.folder / "articles"),
            "DATA_DIR": str(work / name),
            "LOCALES": es.locale,
            "DEFAULT_LOCALE": es.locale,
            "TESTING": True,
            "SECRET_KEY": "sweep",
        }
    )
    build(config_of(app))
    with app.app_context():
        kb = get_kb()
    return es, app, kb


def run(es: EvalSet, app: Any, kb: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Reciprocal ranks and R@3 per query, and the p95 in ms."""
    rr, r3, ms = [], [], []
    with app.app_context():
        for q in es.queries:
            start = time.perf_counter()
            query = SearchQuery(clean_text(q.text), PUBLIC, None, None, page=1, per_page=10)
            slugs = [h.slug for h in kb.search(query).hits]
            ms.append(1000 * (time.perf_counter() - start))
            rank = next((i for i, s in enumerate(slugs) if s in q.relevant), None)
            rr.append(0.0 if rank is None else 1.0 / (rank + 1))
            r3.append(1.0 if rank is not None and rank < 3 else 0.0)
    return np.array(rr), np.array(r3), float(np.percentile(ms, 95))


def interval(old: np.ndarray, new: np.ndarray, n: int = 2000) -> tuple[float, float]:
    """Paired bootstrap 95% interval of the mean change."""
    d = new - old
    picks = np.random.default_rng(0).integers(0, len(d), (n, len(d)))
    means = d[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def main(argv: list[str]) -> None:
    """Print one line per variant, the base first."""
    ns: dict[str, Any] = {}
    exec(Path(argv[0]).read_text(encoding="utf-8"), ns)  # noqa: S102 - a local experiment file
    if "BASE" in ns:
        ns["BASE"]()
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    variants = [("base", nothing, nothing), *ns["VARIANTS"]]
    sets = argv[1:] or list(SETS)
    with tempfile.TemporaryDirectory(prefix="kbsweep-") as tmp:
        prepared = {name: prepare(name, Path(tmp)) for name in sets}
        base: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for label, apply, undo in variants:
            apply()
            cells = [f"{label:30}"]
            for name in sets:
                rr, r3, p95 = run(*prepared[name])
                cell = f"{name[:6]} {r3.mean():.3f}/{rr.mean():.3f}"
                if name in base:
                    lo, hi = interval(base[name][0], rr)
                    lo3, hi3 = interval(base[name][1], r3)
                    cell += f" MRR[{lo:+.3f},{hi:+.3f}] R@3[{lo3:+.3f},{hi3:+.3f}]"
                else:
                    base[name] = (rr, r3)
                cells.append(f"{cell} p95 {p95:.0f}")
            undo()
            print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

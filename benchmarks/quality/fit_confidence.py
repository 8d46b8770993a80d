"""Fit the confidence weights (kbportal/search/confidence.py) on the first hits of every set.

Runs each labelled set through the search API as eval_quality.py does, records the evidence of
each query's first hit and whether it was right, and fits two logistic regressions: one with
the cosine (sets whose locale has word vectors), one without (all sets, cosine left out), so the
same weights serve a locale with vectors and one without.

Usage: .venv/bin/python benchmarks/quality/fit_confidence.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from evalsets import all_sets, load_set, precision_at, separation

from kbportal import create_app
from kbportal.publish import build, config_of
from kbportal.search import confidence

calls: list[confidence.Evidence] = []
_real = confidence.confidence


def _recording(e: confidence.Evidence) -> float:
    calls.append(e)
    return _real(e)


def collect(folder: Path) -> list[tuple[confidence.Evidence, bool]]:
    """(first hit's evidence, right?) per query of one set, through the API."""
    es = load_set(folder)
    out = []
    with tempfile.TemporaryDirectory(prefix="kbfit-") as tmp:
        app = create_app(
            {
                "ARTICLES_DIR": str(folder / "articles"),
                "DATA_DIR": tmp,
                "LOCALES": es.locale,
                "DEFAULT_LOCALE": es.locale,
                "TESTING": True,
                "SECRET_KEY": "fit",
            }
        )
        build(config_of(app))
        client = app.test_client()
        for q in es.queries:
            calls.clear()
            rows = client.get("/api/v1/search", query_string={"q": q.text, "limit": 10}).get_json()
            if rows["results"] and calls:
                out.append((calls[0], rows["results"][0]["slug"] in q.relevant))
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression by Newton's method; x has a leading column of ones."""
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> None:
    """Collect, fit, and print the weights and how the current ones separate."""
    confidence.confidence = _recording  # type: ignore[assignment]
    data = {f.name: collect(f) for f in all_sets()}
    confidence.confidence = _real  # type: ignore[assignment]
    rows = [(name, e, y) for name, items in data.items() for e, y in items]
    y = np.array([float(r[2]) for r in rows])
    base = np.array([[1, e.coverage, e.lead] for _, e, _ in rows])
    w_plain = fit(base, y)
    print("without cosine: bias+rank, coverage, lead =", np.round(w_plain, 2))
    with_cos = [i for i, (_, e, _) in enumerate(rows) if e.cosine is not None]
    if with_cos:
        xs = np.array(
            [[1, e.coverage, e.cosine, e.head, e.lead] for i in with_cos for e in (rows[i][1],)]
        )
        w_cos = fit(xs, y[with_cos])
        print("with cosine: bias+rank, coverage, cosine, head, lead =", np.round(w_cos, 2))
    for name, items in data.items():
        conf = [_real(e) for e, _ in items]
        right = [float(r) for _, r in items]
        auc = separation(conf, right)["AUC"]
        at = {t: precision_at(conf, right, t) for t in (0.3, 0.5, 0.7)}
        cells = "; ".join(f">={t}: {p:.3f} on {s:.0%}" for t, (p, s) in at.items())
        print(f"{name}: n={len(items)} AUC {auc:.3f}; {cells}")


if __name__ == "__main__":
    sys.exit(main())

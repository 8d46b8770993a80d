"""Other ranking functions on the same articles, in plain Python: true BM25F and query likelihood.

Usage: .venv/bin/python benchmarks/quality/models.py
Whoosh sums one saturated BM25 per field; true BM25F (Robertson et al., 2004) sums the weighted,
length-normalised term frequencies of all fields first and saturates once. Query likelihood with
Dirichlet smoothing is the usual alternative for long, verbose questions.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]

import eval_quality  # noqa: E402 - after the path tweak above
import lexical  # noqa: E402

from kbportal.search import analysis  # noqa: E402


class Corpus:
    """Per-article term counts of the title and the body, with collection statistics."""

    def __init__(self, docs: list[lexical.Doc]) -> None:
        self.slugs = [d.slug for d in docs]
        self.title = [Counter(analysis.terms_all(d.title)) for d in docs]
        self.body = [
            Counter(analysis.terms_all("\n".join(f"{h}\n{t}" for h, t in d.sections))) for d in docs
        ]
        self.n = len(docs)
        self.df: Counter[str] = Counter()
        for t, b in zip(self.title, self.body, strict=True):
            self.df.update(set(t) | set(b))
        self.tlen = [sum(c.values()) for c in self.title]
        self.blen = [sum(c.values()) for c in self.body]
        self.avg_t = sum(self.tlen) / self.n
        self.avg_b = sum(self.blen) / self.n
        self.cf: Counter[str] = Counter()
        for t, b in zip(self.title, self.body, strict=True):
            self.cf.update(t)
            self.cf.update(b)
        self.total = sum(self.cf.values())

    def idf(self, term: str) -> float:
        """Whoosh's idf (the best of those tried)."""
        return math.log(self.n / (self.df[term] + 1)) + 1

    def bm25f(self, terms: list[str], k1: float, wt: float, bt: float, bb: float) -> list[str]:
        """True BM25F: weighted normalised tf over title and body, saturated once."""
        scores = []
        for i in range(self.n):
            s = 0.0
            nt = 1 - bt + bt * self.tlen[i] / self.avg_t
            nb = 1 - bb + bb * self.blen[i] / self.avg_b
            for term in terms:
                tf = wt * self.title[i][term] / nt + self.body[i][term] / nb
                if tf:
                    s += self.idf(term) * tf / (k1 + tf)
            scores.append(s)
        return self._top(scores)

    def lm(self, terms: list[str], mu: float, wt: float) -> list[str]:
        """Query likelihood, Dirichlet smoothing; title counts wt times."""
        scores = []
        for i in range(self.n):
            length = self.blen[i] + wt * self.tlen[i]
            s = 0.0
            for term in terms:
                p_c = (self.cf[term] + 0.5) / (self.total + 1)
                tf = self.body[i][term] + wt * self.title[i][term]
                s += math.log((tf + mu * p_c) / (length + mu))
            scores.append(s)
        return self._top(scores)

    def _top(self, scores: list[float]) -> list[str]:
        order = sorted(range(self.n), key=lambda i: -scores[i])
        return [self.slugs[i] for i in order[:10]]


def main() -> None:
    """Print one row per model setting."""
    analysis.terms_all = lambda text: [t.text for t in analysis.text_analyzer()(text)]
    corpus = Corpus(lexical.load_articles(eval_quality.EVAL_DIR / "articles"))
    queries = eval_quality.load_queries()
    runs = {}
    for k1 in (1.2, 2.5, 4.0, 6.0, 10.0):
        for wt in (2.0, 4.0, 8.0, 20.0):
            for bt, bb in ((0.75, 0.75),):
                runs[f"bm25f k1={k1} wt={wt} bt={bt} bb={bb}"] = (
                    lambda terms, k1=k1, wt=wt, bt=bt, bb=bb: corpus.bm25f(terms, k1, wt, bt, bb)
                )
    for mu in (100.0, 300.0, 1000.0):
        for wt in (1.0, 3.0, 6.0):
            runs[f"lm mu={mu} wt={wt}"] = lambda terms, mu=mu, wt=wt: corpus.lm(terms, mu, wt)
    for name, fn in runs.items():
        m, _ = eval_quality.evaluate(lambda text, fn=fn: fn(analysis.terms(text)), queries)
        print(f"{name:40} {m['R@1']:.3f} {m['R@3']:.3f} {m['MRR@10']:.3f} {m['nDCG@10']:.3f}")


if __name__ == "__main__":
    main()

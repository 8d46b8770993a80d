"""The labelled eval sets: loading them, per-query outcomes, means and paired bootstrap CIs."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

# Beside the checkout (../shared/eval), like the tldr corpus; KBPORTAL_EVAL_DIR may point elsewhere.
EVAL_ROOT = Path(
    os.environ.get("KBPORTAL_EVAL_DIR") or Path(__file__).resolve().parents[3] / "shared" / "eval"
)
METRICS = ("R@1", "R@3", "MRR@10", "nDCG@10")


@dataclass(frozen=True)
class Query:
    """One labelled question and the slugs of the articles that answer it."""

    text: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Doc:
    """One article as the plain engines see it: slug, title and plain text."""

    slug: str
    title: str
    text: str


@dataclass(frozen=True)
class EvalSet:
    """A folder of articles/*.md and queries.jsonl."""

    name: str
    folder: Path
    locale: str
    queries: list[Query]
    docs: list[Doc]


def load_queries(folder: Path) -> list[Query]:
    """The labelled questions from queries.jsonl."""
    queries = []
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                queries.append(Query(row["query"], frozenset(row["relevant"])))
    return queries


def _plain(markdown: str) -> str:
    """Markdown reduced to words: links to their text, URLs and markup dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"[`*_>#|]+", " ", text)


def load_docs(folder: Path) -> tuple[list[Doc], str]:
    """The articles of a set, and the locale most of them name (default "en")."""
    docs, locales = [], []
    for path in sorted((folder / "articles").glob("*.md")):
        raw = path.read_text(encoding="utf-8")
        meta: dict = {}
        if raw.startswith("---\n"):
            head, _, raw = raw[4:].partition("\n---\n")
            meta = yaml.safe_load(head) or {}
        locales.append(str(meta.get("locale", "en")))
        slug = str(meta.get("slug", path.stem))
        docs.append(Doc(slug, str(meta.get("title", slug)), _plain(raw)))
    locale = max(set(locales), key=locales.count) if locales else "en"
    return docs, locale


def load_set(folder: Path) -> EvalSet:
    """One eval set by its folder."""
    docs, locale = load_docs(folder)
    return EvalSet(folder.name, folder, locale, load_queries(folder), docs)


def all_sets(root: Path = EVAL_ROOT) -> list[Path]:
    """Every set folder under the eval root (those with a queries.jsonl), by name."""
    return sorted(p for p in root.iterdir() if (p / "queries.jsonl").exists())


def outcome(ranked: list[str], relevant: frozenset[str]) -> dict[str, float]:
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


@dataclass
class Run:
    """One engine on one set: per-query outcomes, latencies and first-hit confidences."""

    engine: str
    per_query: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    millis: list[float] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)  # of the first hit; NaN if none

    def add(self, ranked: list[str], relevant: frozenset[str], millis: float) -> None:
        """Record one query's ranking and how long it took."""
        for key, value in outcome(ranked, relevant).items():
            self.per_query[key].append(value)
        self.millis.append(millis)

    def mean(self, metric: str) -> float:
        """The metric's mean over the queries."""
        values = self.per_query[metric]
        return sum(values) / len(values) if values else 0.0

    def p95(self) -> float:
        """95th percentile latency in milliseconds."""
        return float(np.percentile(self.millis, 95)) if self.millis else 0.0

    def to_json(self) -> dict:
        """The run as JSON (for comparing with a later run)."""
        return {"engine": self.engine, "per_query": self.per_query, "millis": self.millis}


def bootstrap(
    new: list[float], old: list[float], rounds: int = 2000, seed: int = 7
) -> tuple[float, float, float]:
    """Mean paired difference new - old and its 95% bootstrap interval (same queries)."""
    a, b = np.asarray(new, dtype=float), np.asarray(old, dtype=float)
    if a.shape != b.shape or not len(a):
        raise ValueError("paired bootstrap needs the same queries in both runs")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def separation(confidence: list[float], correct: list[float]) -> dict[str, float]:
    """How well first-hit confidences separate right first results from wrong: AUC and more."""
    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=float) > 0
    conf = np.where(np.isnan(conf), 0.0, conf)
    pos, neg = conf[right], conf[~right]
    if len(pos) and len(neg):
        # AUC = P(a right first hit scores above a wrong one), ties count half
        order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(1, len(order) + 1)
        allv = np.concatenate([pos, neg])
        for value in np.unique(allv):  # average ranks of ties
            tied = allv == value
            ranks[tied] = ranks[tied].mean()
        auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    else:
        auc = float("nan")
    return {"AUC": float(auc)}


def precision_at(confidence: list[float], correct: list[float], threshold: float) -> tuple:
    """(precision of the first result, share of queries shown) above a confidence threshold."""
    conf = np.nan_to_num(np.asarray(confidence, dtype=float), nan=0.0)
    right = np.asarray(correct, dtype=float) > 0
    shown = conf >= threshold
    if not shown.any():
        return float("nan"), 0.0
    return float(right[shown].mean()), float(shown.mean())

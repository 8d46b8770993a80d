"""Editors' figures from the search log, clicks and votes (no Flask; definitions in docs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbportal.analytics import rollup
from kbportal.analytics.models import (
    POSITION_COLUMNS,
    Click,
    Loss,
    SearchDaily,
    SearchRow,
    ViewCount,
    Vote,
)

TOP_LIMIT = 25
POSITION_BUCKETS = 10  # positions 1..10 each, then "11+"


@dataclass(frozen=True)
class Scope:
    """Which searches a report covers: days (inclusive), locale, surface and segment."""

    since: date
    until: date
    locale: str | None = None
    surface: str | None = None
    segment: str = "customer"

    @property
    def days(self) -> list[date]:
        """Every day of the period, oldest first."""
        return [self.since + timedelta(days=i) for i in range((self.until - self.since).days + 1)]


@dataclass
class Figures:
    """Counts for a day or a period, and the rates editors read from them."""

    searches: int = 0
    zero: int = 0
    with_results: int = 0
    clicked: int = 0
    corrected: int = 0
    reformulated: int = 0
    clicks: int = 0
    position_sum: int = 0

    def add(self, other: Figures) -> None:
        """Add another day's counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def no_click(self) -> int:
        """Searches with results and no click."""
        return self.with_results - self.clicked

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def zero_rate(self) -> float | None:
        """Share of searches that found nothing."""
        return self._rate(self.zero, self.searches)

    @property
    def no_click_rate(self) -> float | None:
        """Share of searches with results where nothing was opened."""
        return self._rate(self.no_click, self.with_results)

    @property
    def click_through_rate(self) -> float | None:
        """Share of searches with results where at least one result was opened (<= 1)."""
        return self._rate(self.clicked, self.with_results)

    @property
    def reformulation_rate(self) -> float | None:
        """Share of searches followed soon by a different search in the same session."""
        return self._rate(self.reformulated, self.searches)

    @property
    def corrected_rate(self) -> float | None:
        """Share of searches that search answered after correcting the spelling."""
        return self._rate(self.corrected, self.searches)

    @property
    def mean_position(self) -> float | None:
        """Mean position of the results clicked (1 = top)."""
        return self.position_sum / self.clicks if self.clicks else None


@dataclass
class Overview:
    """A period's figures: totals, each day's, and where clicked results stood."""

    scope: Scope
    total: Figures
    daily: list[tuple[date, Figures]]
    positions: list[tuple[str, int]]


def _where(stmt: Any, scope: Scope, table: Any = SearchRow) -> Any:
    """`stmt` limited to the scope's segment, days, locale and surface."""
    stmt = stmt.where(table.segment == scope.segment)
    stmt = stmt.where(table.day >= scope.since, table.day <= scope.until)
    if scope.locale:
        stmt = stmt.where(table.locale == scope.locale)
    if scope.surface:
        stmt = stmt.where(table.surface == scope.surface)
    return stmt


def overview(session: Session, scope: Scope) -> Overview:
    """Searches, zero-result, no-click, click-through, reformulation and correction by day.

    Days before the rollup horizon come from the daily aggregates, the rest from raw rows.
    """
    rolled = rollup.horizon(session)
    by_day: dict[date, Figures] = {}
    buckets = [0] * (POSITION_BUCKETS + 1)
    names = (*rollup.FIGURES, *POSITION_COLUMNS)
    kept = _where(
        select(SearchDaily.day, *(func.sum(getattr(SearchDaily, n)) for n in names)).group_by(
            SearchDaily.day
        ),
        scope,
        SearchDaily,
    )
    for day, *sums in session.execute(kept):
        counts = [int(n or 0) for n in sums]
        by_day.setdefault(day, Figures()).add(Figures(*counts[: len(rollup.FIGURES)]))
        for i, n in enumerate(counts[len(rollup.FIGURES) :]):
            buckets[i] += n
    if rolled is None or rolled <= scope.until:
        raw_scope = scope if rolled is None else replace(scope, since=max(scope.since, rolled))
        _raw_overview(session, raw_scope, by_day, buckets)
    labels = [str(i) for i in range(1, POSITION_BUCKETS + 1)] + [f"{POSITION_BUCKETS + 1}+"]
    total = Figures()
    daily = []
    for day in scope.days:
        figures = by_day.get(day, Figures())
        total.add(figures)
        daily.append((day, figures))
    return Overview(scope, total, daily, list(zip(labels, buckets, strict=True)))


def _raw_overview(
    session: Session, scope: Scope, by_day: dict[date, Figures], buckets: list[int]
) -> None:
    """Add the scope's figures from raw rows to `by_day` and the position histogram."""
    raw = _where(
        select(SearchRow.day, *rollup.search_counts()).group_by(SearchRow.day),
        scope,
    )
    for day, *counts in session.execute(raw):
        by_day.setdefault(day, Figures()).add(Figures(*(int(c or 0) for c in counts)))
    stmt = _where(
        select(SearchRow.day, Click.position, func.count())
        .join(Click, Click.search_id == SearchRow.id)
        .where(Click.position.is_not(None))
        .group_by(SearchRow.day, Click.position),
        scope,
    )
    for day, position, n in session.execute(stmt):
        position, n = int(position or 0), int(n)
        buckets[min(max(position, 1), POSITION_BUCKETS + 1) - 1] += n
        figures = by_day.setdefault(day, Figures())
        figures.clicks += n
        figures.position_sum += position * n


def lost_rows(session: Session, scope: Scope) -> int:
    """Rows found lost in the period: held unwritten by a process that died (journal)."""
    start = datetime.combine(scope.since, time.min, tzinfo=UTC)
    end = datetime.combine(scope.until + timedelta(days=1), time.min, tzinfo=UTC)
    stmt = select(func.sum(Loss.rows)).where(Loss.at >= start, Loss.at < end)
    return int(session.scalar(stmt) or 0)


@dataclass(frozen=True)
class TopSearch:
    """One normalised query: how often, how it was typed, and how it fared."""

    normalized: str
    example: str
    searches: int
    zero: int
    clicked: int
    sessions: int


def top_searches(session: Session, scope: Scope, limit: int = TOP_LIMIT) -> list[TopSearch]:
    """The commonest searches of the period, by normalised form.

    Ranked by counting entries of the covering index (segment, normalized, day, ...) alone;
    the figures, example phrasing and sessions are then read for the few queries shown.
    """
    count = func.count()
    stmt = _where(
        select(SearchRow.normalized, count)
        .group_by(SearchRow.normalized)
        .order_by(count.desc(), SearchRow.normalized)
        .limit(limit),
        scope,
    )
    names = [str(name) for name, _n in session.execute(stmt)]
    if not names:
        return []
    details = _where(
        select(
            SearchRow.normalized,
            func.min(SearchRow.query),
            func.count(),
            rollup.count_where(SearchRow.total == 0),
            rollup.count_where(SearchRow.clicks > 0),
            func.count(func.distinct(SearchRow.session_id)),
        )
        .where(SearchRow.normalized.in_(names))
        .group_by(SearchRow.normalized),
        scope,
    )
    found = {
        str(n): TopSearch(str(n), str(q), int(c), int(z or 0), int(k or 0), int(s))
        for n, q, c, z, k, s in session.execute(details)
    }
    return [found[name] for name in names if name in found]


@dataclass
class ArticleHelp:
    """How one article (at one version) fares with readers."""

    article: str
    version: str
    yes: int
    no: int
    smoothed: float
    reasons: dict[str, int] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    views: int = 0
    searches: list[tuple[str, int]] = field(default_factory=list)
    followups: dict[str, int] = field(default_factory=dict)  # e.g. {"requests": 3}

    @property
    def votes(self) -> int:
        """Votes counted (one per session)."""
        return self.yes + self.no


PRIOR_WEIGHT = 5  # votes' worth of the site-wide rate mixed into each article's rate

# Counters of what readers did after an article, e.g. requests filed after reading it; the
# request form registers one: fn(session, scope) -> {article key: count}.
FOLLOWUPS: dict[str, Callable[[Session, Scope], dict[str, int]]] = {}


def register_followup(name: str, counter: Callable[[Session, Scope], dict[str, int]]) -> None:
    """Add a column to "articles that do not help" (e.g. "requests" filed after reading)."""
    FOLLOWUPS[name] = counter


def unhelpful_articles(
    session: Session,
    scope: Scope,
    limit: int = TOP_LIMIT,
    keep: Callable[[str], bool] | None = None,
) -> list[ArticleHelp]:
    """Articles by smoothed helpful rate, least helpful first (each version apart)."""

    def scoped(stmt: Any) -> Any:
        stmt = stmt.where(
            Vote.segment == scope.segment, Vote.day >= scope.since, Vote.day <= scope.until
        )
        return stmt.where(Vote.locale == scope.locale) if scope.locale else stmt

    tally = scoped(
        select(
            Vote.article,
            Vote.version,
            rollup.count_where(Vote.helpful),
            rollup.count_where(~Vote.helpful),
        ).group_by(Vote.article, Vote.version)
    )
    found: dict[tuple[str, str], ArticleHelp] = {}
    total_yes = total = 0
    for article, version, yes, no in session.execute(tally):
        if keep is not None and not keep(article):
            continue
        item = ArticleHelp(article, version, int(yes or 0), int(no or 0), 0.0)
        found[(article, version)] = item
        total += item.votes
        total_yes += item.yes
    prior = total_yes / total if total else 0.5
    for item in found.values():
        item.smoothed = (item.yes + PRIOR_WEIGHT * prior) / (item.votes + PRIOR_WEIGHT)
    ranked = sorted(found.values(), key=lambda a: (a.smoothed, -a.votes, a.article))[:limit]
    keys = sorted({a.article for a in ranked})
    if keys:
        _reasons_and_comments(session, scoped, keys, found)
    views = _views(session, scope, keys)
    led = _searches_leading_to(session, scope, keys)
    extra = {name: counter(session, scope) for name, counter in FOLLOWUPS.items()}
    for item in ranked:
        item.views = views.get(item.article, 0)
        item.searches = led.get(item.article, [])
        item.followups = {name: counts.get(item.article, 0) for name, counts in extra.items()}
    return ranked


COMMENTS_SHOWN = 10


def _reasons_and_comments(
    session: Session,
    scoped: Callable[[Any], Any],
    keys: list[str],
    found: dict[tuple[str, str], ArticleHelp],
) -> None:
    """Fill in the reasons given and the latest comments of the ranked articles."""
    reasons = scoped(
        select(Vote.article, Vote.version, Vote.reason, func.count())
        .where(Vote.article.in_(keys), ~Vote.helpful, Vote.reason.is_not(None))
        .group_by(Vote.article, Vote.version, Vote.reason)
        .order_by(Vote.reason)
    )
    for article, version, reason, n in session.execute(reasons):
        if (item := found.get((article, version))) is not None:
            item.reasons[str(reason)] = int(n)
    for key in keys:
        comments = scoped(
            select(Vote.version, Vote.comment)
            .where(Vote.article == key, Vote.comment.is_not(None), Vote.comment != "")
            .order_by(Vote.at.desc())
            .limit(COMMENTS_SHOWN * 3)
        )
        for version, comment in session.execute(comments):
            item = found.get((key, version))
            if item is not None and len(item.comments) < COMMENTS_SHOWN:
                item.comments.append(str(comment))


def _views(session: Session, scope: Scope, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    stmt = (
        select(ViewCount.article, func.sum(ViewCount.views))
        .where(ViewCount.article.in_(keys), ViewCount.day >= scope.since)
        .where(ViewCount.day <= scope.until)
        .group_by(ViewCount.article)
    )
    return {str(a): int(n or 0) for a, n in session.execute(stmt)}


def _searches_leading_to(
    session: Session, scope: Scope, keys: list[str], per_article: int = 5
) -> dict[str, list[tuple[str, int]]]:
    """The queries whose results readers opened the article from, commonest first.

    Counted from the clicks' covering index (article, day, segment, surface, normalized);
    the phrasing shown for each query is then read from the search log's index.
    """
    if not keys:
        return {}
    count = func.count()
    stmt = (
        select(Click.article, Click.normalized, count)
        .where(Click.article.in_(keys), Click.segment == scope.segment)
        .where(Click.day >= scope.since, Click.day <= scope.until)
        .where(Click.normalized.is_not(None))
        .group_by(Click.article, Click.normalized)
        .order_by(count.desc(), Click.normalized)
    )
    if scope.surface:
        stmt = stmt.where(Click.surface == scope.surface)
    top: dict[str, list[tuple[str, int]]] = {}
    for article, normalized, n in session.execute(stmt):
        items = top.setdefault(str(article), [])
        if len(items) < per_article:
            items.append((str(normalized), int(n)))
    names = sorted({name for items in top.values() for name, _n in items})
    examples: dict[str, str] = {}
    if names:
        phrasing = select(SearchRow.normalized, func.min(SearchRow.query)).where(
            SearchRow.segment == scope.segment, SearchRow.normalized.in_(names)
        )
        for name, example in session.execute(phrasing.group_by(SearchRow.normalized)):
            examples[str(name)] = str(example)
    return {
        article: [(examples.get(name, name), n) for name, n in items]
        for article, items in top.items()
    }


@dataclass
class QueryDetail:
    """One normalised query: its rows by day, how it was typed, what was shown and clicked."""

    normalized: str
    daily: list[tuple[date, int, int]]  # day, searches, zero-result
    phrasings: list[tuple[str, int]]
    shown: list[tuple[str, int]]
    clicked: list[tuple[str, int]]


SHOWN_SAMPLE = 1000  # latest searches whose results are tallied for "what was shown"


def query_detail(session: Session, scope: Scope, normalized: str) -> QueryDetail:
    """Everything the log knows about one normalised query in the period."""

    def scoped(stmt: Any) -> Any:
        return _where(stmt.where(SearchRow.normalized == normalized), scope)

    count = func.count()
    daily = session.execute(
        scoped(
            select(SearchRow.day, count, rollup.count_where(SearchRow.total == 0))
            .group_by(SearchRow.day)
            .order_by(SearchRow.day)
        )
    ).all()
    phrasings = session.execute(
        scoped(
            select(SearchRow.query, count)
            .group_by(SearchRow.query)
            .order_by(count.desc(), SearchRow.query)
            .limit(50)
        )
    ).all()
    # What search showed lately (the index changes, so the latest rows say the most).
    shown: dict[str, int] = {}
    latest = scoped(select(SearchRow.shown).order_by(SearchRow.at.desc()).limit(SHOWN_SAMPLE))
    for text in session.scalars(latest):
        for key in text.splitlines()[:3]:
            shown[key] = shown.get(key, 0) + 1
    clicked = session.execute(
        scoped(
            select(Click.article, count)
            .join(SearchRow, SearchRow.id == Click.search_id)
            .group_by(Click.article)
            .order_by(count.desc(), Click.article)
            .limit(20)
        )
    ).all()
    return QueryDetail(
        normalized,
        [(d, int(n), int(z or 0)) for d, n, z in daily],
        [(str(q), int(n)) for q, n in phrasings],
        sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))[:20],
        [(str(a), int(n)) for a, n in clicked],
    )

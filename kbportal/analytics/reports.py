"""Editors' figures from the search log, clicks and votes (no Flask; definitions in docs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from kbportal.analytics.models import Click, SearchDaily, SearchRow, ViewCount, Vote

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


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def overview(session: Session, scope: Scope) -> Overview:
    """Searches, zero-result, no-click, click-through, reformulation and correction by day."""
    has_results = SearchRow.total > 0
    raw = _where(
        select(
            SearchRow.day,
            func.count(),
            _count(SearchRow.total == 0),
            _count(has_results),
            _count(and_(has_results, SearchRow.clicks > 0)),
            _count(SearchRow.corrected.is_not(None)),
            _count(SearchRow.reformulated),
        ).group_by(SearchRow.day),
        scope,
    )
    by_day: dict[date, Figures] = {}
    for day, *counts in session.execute(raw):
        by_day[day] = Figures(*(int(c or 0) for c in counts))
    # Days whose raw rows the retention purge removed live on as daily aggregates (the purge
    # moves whole days, so a day is either raw or aggregated, never both).
    kept = _where(select(SearchDaily), scope, SearchDaily)
    for agg in session.scalars(kept):
        figures = by_day.setdefault(agg.day, Figures())
        figures.add(
            Figures(
                agg.searches,
                agg.zero,
                agg.with_results,
                agg.clicked,
                agg.corrected,
                agg.reformulated,
                agg.clicks,
                agg.position_sum,
            )
        )
    positions, clicks_by_day = _positions(session, scope)
    for day, (n, total_position) in clicks_by_day.items():
        figures = by_day.setdefault(day, Figures())
        figures.clicks += n
        figures.position_sum += total_position
    total = Figures()
    daily = []
    for day in scope.days:
        figures = by_day.get(day, Figures())
        total.add(figures)
        daily.append((day, figures))
    return Overview(scope, total, daily, positions)


def _positions(
    session: Session, scope: Scope
) -> tuple[list[tuple[str, int]], dict[date, tuple[int, int]]]:
    """The histogram of clicked positions, and each day's clicks and position sum."""
    stmt = _where(
        select(SearchRow.day, Click.position, func.count())
        .join(Click, Click.search_id == SearchRow.id)
        .where(Click.position.is_not(None))
        .group_by(SearchRow.day, Click.position),
        scope,
    )
    buckets = [0] * (POSITION_BUCKETS + 1)
    per_day: dict[date, tuple[int, int]] = {}
    for day, position, n in session.execute(stmt):
        position, n = int(position or 0), int(n)
        buckets[min(max(position, 1), POSITION_BUCKETS + 1) - 1] += n
        clicks, total = per_day.get(day, (0, 0))
        per_day[day] = (clicks + n, total + position * n)
    labels = [str(i) for i in range(1, POSITION_BUCKETS + 1)] + [f"{POSITION_BUCKETS + 1}+"]
    return list(zip(labels, buckets, strict=True)), per_day


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
    """The commonest searches of the period, by normalised form."""
    count = func.count()
    stmt = _where(
        select(
            SearchRow.normalized,
            func.min(SearchRow.query),
            count,
            _count(SearchRow.total == 0),
            _count(SearchRow.clicks > 0),
            func.count(func.distinct(SearchRow.session_id)),
        )
        .group_by(SearchRow.normalized)
        .order_by(count.desc(), SearchRow.normalized)
        .limit(limit),
        scope,
    )
    return [
        TopSearch(str(n), str(example), int(c), int(z or 0), int(k or 0), int(s))
        for n, example, c, z, k, s in session.execute(stmt)
    ]


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
    votes = select(Vote).where(
        Vote.segment == scope.segment, Vote.day >= scope.since, Vote.day <= scope.until
    )
    if scope.locale:
        votes = votes.where(Vote.locale == scope.locale)
    found: dict[tuple[str, str], ArticleHelp] = {}
    total_yes = total = 0
    for vote in session.scalars(votes.order_by(Vote.at.desc())):
        if keep is not None and not keep(vote.article):
            continue
        item = found.setdefault(
            (vote.article, vote.version), ArticleHelp(vote.article, vote.version, 0, 0, 0.0)
        )
        total += 1
        if vote.helpful:
            item.yes += 1
            total_yes += 1
        else:
            item.no += 1
            if vote.reason:
                item.reasons[vote.reason] = item.reasons.get(vote.reason, 0) + 1
        if vote.comment and len(item.comments) < 10:
            item.comments.append(vote.comment)
    prior = total_yes / total if total else 0.5
    for item in found.values():
        item.smoothed = (item.yes + PRIOR_WEIGHT * prior) / (item.votes + PRIOR_WEIGHT)
    ranked = sorted(found.values(), key=lambda a: (a.smoothed, -a.votes, a.article))[:limit]
    keys = sorted({a.article for a in ranked})
    views = _views(session, scope, keys)
    led = _searches_leading_to(session, scope, keys)
    extra = {name: counter(session, scope) for name, counter in FOLLOWUPS.items()}
    for item in ranked:
        item.views = views.get(item.article, 0)
        item.searches = led.get(item.article, [])
        item.followups = {name: counts.get(item.article, 0) for name, counts in extra.items()}
    return ranked


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
    """The queries whose results readers opened the article from, commonest first."""
    if not keys:
        return {}
    count = func.count()
    stmt = _where(
        select(Click.article, func.min(SearchRow.query), count)
        .join(SearchRow, SearchRow.id == Click.search_id)
        .where(Click.article.in_(keys))
        .group_by(Click.article, SearchRow.normalized)
        .order_by(count.desc()),
        scope,
    )
    led: dict[str, list[tuple[str, int]]] = {}
    for article, query, n in session.execute(stmt):
        items = led.setdefault(str(article), [])
        if len(items) < per_article:
            items.append((str(query), int(n)))
    return led


@dataclass
class QueryDetail:
    """One normalised query: its rows by day, how it was typed, what was shown and clicked."""

    normalized: str
    daily: list[tuple[date, int, int]]  # day, searches, zero-result
    phrasings: list[tuple[str, int]]
    shown: list[tuple[str, int]]
    clicked: list[tuple[str, int]]


def query_detail(session: Session, scope: Scope, normalized: str) -> QueryDetail:
    """Everything the log knows about one normalised query in the period."""
    base = _where(select(SearchRow).where(SearchRow.normalized == normalized), scope)
    daily: dict[date, list[int]] = {}
    phrasings: dict[str, int] = {}
    shown: dict[str, int] = {}
    ids = []
    for row in session.scalars(base.limit(20_000)):
        day = daily.setdefault(row.day, [0, 0])
        day[0] += 1
        day[1] += row.total == 0
        phrasings[row.query] = phrasings.get(row.query, 0) + 1
        for key in row.shown.splitlines()[:3]:
            shown[key] = shown.get(key, 0) + 1
        ids.append(row.id)
    clicked: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        stmt = (
            select(Click.article, func.count())
            .where(Click.search_id.in_(ids[start : start + 500]))
            .group_by(Click.article)
        )
        for article, n in session.execute(stmt):
            clicked[str(article)] = clicked.get(str(article), 0) + int(n)

    def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    return QueryDetail(
        normalized,
        [(d, v[0], v[1]) for d, v in sorted(daily.items())],
        ranked(phrasings),
        ranked(shown)[:20],
        ranked(clicked)[:20],
    )

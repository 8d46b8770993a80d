"""Articles agents copy often but customers rarely reach by search: their words are missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kbportal.analytics.models import AgentCopy, Click, ViewCount
from kbportal.analytics.reports import TOP_LIMIT, Scope

MIN_COPIES = 3  # fewer copies say little about what customers need
CANDIDATES = 500  # most copied articles considered


@dataclass(frozen=True)
class CopiedArticle:
    """An article agents sent by link, beside how often customers' searches opened it."""

    article: str
    copies: int
    agents: int
    search_clicks: int
    views: int

    @property
    def clicks_per_copy(self) -> float:
        """Customers' search clicks per agent copy: low means search rarely leads there."""
        return self.search_clicks / self.copies


def copied_not_found(
    session: Session,
    scope: Scope,
    limit: int = TOP_LIMIT,
    keep: Callable[[str], bool] | None = None,
) -> list[CopiedArticle]:
    """Articles copied at least MIN_COPIES times, fewest customer search clicks per copy first.

    Copies are agents' copied links in the period; clicks are customers' clicks from search
    results on the article in the period (whatever segment the page shows: the question is
    whether customers find it themselves). `keep` leaves out articles customers cannot
    reach at all (internal ones): search could never lead them there.
    """
    start = datetime.combine(scope.since, time.min, tzinfo=UTC)
    end = datetime.combine(scope.until + timedelta(days=1), time.min, tzinfo=UTC)
    copies = func.count(AgentCopy.id)
    stmt = (
        select(AgentCopy.article, copies, func.count(func.distinct(AgentCopy.user_id)))
        .where(AgentCopy.kind == "link", AgentCopy.at >= start, AgentCopy.at < end)
        .group_by(AgentCopy.article)
        .having(copies >= MIN_COPIES)
        .order_by(copies.desc(), AgentCopy.article)
        .limit(CANDIDATES)
    )
    if scope.locale:
        stmt = stmt.where(AgentCopy.article.startswith(f"{scope.locale}/", autoescape=True))
    found = [
        (str(a), int(n), int(k))
        for a, n, k in session.execute(stmt)
        if keep is None or keep(str(a))
    ]
    keys = [a for a, _n, _k in found]
    clicks: dict[str, int] = {}
    views: dict[str, int] = {}
    if keys:
        clicked = (
            select(Click.article, func.count())
            .where(Click.article.in_(keys), Click.segment == "customer")
            .where(Click.day >= scope.since, Click.day <= scope.until)
            .group_by(Click.article)
        )
        if scope.surface:
            clicked = clicked.where(Click.surface == scope.surface)
        clicks = {str(a): int(n) for a, n in session.execute(clicked)}
        viewed = (
            select(ViewCount.article, func.sum(ViewCount.views))
            .where(ViewCount.article.in_(keys))
            .where(ViewCount.day >= scope.since, ViewCount.day <= scope.until)
            .group_by(ViewCount.article)
        )
        views = {str(a): int(n or 0) for a, n in session.execute(viewed)}
    items = [CopiedArticle(a, n, k, clicks.get(a, 0), views.get(a, 0)) for a, n, k in found]
    items.sort(key=lambda c: (c.clicks_per_copy, -c.copies, c.article))
    return items[:limit]

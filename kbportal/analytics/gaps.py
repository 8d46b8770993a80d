"""Gaps: failed searches from the log, grouped, with their status, and a draft for each."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from kbportal.analytics.grouping import FailedQuery, Group, group
from kbportal.analytics.models import GapDecision, SearchRow
from kbportal.analytics.reports import Scope, _where
from kbportal.analytics.rollup import count_where
from kbportal.db import utcnow

MAX_ROWS = 500_000  # failed rows read per report (a year of a busy portal)
STATUS_GROUPS = 50  # groups whose "answered" status is worked out (the ones shown first)
MAX_QUESTIONS = 20


def failed_queries(session: Session, scope: Scope) -> list[FailedQuery]:
    """Zero-result and no-click searches of the scope, one item per normalised query."""
    failed = or_(SearchRow.total == 0, SearchRow.clicks == 0)
    stmt = _where(
        select(
            SearchRow.normalized,
            SearchRow.query,
            SearchRow.locale,
            SearchRow.session_id,
            SearchRow.at,
            SearchRow.total,
            SearchRow.shown,
        ).where(failed),
        scope,
    ).limit(MAX_ROWS)
    items: dict[str, FailedQuery] = {}
    for normalized, query, locale, session_id, at, total, shown in session.execute(stmt):
        if not normalized:
            continue
        item = items.get(normalized)
        if item is None:
            item = items[normalized] = FailedQuery(normalized, locale)
        item.phrasings[query] += 1
        item.searches += 1
        item.zero += total == 0
        # Rows without a session (Do-Not-Track) still count as people: one per row.
        item.sessions.add(session_id or f"row:{item.searches}:{normalized}")
        item.first = at if item.first is None or at < item.first else item.first
        item.last = at if item.last is None or at > item.last else item.last
        if shown:
            item.answers[shown.split("\n", 1)[0].partition("#")[0]] += 1
    return list(items.values())


def decisions(session: Session) -> dict[str, str]:
    """Editors' grouping decisions: normalised query -> the query it joins ("" = alone)."""
    return {d.normalized: d.target for d in session.scalars(select(GapDecision))}


def decide(
    session: Session, members: Iterable[str], label: str, user_id: int | None, now: datetime
) -> None:
    """Give `members` one editor's label (they form one group); commits."""
    names = sorted({m[:500] for m in members if m})
    session.execute(delete(GapDecision).where(GapDecision.normalized.in_(names)))
    session.add_all(
        GapDecision(normalized=name, target=label[:500], at=now, user_id=user_id) for name in names
    )
    session.commit()


def merge(session: Session, groups: list[Group], ids: Iterable[str], user_id: int | None) -> bool:
    """Merge the groups with these ids into one (persisted); False when fewer than two exist."""
    chosen = [g for g in groups if g.id in set(ids)]
    if len(chosen) < 2:
        return False
    label = "merged:" + max(chosen, key=lambda g: g.searches).anchor.normalized
    members = [m.normalized for g in chosen for m in g.members]
    decide(session, members, label, user_id, utcnow())
    return True


def split(session: Session, normalized: str, user_id: int | None) -> None:
    """Take one normalised query out of its group for good (persisted)."""
    decide(session, [normalized], f"solo:{normalized}", user_id, utcnow())


@dataclass(frozen=True)
class Status:
    """Whether customers' phrasings of a group now find and open an article."""

    answered: bool
    since: datetime | None = None
    zero_before: float | None = None  # zero-result rate before the first opened answer
    zero_after: float | None = None


def status(session: Session, scope: Scope, found: Group) -> Status:
    """A group is answered once a phrasing found and opened an article and it keeps finding.

    The change is the first search of the group's phrasings with a click; answered when,
    from then on, at least two searches were made and at most one in five found nothing.
    """
    names = [m.normalized for m in found.members]

    def scoped(stmt: Any) -> Any:
        return _where(stmt.where(SearchRow.normalized.in_(names)), scope)

    change = session.scalar(scoped(select(func.min(SearchRow.at)).where(SearchRow.clicks > 0)))
    if change is None:
        return Status(False)
    before = SearchRow.at < change
    zero = SearchRow.total == 0
    counts = session.execute(
        scoped(
            select(
                count_where(before),
                count_where(and_(before, zero)),
                func.count(),
                count_where(zero),
            )
        )
    ).one()
    n_before, zero_before, n_all, zero_all = (int(c or 0) for c in counts)
    n_after, zero_after = n_all - n_before, zero_all - zero_before

    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    after_rate = rate(zero_after, n_after)
    answered = n_after >= 2 and after_rate is not None and after_rate <= 0.2
    return Status(answered, change, rate(zero_before, n_before), after_rate)


def statuses(session: Session, scope: Scope, groups: Sequence[Group]) -> dict[str, Status]:
    """The status of the first STATUS_GROUPS groups (the ones pages and the API show)."""
    return {g.id: status(session, scope, g) for g in groups[:STATUS_GROUPS]}


def gap_groups(session: Session, scope: Scope) -> list[Group]:
    """Failed searches of the scope grouped by meaning, editors' decisions applied."""
    return group(failed_queries(session, scope), decisions(session))


_SLUG = re.compile(r"[^\w]+", re.UNICODE)


def slug_for(title: str, fallback: str) -> str:
    """A file name for a draft: the title's words joined by hyphens."""
    slug = _SLUG.sub("-", title.lower()).strip("-_")[:60].strip("-_")
    return slug or fallback


def draft_text(found: Group, category: str) -> str:
    """A draft article for a group: front matter with the customers' phrasings, a stub body."""
    title = found.title[:1].upper() + found.title[1:]
    meta: dict[str, object] = {"title": title, "draft": True}
    if category:
        meta["category"] = category
    meta["questions"] = [text for text, _n in found.phrasings[:MAX_QUESTIONS]]
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    first = found.first.date().isoformat() if found.first else "?"
    last = found.last.date().isoformat() if found.last else "?"
    return (
        f"---\n{front}---\n"
        f"<!-- Drafted by `kbportal gaps scaffold {found.id}`: {found.searches} searches from "
        f"{found.sessions} sessions ({first} to {last}) found nothing or opened nothing. Write "
        "the answer, remove `draft: true`, and push: the questions above become findable. -->\n\n"
        f"{title}\n"
    )


def scaffold(
    found: Group,
    articles_dir: Path,
    category_of: Callable[[Group], str],
    output: Path | None = None,
) -> Path:
    """Write a draft for the group into the articles tree (or to `output`); returns its path."""
    locale = found.locales[0] if found.locales else "en"
    category = category_of(found)
    if output is None:
        folder = articles_dir / locale / category if category else articles_dir / locale
        base = slug_for(found.title, f"draft-{found.id}")
        output = folder / f"{base}.md"
        n = 2
        while output.exists():
            output = folder / f"{base}-{n}.md"
            n += 1
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "x", encoding="utf-8") as handle:  # never overwrite an article
        handle.write(draft_text(found, category))
    return output

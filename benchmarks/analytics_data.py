"""A year of generated analytics rows, bulk-loaded (COPY on PostgreSQL, executemany on SQLite).

Searches over 365 days (30% Russian, 10% bots, 2% staff), `failed` of them with no result,
exactly `clicks` of them clicked once (spread evenly), votes, daily view counters and agents'
copied links on the sample site's articles. Seeded: the same rows every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

WORDS = [
    "refund",
    "invoice",
    "password",
    "card",
    "subscription",
    "cancel",
    "export",
    "calendar",
    "reminder",
    "booking",
    "staff",
    "team",
    "deposit",
    "payment",
    "plan",
    "annual",
    "vat",
    "email",
    "language",
    "theme",
    "dark",
    "mobile",
    "app",
    "widget",
    "branch",
    "location",
    "hours",
    "schedule",
    "sms",
    "notification",
    "account",
    "delete",
    "change",
    "update",
    "reset",
    "login",
    "error",
]
RU = [
    "возврат",
    "счет",
    "пароль",
    "карта",
    "подписка",
    "отменить",
    "выгрузка",
    "календарь",
    "запись",
    "сотрудник",
]
CHUNK = 50_000

SEARCH_COLUMNS = (
    "id", "at", "day", "session_id", "user_id", "surface", "locale", "query", "normalized",
    "total", "corrected", "shown", "filters", "segment", "page", "clicks", "reformulated",
)  # fmt: skip
CLICK_COLUMNS = (
    "search_id", "at", "day", "article", "section", "position", "session_id", "segment",
    "surface", "normalized",
)  # fmt: skip
VOTE_COLUMNS = (
    "at", "day", "article", "locale", "version", "session_id", "helpful", "reason", "comment",
    "segment",
)  # fmt: skip
VIEW_COLUMNS = ("day", "article", "locale", "views")
COPY_COLUMNS = ("kind", "at", "article", "section", "how", "user_id")
REASONS = ("outdated", "unclear", "missing", "unsolved", "other")


def query(rng: random.Random) -> str:
    pool = RU if rng.random() < 0.3 else WORDS
    return " ".join(rng.sample(pool, rng.randint(1, 3)))


class Year:
    """The generated rows, as tuples in each table's column order."""

    def __init__(
        self, articles: Sequence[str], rows: int, clicks: int, failed: int, seed: int = 1
    ) -> None:
        self.articles = list(articles)
        self.rows, self.clicks, self.failed = rows, clicks, failed
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.seed = seed

    def _at(self, rng: random.Random) -> datetime:
        return self.now - timedelta(seconds=rng.randrange(365 * 86400))

    def searches(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Search rows, and after each clicked one the click, as ("s"|"c", row)."""
        rng = random.Random(self.seed)
        rows, clicks = self.rows, self.clicks
        zero_share = self.failed / max(rows - clicks, 1)
        for i in range(1, rows + 1):
            clicked = (i * clicks) // rows != ((i - 1) * clicks) // rows
            at = self._at(rng)
            q = query(rng)
            total = 0 if not clicked and rng.random() < zero_share else rng.randint(1, 30)
            shown = rng.sample(self.articles, 3) if total else []
            segment = rng.choices(("customer", "bot", "staff"), (88, 10, 2))[0]
            surface = rng.choice(("page", "suggest", "api", "widget"))
            session = f"s{rng.randrange(rows // 2 + 1)}"
            yield "s", (
                i, at, at.date(), session, None, surface, "ru" if q.split()[0] in RU else "en",
                q, " ".join(sorted(set(q.split()))), total,
                q if rng.random() < 0.03 else None, "\n".join(shown), "", segment, 1,
                int(clicked), rng.random() < 0.1,
            )  # fmt: skip
            if clicked:
                position = min(int(rng.expovariate(0.4)) + 1, 14)
                yield "c", (
                    i, at + timedelta(seconds=5), at.date(), rng.choice(shown), "", position,
                    session, segment, surface, " ".join(sorted(set(q.split()))),
                )  # fmt: skip

    def votes(self, n: int) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed + 1)
        for i in range(n):
            at = self._at(rng)
            article = rng.choice(self.articles)
            helpful = rng.random() < 0.7
            yield (
                at, at.date(), article, article.partition("/")[0], rng.choice(("v1", "v2")),
                f"v{i}", helpful, None if helpful else rng.choice(REASONS),
                "Could be clearer" if not helpful and rng.random() < 0.3 else None, "customer",
            )  # fmt: skip

    def views(self) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed + 2)
        today = self.now.date()
        for back in range(365):
            day: date = today - timedelta(days=back)
            for article in self.articles:
                yield day, article, article.partition("/")[0], rng.randint(0, 400)

    def copies(self, n: int, users: Sequence[int]) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed + 3)
        for _ in range(n):
            yield "link", self._at(rng), rng.choice(self.articles), None, "url", rng.choice(users)


def load(
    engine: Engine, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    """Bulk-load rows: COPY on PostgreSQL, one executemany per chunk on SQLite."""
    raw: Any = engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        names = ", ".join(f'"{c}"' for c in columns)
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            chunk: list[tuple[Any, ...]] = []
            for row in rows:
                chunk.append(tuple(_sqlite(v) for v in row))
                if len(chunk) >= CHUNK:
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            cursor.executemany(sql, chunk)
            count += len(chunk)
        raw.commit()
    finally:
        raw.close()
    return count


def _sqlite(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (naive UTC text timestamps, ISO dates)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def split(
    stream: Iterator[tuple[str, tuple[Any, ...]]], clicks: list[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """The search rows of `stream`, keeping its clicks aside in `clicks`."""
    for kind, row in stream:
        if kind == "s":
            yield row
        else:
            clicks.append(row)

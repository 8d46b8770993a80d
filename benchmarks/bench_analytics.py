"""Analytics at scale: insights queries over N search rows and M clicks, and grouping failures.

Generates rows with a script (no data set downloaded), then times every insights report
(median of 3) and the grouping of the failed searches; SQLite by default, --url for PostgreSQL.

    .venv/bin/python benchmarks/bench_analytics.py [--rows 1000000] [--clicks 200000]
        [--failed 50000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from kbportal.analytics import reports
from kbportal.analytics.gaps import failed_queries
from kbportal.analytics.grouping import group
from kbportal.analytics.models import Click, SearchRow
from kbportal.db import make_engine, upgrade

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


def query(rng: random.Random) -> str:
    pool = RU if rng.random() < 0.3 else WORDS
    return " ".join(rng.sample(pool, rng.randint(1, 3)))


def generate(url: str, rows: int, clicks: int, failed_share: float, seed: int = 1) -> None:
    """Fill the search log: `rows` searches over a year, `clicks` clicks on them."""
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    batch: list[dict[str, object]] = []
    with engine.begin() as conn:
        for i in range(1, rows + 1):
            at = now - timedelta(seconds=rng.randrange(365 * 86400))
            q = query(rng)
            total = 0 if rng.random() < failed_share else rng.randint(1, 30)
            batch.append(
                {
                    "id": i, "at": at, "day": at.date(), "session_id": f"s{rng.randrange(rows)}",
                    "user_id": None, "surface": rng.choice(("page", "suggest", "api", "widget")),
                    "locale": "ru" if q.split()[0] in RU else "en", "query": q,
                    "normalized": " ".join(sorted(set(q.split()))), "total": total,
                    "corrected": None, "shown": "" if not total else "en/billing/refunds",
                    "filters": "", "segment": "customer" if rng.random() < 0.9 else "bot",
                    "page": 1, "clicks": int(i <= clicks), "reformulated": rng.random() < 0.1,
                }
            )  # fmt: skip
            if len(batch) >= 20_000:
                conn.execute(insert(SearchRow), batch)
                batch = []
        if batch:
            conn.execute(insert(SearchRow), batch)
        click_rows = []
        for i in range(1, clicks + 1):
            at = now - timedelta(seconds=rng.randrange(365 * 86400))
            click_rows.append(
                {"search_id": i, "at": at, "day": at.date(), "article": "en/billing/refunds",
                 "section": "", "position": rng.randint(1, 12), "session_id": None,
                 "segment": "customer", "surface": "page"}
            )  # fmt: skip
            if len(click_rows) >= 20_000:
                conn.execute(insert(Click), click_rows)
                click_rows = []
        if click_rows:
            conn.execute(insert(Click), click_rows)
    engine.dispose()


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return round(statistics.median(runs), 3)


def run(url: str, rows: int, clicks: int, failed: int) -> dict[str, object]:
    started = time.perf_counter()
    generate(url, rows, clicks, failed_share=min(failed / rows, 1.0) if rows else 0)
    generated = round(time.perf_counter() - started, 1)
    engine = make_engine(url)
    sessions = sessionmaker(engine)
    today = datetime.now(UTC).date()
    out: dict[str, object] = {"rows": rows, "clicks": clicks, "generate_s": generated}
    for days in (30, 365):
        scope = reports.Scope(today - timedelta(days=days - 1), today)
        with sessions() as s:
            for name, report in (
                ("overview", reports.overview),
                ("top_searches", reports.top_searches),
                ("articles", reports.unhelpful_articles),
            ):
                out[f"{name}_{days}d_s"] = timed(lambda r=report, sc=scope: r(s, sc))
            out[f"query_detail_{days}d_s"] = timed(
                lambda sc=scope: reports.query_detail(s, sc, "refund")
            )
    scope = reports.Scope(today - timedelta(days=364), today)
    with sessions() as s:
        start = time.perf_counter()
        items = failed_queries(s, scope)
        read = time.perf_counter() - start
        start = time.perf_counter()
        groups = group(items)
        out["failed_searches"] = sum(i.searches for i in items)
        out["failed_distinct"] = len(items)
        out["groups"] = len(groups)
        out["grouping_read_s"] = round(read, 2)
        out["grouping_s"] = round(time.perf_counter() - start, 2)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--failed", type=int, default=50_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'analytics.sqlite'}"
        report = {"backend": url.split(":", 1)[0], **run(url, args.rows, args.clicks, args.failed)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

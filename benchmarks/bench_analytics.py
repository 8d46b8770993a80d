"""Analytics at scale: every /staff/insights page and API report over a year of generated rows.

Generates N searches, M clicks, votes, view counters and agents' copies with a script
(analytics_data.py; bulk COPY / executemany, nothing downloaded), folds closed days into the
daily figures as a serving process does every hour, then times each page through the real app
(Flask test client, a signed-in editor; median of 3), and the grouping of failed searches.
SQLite in a temporary folder by default; --database-url for PostgreSQL (a schema of its own,
dropped afterwards).

    .venv/bin/python benchmarks/bench_analytics.py [--rows 1000000] [--clicks 200000]
        [--failed 50000] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analytics_data as data  # noqa: E402

from kbportal import create_app, publish  # noqa: E402
from kbportal.accounts import services  # noqa: E402
from kbportal.analytics import get_analytics, reports, rollup  # noqa: E402
from kbportal.analytics.gaps import failed_queries  # noqa: E402
from kbportal.analytics.grouping import group  # noqa: E402
from kbportal.db import get_database, make_engine, upgrade, utcnow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 12345"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextmanager
def database(url: str, folder: Path) -> Iterator[str]:
    """The URL to fill: SQLite in `folder`, or a new schema in the PostgreSQL at `url`."""
    if not url:
        yield f"sqlite:///{folder / 'analytics.sqlite'}"
        return
    name = "kbp_bench_" + secrets.token_hex(4)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def generate(url: str, args: argparse.Namespace, articles: list[str]) -> dict[str, Any]:
    """Create the schema, an editor and agents, and bulk-load a year of rows."""
    engine = make_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        services.create_user(session, "editor@example.com", PASSWORD, role="editor")
        users = [
            services.create_user(session, f"agent{i}@example.com", PASSWORD, role="agent").id
            for i in range(8)
        ]
        session.commit()
    year = data.Year(articles, args.rows, args.clicks, args.failed)
    started = time.perf_counter()
    clicks: list[tuple[Any, ...]] = []
    out = {"searches": data.load(engine, "search_log", data.SEARCH_COLUMNS,
                                 data.split(year.searches(), clicks))}  # fmt: skip
    out["clicks"] = data.load(engine, "search_clicks", data.CLICK_COLUMNS, iter(clicks))
    out["votes"] = data.load(engine, "article_votes", data.VOTE_COLUMNS, year.votes(args.votes))
    out["view_counters"] = data.load(engine, "view_counts", data.VIEW_COLUMNS, year.views())
    out["copies"] = data.load(
        engine, "agent_copies", data.COPY_COLUMNS, year.copies(args.copies, users)
    )
    out["generate_s"] = round(time.perf_counter() - started, 1)
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk insert (statistics, the visibility map that lets
        # the covering indexes answer alone), done now rather than minutes later.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    started = time.perf_counter()
    from sqlalchemy.orm import sessionmaker

    out["rollup_rows"] = rollup.roll_up(sessionmaker(engine), utcnow().date())
    out["first_rollup_s"] = round(time.perf_counter() - started, 2)
    engine.dispose()
    return out


def timed(fn: Callable[[], Any], runs: int = 3) -> dict[str, float]:
    """Median wall seconds of `runs` calls, and this process's CPU seconds (median) beside:
    on a shared, loaded machine the CPU time says what the page itself costs (on SQLite it
    includes the database's work, which runs in this process; on PostgreSQL it does not)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"wall": round(statistics.median(wall), 3), "cpu": round(statistics.median(cpu), 3)}


def pages(url: str, folder: Path) -> dict[str, Any]:
    """Time every insights page and API report on the real app, as a signed-in editor."""
    app = create_app(
        {
            "ARTICLES_DIR": str(ROOT / "articles"),
            "DATA_DIR": str(folder),
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret",
            "SESSION_COOKIE_SECURE": False,  # the test client speaks plain HTTP
        }
    )
    client = app.test_client()
    assert client.get("/en/").status_code == 200  # build the site first
    token = CSRF.search(client.get("/login").text)
    form = {
        "email": "editor@example.com",
        "password": PASSWORD,
        "csrf_token": token[1] if token else "",
    }
    signed = client.post("/login", data=form)
    assert signed.status_code == 302, signed.text[:3000]
    out: dict[str, Any] = {}
    today = utcnow().date()
    cache = get_analytics(app).gaps
    with get_database(app).session() as session:
        top = reports.top_searches(session, reports.Scope(today - timedelta(days=364), today))
    q = top[0].normalized
    for days in (30, 365):
        scope = reports.Scope(today - timedelta(days=days - 1), today)
        # Every scope the pages below show, grouped first: a page's visit would otherwise start
        # a background grouping that competes with the pages being timed.
        for variant in (
            reports.Scope(scope.since, today, "ru", "widget"),
            reports.Scope(scope.since, today, segment="bot"),
        ):
            cache.compute_now(variant)
        with get_database(app).session() as session:
            start = time.perf_counter()
            items = failed_queries(session, scope)
            read = time.perf_counter() - start
            start = time.perf_counter()
            group(items)
            out[f"grouping_{days}d"] = {
                "failed_searches": sum(i.searches for i in items),
                "distinct": len(items),
                "read_s": round(read, 2),
                "group_s": round(time.perf_counter() - start, 2),
            }
        start = time.perf_counter()
        cache.compute_now(scope)  # what the background thread does on the first visit
        out[f"grouping_{days}d"]["with_status_s"] = round(time.perf_counter() - start, 2)
        for name, path in (
            ("baseline_one_day_overview", "/api/v1/analytics/overview?days=1"),
            ("insights", f"/staff/insights?days={days}"),
            ("insights_ru_widget", f"/staff/insights?days={days}&locale=ru&surface=widget"),
            ("insights_bots", f"/staff/insights?days={days}&segment=bot"),
            ("query_detail", f"/staff/insights/query?q={q}&days={days}"),
            ("api_overview", f"/api/v1/analytics/overview?days={days}"),
            ("api_searches", f"/api/v1/analytics/searches?days={days}"),
            ("api_articles", f"/api/v1/analytics/articles?days={days}"),
            ("api_copied", f"/api/v1/analytics/copied?days={days}"),
            ("api_query", f"/api/v1/analytics/query?q={q}&days={days}"),
            ("api_gaps", f"/api/v1/analytics/gaps?days={days}"),
        ):
            status = client.get(path).status_code
            assert status == 200, (path, status)
            out[f"{name}_{days}d"] = timed(lambda p=path: client.get(p))
    with get_database(app).session() as session:
        out["rows_in_search_daily"] = session.scalar(
            select(func.count()).select_from(text("search_daily"))
        )
    get_analytics(app).close()
    get_database(app).dispose()
    publish.close_all()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--failed", type=int, default=50_000, help="zero-result searches")
    parser.add_argument("--votes", type=int, default=20_000)
    parser.add_argument("--copies", type=int, default=20_000)
    parser.add_argument("--database-url", "--url", dest="url", default="")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite file here; reuse it if it exists"
    )
    args = parser.parse_args()
    articles = sorted(
        f"{p.parent.parent.name}/{p.parent.name}/{p.stem}"
        for p in (ROOT / "articles").glob("*/*/*.md")
    )
    with tempfile.TemporaryDirectory() as tmp, database(args.url, Path(tmp)) as url:
        report: dict[str, Any] = {"backend": make_url(url).get_backend_name()}
        if args.sqlite_file:
            url = f"sqlite:///{args.sqlite_file}"
        if not (args.sqlite_file and args.sqlite_file.exists()):
            report.update(generate(url, args, articles))
        report.update(pages(url, Path(tmp)))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""`kbportal analytics purge|export` and `kbportal gaps [scaffold]`: thin wrappers."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from kbportal.analytics import gaps as gap_service
from kbportal.analytics import reports
from kbportal.analytics.copied import copied_not_found
from kbportal.analytics.grouping import Group, by_id
from kbportal.analytics.request import public_article
from kbportal.analytics.retention import purge
from kbportal.analytics.rollup import roll_up
from kbportal.analytics.scope import BadScope, parse_scope
from kbportal.db import get_database, utcnow

analytics_cli = AppGroup("analytics", help="The search log and feedback: retention and export.")
REPORTS = ("overview", "searches", "articles", "copied", "gaps")


def _scope(since: str | None, until: str | None, locale: str | None, segment: str) -> Any:
    args = {"since": since or "", "until": until or "", "locale": locale or "", "segment": segment}
    if not since:
        args["days"] = "30"
    try:
        return parse_scope(args, current_app.config["KBPORTAL_LOCALES"], utcnow().date())
    except BadScope as exc:
        raise click.BadParameter(str(exc)) from None


@analytics_cli.command("purge")
def purge_command() -> None:
    """Fold rows older than KBPORTAL_ANALYTICS_RETENTION_DAYS into daily figures; delete them."""
    days = int(current_app.config["KBPORTAL_ANALYTICS_RETENTION_DAYS"])
    report = purge(get_database().session, days, utcnow().date())
    click.echo(report.summary())


@analytics_cli.command("rollup")
def rollup_command() -> None:
    """Fold closed days into the daily figures now (serving processes do it every hour)."""
    rows = roll_up(get_database().session, utcnow().date())
    click.echo(f"daily figures up to date: {rows} rows written")


def group_json(found: Group, state: gap_service.Status | None = None) -> dict[str, Any]:
    """A group as `kbportal gaps --json` and the API print it."""
    return {
        "id": found.id,
        "title": found.title,
        "searches": found.searches,
        "zero": found.zero,
        "sessions": found.sessions,
        "locales": found.locales,
        "first": found.first.isoformat() if found.first else None,
        "last": found.last.isoformat() if found.last else None,
        "phrasings": [{"query": q, "count": n} for q, n in found.phrasings],
        "shown": [{"article": a, "count": n} for a, n in found.answers],
        "answered": None
        if state is None
        else asdict(state) | {"since": state.since.isoformat() if state.since else None},
    }


def _rows(report: str, scope: reports.Scope) -> list[dict[str, Any]]:
    session = get_database().session()
    try:
        if report == "overview":
            result = reports.overview(session, scope)
            return [
                {
                    "day": day.isoformat(),
                    **asdict(f),
                    "zero_rate": f.zero_rate,
                    "no_click_rate": f.no_click_rate,
                    "click_through_rate": f.click_through_rate,
                    "reformulation_rate": f.reformulation_rate,
                    "mean_position": f.mean_position,
                }
                for day, f in result.daily
            ]
        if report == "searches":
            return [asdict(r) for r in reports.top_searches(session, scope, limit=1000)]
        if report == "articles":
            return [
                {**asdict(a), "votes": a.votes} for a in reports.unhelpful_articles(session, scope)
            ]
        if report == "copied":
            return [
                {**asdict(c), "clicks_per_copy": c.clicks_per_copy}
                for c in copied_not_found(session, scope, limit=1000, keep=public_article)
            ]
        return [group_json(g) for g in gap_service.gap_groups(session, scope)]
    finally:
        session.close()


@analytics_cli.command("export")
@click.option("--since", help="First day (YYYY-MM-DD); default 30 days ago.")
@click.option("--until", help="Last day (YYYY-MM-DD); default today.")
@click.option("--locale", default=None)
@click.option("--segment", default="customer", show_default=True)
@click.option("--report", type=click.Choice(REPORTS), default="overview", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_command(
    since: str | None,
    until: str | None,
    locale: str | None,
    segment: str,
    report: str,
    fmt: str,
    output: Path | None,
) -> None:
    """Write a report's figures (the insights page's) as CSV or JSON."""
    rows = _rows(report, _scope(since, until, locale, segment))
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    else:
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
        text = buffer.getvalue()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(rows)} rows to {output}", err=True)


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


@click.group("gaps", cls=AppGroup, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--since", help="First day (YYYY-MM-DD); default 30 days ago.")
@click.option("--locale", default=None, help="Only searches in this locale.")
@click.option("--segment", default="customer", show_default=True)
@click.pass_context
def gaps_cli(
    ctx: click.Context, as_json: bool, since: str | None, locale: str | None, segment: str
) -> None:
    """Failed searches grouped by meaning, biggest first (`gaps scaffold ID` drafts one)."""
    ctx.obj = {"since": since, "locale": locale, "segment": segment}
    if ctx.invoked_subcommand is not None:
        return
    scope = _scope(since, None, locale, segment)
    session = get_database().session()
    try:
        found = gap_service.gap_groups(session, scope)
        states = {g.id: gap_service.status(session, scope, g) for g in found[:50]}
    finally:
        session.close()
    if as_json:
        data = [group_json(g, states.get(g.id)) for g in found]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no failed searches in this period")
    for g in found:
        state = states.get(g.id)
        mark = " (answered)" if state and state.answered else ""
        others = len(g.phrasings) - 1
        click.echo(
            f"{g.id}  {g.searches:6d} searches  {g.sessions:5d} sessions  "
            f"{'/'.join(g.locales)}  {g.title}{f' (+{others} phrasings)' if others else ''}{mark}"
        )


@gaps_cli.command("scaffold")
@click.argument("group_id")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the draft (default: in the articles tree, by locale and category).",
)
@click.pass_context
def scaffold_command(ctx: click.Context, group_id: str, output: Path | None) -> None:
    """Write a draft article for a group: title, draft: true, category and its questions."""
    options = ctx.obj or {}
    scope = _scope(
        options.get("since"), None, options.get("locale"), options.get("segment", "customer")
    )
    session = get_database().session()
    try:
        found = by_id(gap_service.gap_groups(session, scope), group_id)
    finally:
        session.close()
    if found is None:
        raise click.ClickException(f"no group {group_id!r} in this period (see `kbportal gaps`)")
    articles = Path(current_app.config["KBPORTAL_ARTICLES_DIR"])
    try:
        path = gap_service.scaffold(found, articles, suggested_category, output)
    except FileExistsError:
        raise click.ClickException(f"{output} exists; choose another --output") from None
    click.echo(str(path))


def suggested_category(found: Group) -> str:
    """The category of the article search showed these queries most, else of the best match."""
    from kbportal.publish import BuildError, get_kb
    from kbportal.search.types import SearchQuery
    from kbportal.viewer import PUBLIC

    try:
        kb = get_kb()
    except BuildError:
        return ""
    for key, _n in found.answers:
        locale, _, slug = key.partition("/")
        article = kb.article(locale, slug, PUBLIC)
        if article is not None:
            return article.category
    wanted = found.locales[0] if found.locales else None
    for text, _n in found.phrasings[:5]:
        hits = kb.search(SearchQuery(text, PUBLIC, wanted)).hits
        if hits:
            return hits[0].category
    return ""

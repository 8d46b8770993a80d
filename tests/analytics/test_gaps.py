"""`kbportal gaps`, a draft from a gap that passes `kbportal check`, and the gap closing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

from kbportal import publish
from kbportal.analytics.gaps import gap_groups, merge, split
from kbportal.analytics.models import SearchRow
from kbportal.analytics.reports import Scope
from kbportal.analytics.searchlog import normalize
from kbportal.cli import cli
from kbportal.db import get_database, utcnow

NOW = utcnow()
PAUSE = ["pause my membership", "pause membership", "how to pause membership", "paus membership"]


def add_failed(app: Flask, texts: list[str], start: int, total: int = 0) -> None:
    rows = []
    for i, text in enumerate(texts):
        at = NOW - timedelta(days=2, minutes=i)
        rows.append(
            SearchRow(
                id=start + i,
                at=at,
                day=at.date(),
                session_id=f"s{start + i}",
                surface="page",
                locale="en",
                query=text,
                normalized=normalize(text),
                total=total,
                shown="",
                filters="",
                segment="customer",
                page=1,
                clicks=0,
                reformulated=False,
            )
        )
    with get_database(app).session() as session, session.begin():
        session.add_all(rows)


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_gaps_list_groups_by_volume(portal: Flask) -> None:
    add_failed(portal, PAUSE * 2, 100)
    add_failed(portal, ["change invoice currency"], 200)
    result = run(portal, "gaps", "--json")
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)
    assert groups[0]["searches"] == 8 and groups[0]["sessions"] == 8
    assert {p["query"] for p in groups[0]["phrasings"]} == set(PAUSE)
    assert groups[1]["title"] == "change invoice currency"
    text = run(portal, "gaps", "--locale", "en").output
    assert groups[0]["id"] in text and "8 searches" in text


def test_a_scaffolded_draft_passes_check_and_once_published_answers(
    portal: Flask, tmp_path: Path
) -> None:
    add_failed(portal, [*PAUSE, "pause my membership"], 100)
    [group] = json.loads(run(portal, "gaps", "--json").output)
    result = run(portal, "gaps", "scaffold", group["id"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    articles = Path(portal.config["KBPORTAL_ARTICLES_DIR"])
    assert path.is_file() and articles in path.parents
    text = path.read_text(encoding="utf-8")
    assert "draft: true" in text and "questions:" in text
    assert "- pause my membership" in text and "title: Pause my membership" in text
    check = run(portal, "check", "--strict")
    assert check.exit_code == 0, check.output
    # An editor writes the answer and publishes: the customers' words now find it.
    path.write_text(
        text.replace("draft: true\n", "").replace(
            "Pause my membership\n", "Open Billing, choose Hold, pick the dates.\n"
        ),
        encoding="utf-8",
    )
    publish.build(_config(portal))
    hits = portal.test_client().get("/api/v1/search?q=paus+membership&locale=en").json
    assert hits["results"] and hits["results"][0]["url"].endswith(path.stem)
    again = run(portal, "gaps", "scaffold", group["id"], "--output", str(path))
    assert again.exit_code != 0 and "exists" in again.output  # never overwrites


def _config(app: Flask) -> dict[str, object]:
    from kbportal.publish.accessor import config_of

    return config_of(app)


def test_unknown_group_is_a_clear_error(portal: Flask) -> None:
    result = run(portal, "gaps", "scaffold", "nope")
    assert result.exit_code != 0 and "no group 'nope'" in result.output


def test_editors_merge_and_split_persist(portal: Flask) -> None:
    add_failed(portal, PAUSE, 100)
    add_failed(portal, ["freeze account for summer"], 200)
    scope = Scope(NOW.date() - timedelta(days=30), NOW.date())
    with get_database(portal).session() as session:
        before = gap_groups(session, scope)
        assert len(before) == 2
        assert merge(session, before, [g.id for g in before], None)
        [merged] = gap_groups(session, scope)
        split(session, normalize("how to pause membership"), None)
        after = gap_groups(session, scope)
    assert len(merged.members) == 4
    assert len(after) == 2  # the split one alone; the freeze stays with the rest
    alone = [g for g in after if len(g.members) == 1]
    assert [m.normalized for m in alone[0].members] == [normalize("how to pause membership")]


def test_export_writes_csv_and_json(portal: Flask, tmp_path: Path) -> None:
    add_failed(portal, PAUSE, 100)
    since = (NOW - timedelta(days=7)).date().isoformat()
    csv_out = run(portal, "analytics", "export", "--since", since, "--format", "csv").output
    assert csv_out.splitlines()[0].startswith("day,searches,zero")
    assert len(csv_out.splitlines()) == 9  # a header and 8 days
    target = tmp_path / "gaps.json"
    run(portal, "analytics", "export", "--since", since, "--format", "json", "--report", "gaps",
        "--output", str(target))  # fmt: skip
    assert json.loads(target.read_text())[0]["searches"] == 4
    assert run(portal, "analytics", "export", "--since", "yesterday").exit_code != 0


def test_purge_keeps_daily_figures_after_raw_rows_go(portal: Flask) -> None:
    old = datetime(2020, 1, 2, tzinfo=UTC)
    with get_database(portal).session() as session, session.begin():
        session.add(
            SearchRow(
                id=9, at=old, day=old.date(), surface="page", locale="en", query="x",
                normalized="x", total=0, shown="", filters="", segment="customer", page=1,
                clicks=0, reformulated=False,
            )
        )  # fmt: skip
    from kbportal.analytics.rollup import roll_up

    roll_up(get_database(portal).session, NOW.date())  # the hourly rollup got there first
    result = run(portal, "analytics", "purge")
    assert result.exit_code == 0 and "1 searches" in result.output
    auth_free = Scope(old.date(), old.date())
    from kbportal.analytics.reports import overview

    with get_database(portal).session() as session:
        assert session.get(SearchRow, 9) is None
        assert overview(session, auth_free).total.searches == 1  # from the daily figures
        assert overview(session, auth_free).total.zero == 1


def test_the_insights_page_lists_gaps_merges_splits_and_offers_drafts(
    portal: Flask, editor: FlaskClient
) -> None:
    from support import csrf_from

    from kbportal.analytics import get_analytics

    add_failed(portal, PAUSE, 100)
    add_failed(portal, ["freeze account for summer"], 200)
    scope = Scope(NOW.date() - timedelta(days=29), NOW.date())
    cache = get_analytics(portal).gaps
    first = editor.get("/staff/insights")
    assert "Failed searches, grouped by meaning" in first.text
    cache.compute_now(scope)
    page = editor.get("/staff/insights").text
    assert "pause my membership" in page and "freeze account for summer" in page
    ids = re.findall(r'name="group" value="([0-9a-f]+)"', page)
    assert len(ids) == 2
    token = csrf_from(page)
    merged = editor.post("/staff/insights/gaps/merge", data={"group": ids, "csrf_token": token})
    assert merged.status_code == 303
    cache.compute_now(scope)
    page = editor.get("/staff/insights").text
    assert len(re.findall(r'name="group" value="([0-9a-f]+)"', page)) == 1
    [group_id] = re.findall(r'name="group" value="([0-9a-f]+)"', page)
    draft = editor.get(f"/staff/insights/gaps/{group_id}/draft.md")
    assert draft.status_code == 200 and "attachment" in draft.headers["Content-Disposition"]
    assert "draft: true" in draft.text and "questions:" in draft.text
    split = editor.post(
        "/staff/insights/gaps/split",
        data={"normalized": normalize("freeze account for summer"), "csrf_token": token},
    )
    assert split.status_code == 303
    cache.compute_now(scope)
    assert len(re.findall(r'name="group" value="', editor.get("/staff/insights").text)) == 2
    assert editor.get("/staff/insights/gaps/nope/draft.md").status_code == 404
    api = editor.get(
        "/api/v1/analytics/gaps", headers={"Authorization": f"Bearer {editor.token}"}
    ).json
    assert {g["searches"] for g in api["groups"]} == {4, 1}

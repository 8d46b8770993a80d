"""Under a real `kbportal serve`: a vote survives its worker's kill -9 right after the answer,
and a search buffered at the kill is either written or counted as lost, never silently gone."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from server_process import Served, alive, serve
from sqlalchemy import func, select

from kbportal.analytics.models import Loss, SearchRow, Vote
from kbportal.db import make_engine


def post_vote(served: Served, form: str, accept: str = "text/html") -> int:
    request = urllib.request.Request(
        served.base + "/en/feedback/billing/refunds",
        data=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as answer:
        return int(answer.code)


def kill_worker(served: Served) -> None:
    """kill -9 the live worker, then wait until its replacement answers."""
    [pid] = [p for p in served.worker_pids() if alive(p)]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while served.get("/en/", timeout=10)[0] != 200 or not any(
        alive(p) and p != pid for p in served.worker_pids()
    ):
        assert time.monotonic() < deadline, served.log.read_text()
        time.sleep(0.2)


def test_votes_survive_a_worker_killed_right_after_the_answer(db_url: str, tmp_path: Path) -> None:
    with serve(tmp_path, workers=1, threads=1, KBPORTAL_DATABASE_URL=db_url) as served:
        form = "helpful=no&reason=unclear&comment=Which+card%3F"
        assert post_vote(served, form) == 303  # answered: the vote is already stored
        kill_worker(served)
        status = post_vote(served, "helpful=yes", accept="application/json")
        assert status == 200
        kill_worker(served)
        # A search is buffered (flushed within a second): killed right after its answer.
        status, body = served.get("/api/v1/search?q=refund")
        assert status == 200 and json.loads(body)["search_id"]
        kill_worker(served)
        # The next worker's first search starts its flusher, which looks for dead journals.
        assert served.get("/api/v1/search?q=invoice")[0] == 200
        engine = make_engine(db_url)
        try:
            deadline = time.monotonic() + 30
            while True:
                with engine.connect() as connection:
                    votes = connection.execute(
                        select(Vote.helpful, Vote.reason, Vote.comment).order_by(Vote.id)
                    ).all()
                    searches = connection.scalar(select(func.count(SearchRow.id)))
                    lost = connection.scalar(select(func.coalesce(func.sum(Loss.rows), 0)))
                if searches + lost >= 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
        finally:
            engine.dispose()
    assert [tuple(v) for v in votes] == [(False, "unclear", "Which card?"), (True, None, None)]
    # Two searches were made: each is written, or (the killed one) counted as lost.
    assert searches + lost == 2, (searches, lost)

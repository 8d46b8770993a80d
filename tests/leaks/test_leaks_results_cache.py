"""The search process's results cache never hands a customer what they may not see.

A real search process (kbportal.serving.searchd) with its cache on, real builds and real
publishes: an answer computed for staff or for one group is never served to anyone else, and no
answer survives a publish that unpublishes or internalises an article.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import write_tree

from kbportal import publish
from kbportal.config import load_config
from kbportal.publish import remote_search
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

ARTICLES = {
    "en/billing/refunds.md": "# Getting a refund\n\nRefunds take five working days. zebraword\n",
    "en/billing/invoices.md": "# Invoices\n\nDownload an invoice. zebraword\n",
    "en/staff/_category.yml": "visibility: internal\n",
    "en/staff/refund-policy.md": "# Refund policy\n\nApprove a refund. zebraword secretword\n",
    "en/l2/_category.yml": "visibility: internal\naudience: [l2]\n",
    "en/l2/escalation.md": "# Escalation\n\nCall the l2 desk. zebraword secretword\n",
}
STAFF = Viewer(staff=True)
L2 = Viewer(staff=True, groups=frozenset({"l2"}))


@pytest.fixture
def config(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = write_tree(tmp_path / "articles", ARTICLES)
    found = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / "data"}, {})
    publish.build(found)
    master = subprocess.Popen(["sleep", "120"])  # the stand-in for the gunicorn master
    remote_search.enable(master.pid, Path(str(found["DATA_DIR"])), processes=2, cache_mb=8)
    yield found
    remote_search.disable()
    publish.close_all()
    master.kill()
    master.wait()


def keys(config: dict[str, Any], text: str, viewer: Viewer = PUBLIC, **more: Any) -> set[str]:
    found = publish.kb_for(config).search(SearchQuery(text, viewer, "en", **more))
    return {h.key for h in found.hits}


def hits(remote: remote_search.RemoteSearch) -> int:
    return sum(s["hits"] for s in remote.cache_stats())


def test_an_answer_for_staff_or_a_group_is_never_served_to_anyone_else(config) -> None:  # type: ignore[no-untyped-def]
    remote = remote_search.current()
    assert remote is not None
    for _ in range(2):  # the second round is answered from the cache
        assert "en/l2/escalation" in keys(config, "zebraword", L2)
        assert "en/staff/refund-policy" in keys(config, "zebraword", STAFF)
        assert "en/l2/escalation" not in keys(config, "zebraword", STAFF)
        assert keys(config, "zebraword") == {"en/billing/refunds", "en/billing/invoices"}
        assert keys(config, "secretword") == set()
        assert keys(config, " zebraword  ", category="billing") == keys(config, "zebraword")
    assert hits(remote) >= 8


def test_no_answer_survives_a_publish_that_internalises_or_removes(config) -> None:  # type: ignore[no-untyped-def]
    root = Path(str(config["ARTICLES_DIR"]))
    for _ in range(2):
        assert keys(config, "zebraword") == {"en/billing/refunds", "en/billing/invoices"}
    (root / "en/billing/refunds.md").write_text(
        "---\nvisibility: internal\n---\n# Getting a refund\n\nRefunds take days. zebraword\n"
    )
    (root / "en/billing/invoices.md").unlink()
    publish.update(config, ["en/billing/refunds.md"], ["en/billing/invoices.md"])
    assert keys(config, "zebraword") == set()
    assert "en/billing/refunds" in keys(config, "zebraword", STAFF)


def test_no_answer_survives_a_full_rebuild(config) -> None:  # type: ignore[no-untyped-def]
    root = Path(str(config["ARTICLES_DIR"]))
    assert keys(config, "zebraword") == {"en/billing/refunds", "en/billing/invoices"}
    (root / "en/billing/invoices.md").unlink()
    publish.build(config)
    assert keys(config, "zebraword") == {"en/billing/refunds"}

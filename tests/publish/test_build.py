"""Full builds: layout, atomic swap, refusal, failures, drafts and scheduling, pruning."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kbportal import publish
from kbportal.publish import layout, public_index, records, store
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

STAFF = Viewer(staff=True)


def _builds(config: dict[str, Any]) -> list[str]:
    return sorted(p.name for p in layout.builds_dir(config["DATA_DIR"]).iterdir())


def test_full_build_writes_a_build_and_points_current_at_it(sample_config: dict[str, Any]) -> None:
    report = publish.build(sample_config)

    data = sample_config["DATA_DIR"]
    build = data / "builds" / report.build_id
    assert os.readlink(data / "current") == f"builds/{report.build_id}"
    assert (build / "content.sqlite").is_file()
    assert any((build / "index").iterdir())
    assert (report.articles, report.public, report.internal) == (7, 4, 3)
    assert "en/billing/refunds" in report.added
    assert report.errors == []
    kb = publish.kb_for(sample_config)
    assert kb.build_id == report.build_id
    assert kb.article("en", "billing/refunds", PUBLIC) is not None


def test_manifest_records_files_hashes_and_statuses(built: dict[str, Any]) -> None:
    conn = store.open_readonly(layout.current_build(built["DATA_DIR"]) / "content.sqlite")
    files = records.files(conn)
    conn.close()
    assert files["en/billing/refunds.md"].key == "en/billing/refunds"
    assert files["en/billing/refunds.md"].status == "published"
    assert len(files["en/billing/refunds.md"].hash) == 32
    assert files["en/billing/draft.md"].status == "draft"
    assert files["en/billing/later.md"].status == "scheduled"
    assert files["en/billing/images/card.png"].status == "media"
    assert files["en/billing/_category.yml"].status == "category"


def test_drafts_and_future_articles_are_not_published(sample_config: dict[str, Any]) -> None:
    report = publish.build(sample_config)
    kb = publish.kb_for(sample_config)

    for slug in ("billing/draft", "billing/later"):
        assert kb.article("en", slug, STAFF) is None
    for word in ("quokka", "wombat"):
        assert kb.search(SearchQuery(word, viewer=STAFF)).total == 0
    assert report.next_publish_at == datetime(2999, 1, 1, tzinfo=UTC)
    assert kb.meta("next_publish_at") == "2999-01-01T00:00:00+00:00"


def test_scheduled_article_publishes_when_due(built: dict[str, Any]) -> None:
    report = publish.publish_due(built, now=datetime(3000, 1, 1, tzinfo=UTC))

    assert report is not None and report.added == ["en/billing/later"]
    assert publish.kb_for(built).article("en", "billing/later", PUBLIC) is not None
    assert publish.publish_due(built, now=datetime(2000, 1, 1, tzinfo=UTC)) is None


def test_a_failed_build_keeps_the_old_version_serving(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = layout.current_build_id(built["DATA_DIR"])
    kb = publish.kb_for(built)

    def broken_index(directory: Path, articles: Any, procs: int = 1) -> None:
        (directory / "half-written").parent.mkdir(parents=True, exist_ok=True)
        (directory / "half-written").write_text("x")
        raise OSError("disk full")

    monkeypatch.setattr(public_index, "build_index", broken_index)  # where builds write it
    with pytest.raises(OSError, match="disk full"):
        publish.build(built)

    assert layout.current_build_id(built["DATA_DIR"]) == before
    assert _builds(built) == [before]  # the half-made build was removed
    assert publish.kb_for(built) is kb
    assert kb.search(SearchQuery("refund")).total >= 1


def test_an_empty_knowledge_base_is_refused(built: dict[str, Any]) -> None:
    before = layout.current_build_id(built["DATA_DIR"])
    shutil.rmtree(built["ARTICLES_DIR"])
    (built["ARTICLES_DIR"] / "en").mkdir(parents=True)
    (built["ARTICLES_DIR"] / "en" / "only-draft.md").write_text("---\ndraft: true\n---\n# D\n")

    with pytest.raises(publish.EmptyBuildError, match="empty"):
        publish.build(built)

    assert layout.current_build_id(built["DATA_DIR"]) == before
    assert publish.kb_for(built).article("en", "billing/refunds", PUBLIC) is not None


def test_a_missing_articles_folder_is_a_clear_error(sample_config: dict[str, Any]) -> None:
    config = {**sample_config, "ARTICLES_DIR": sample_config["ARTICLES_DIR"] / "nope"}
    with pytest.raises(publish.BuildError, match="does not exist"):
        publish.build(config)
    assert layout.current_build(sample_config["DATA_DIR"]) is None


def test_ensure_build_builds_only_once(sample_config: dict[str, Any]) -> None:
    assert publish.ensure_build(sample_config) is not None
    assert publish.ensure_build(sample_config) is None
    assert len(_builds(sample_config)) == 1


def test_one_writer_at_a_time(sample_config: dict[str, Any]) -> None:
    data = sample_config["DATA_DIR"]
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with layout.writer_lock(data):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(layout.BuildLockTimeout), layout.writer_lock(data, timeout=0.2):
            pass
    finally:
        release.set()
        thread.join()
    with layout.writer_lock(data, timeout=0.2):
        pass


def test_old_builds_are_pruned_but_not_the_current_one(
    sample_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout, "MIN_AGE_TO_DELETE", 0.0)
    ids = [publish.build(sample_config).build_id for _ in range(5)]

    assert _builds(sample_config) == sorted(ids)[-layout.KEEP_BUILDS :]
    assert layout.current_build_id(sample_config["DATA_DIR"]) == ids[-1]


def test_recently_retired_builds_are_kept_for_slow_readers(sample_config: dict[str, Any]) -> None:
    ids = [publish.build(sample_config).build_id for _ in range(5)]
    # Every older build stopped serving moments ago, so none is deleted yet.
    assert _builds(sample_config) == sorted(ids)


def test_renames_survive_a_full_rebuild(built: dict[str, Any]) -> None:
    root = built["ARTICLES_DIR"]
    (root / "en/billing/invoices.md").rename(root / "en/billing/bills.md")
    publish.update(built, [], [], {"en/billing/invoices.md": "en/billing/bills.md"})
    publish.build(built)

    assert publish.kb_for(built).redirect_for("en", "billing/invoices", PUBLIC) == "billing/bills"


def test_a_build_in_an_older_store_format_is_rebuilt(built: dict[str, Any]) -> None:
    old = layout.current_build(built["DATA_DIR"])
    assert old is not None and store.is_current_format(old)
    conn = store.create(old / "content.sqlite")
    store.set_meta(conn, "schema", "0")
    conn.close()

    kb = publish.kb_for(built)  # a worker meeting an old build rebuilds instead of failing
    assert kb.build_id != old.name
    report = publish.update(built, ["en/billing/refunds.md"], [])
    assert not report.full  # the rebuilt one is current and can be patched

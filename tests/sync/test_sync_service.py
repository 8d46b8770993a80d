"""sync() end to end on real repositories: push, sync, and read the published KB."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from kbportal.publish import close_all, kb_for
from kbportal.search.types import SearchQuery
from kbportal.sync import sync
from kbportal.sync.service import read_state
from kbportal.viewer import PUBLIC

BASE = {
    "en/billing/refunds.md": "# Refunds\n\nMoney back within fourteen days.\n",
    "en/billing/invoices.md": "# Invoices\n\nDownload invoices as PDF files.\n",
    "en/account/password.md": (
        "# Reset your password\n\nUse the forgotten password link on the sign-in page.\n"
        + "It sends an email with a reset link that is valid for one hour. " * 5
    ),
    # Every .md is an article (even README.md), so repository files here are not markdown.
    "LICENSE": "CC-BY-4.0\n",
}


@pytest.fixture
def published(repos):
    """A portal that has synced the first version of the articles."""
    repos.editor.write(BASE)
    repos.editor.push("initial articles")
    repos.clone_portal()
    report = sync(repos.config())
    assert report.status == "published", report.format_text()
    yield repos
    close_all()


def kb(repos):
    return kb_for(repos.config())


def found(repos, text: str) -> list[str]:
    return [hit.slug for hit in kb(repos).search(SearchQuery(text, locale="en")).hits]


def test_first_sync_builds_everything(published):
    state = read_state(published.config())
    assert state["commit"] == state["last"]["new_commit"]
    assert found(published, "fourteen") == ["billing/refunds"]


def test_push_change_then_sync_then_search_finds_it(published):
    published.editor.write(
        {
            "en/billing/refunds.md": "# Refunds\n\nRefunds go to the card.\n",
            "en/billing/cards.md": "# Cards\n\nWe accept zorblax cards.\n",
        }
    )
    published.editor.push("edit refunds, add cards")
    report = sync(published.config())
    assert report.status == "published" and report.message == "incremental update"
    assert sorted(report.changed) == ["en/billing/cards.md", "en/billing/refunds.md"]
    assert found(published, "zorblax") == ["billing/cards"]
    assert found(published, "fourteen") == []
    assert sync(published.config()).status == "up-to-date"


def test_rename_keeps_the_old_url_as_a_redirect(published):
    published.editor.mv("en/account/password.md", "en/security/password-reset.md")
    published.editor.push("move the password article")
    report = sync(published.config())
    assert report.renamed == {"en/account/password.md": "en/security/password-reset.md"}
    current = kb(published)
    assert current.article("en", "account/password", PUBLIC) is None
    assert current.article("en", "security/password-reset", PUBLIC) is not None
    assert current.redirect_for("en", "account/password", PUBLIC) == "security/password-reset"


def test_delete_removes_the_article(published):
    published.editor.rm("en/billing/invoices.md")
    published.editor.push("drop invoices")
    report = sync(published.config())
    assert report.removed == ["en/billing/invoices.md"]
    assert kb(published).article("en", "billing/invoices", PUBLIC) is None
    assert found(published, "invoices PDF") == []


def test_broken_article_is_reported_and_the_rest_publishes(published):
    published.editor.write(
        {
            "en/billing/broken.md": "---\ntitle: [unclosed\n---\n# Broken\n",
            "en/billing/fine.md": "# Fine\n\nQuuxination explained.\n",
        }
    )
    published.editor.push("one good, one broken")
    report = sync(published.config())
    assert report.status == "published"
    assert [p.path for p in report.problems] == ["en/billing/broken.md"]
    assert found(published, "quuxination") == ["billing/fine"]
    assert any(p.path == "en/billing/broken.md" for p in kb(published).problems())
    assert "en/billing/broken.md" in report.format_text()


def test_deleting_every_article_is_refused_and_the_old_version_serves(published):
    build_before = kb(published).build_id
    commit_before = read_state(published.config())["commit"]
    published.editor.rm("en")
    published.editor.push("oops, deleted everything")
    report = sync(published.config())
    assert report.status == "refused" and not report.ok
    assert "empty" in report.message
    assert kb(published).build_id == build_before
    assert found(published, "fourteen") == ["billing/refunds"]
    # The working copy was rolled back, so files and the served version agree.
    assert (published.portal / "en/billing/refunds.md").is_file()
    assert read_state(published.config())["commit"] == commit_before
    # Fixing the mistake publishes again.
    published.editor.write(BASE)
    published.editor.push("restore")
    assert sync(published.config()).ok


def test_changes_outside_articles_move_the_commit_but_publish_nothing(published):
    build_before = kb(published).build_id
    published.editor.write({"LICENSE": "MIT\n", "ci/check.yml": "x: 1\n"})
    commit = published.editor.push("docs only")
    report = sync(published.config())
    assert report.status == "up-to-date" and report.build_id is None
    assert read_state(published.config())["commit"] == commit
    assert kb(published).build_id == build_before


def test_concurrent_syncs_run_one_at_a_time(published):
    published.editor.write({"en/billing/new.md": "# New\n\nFlibbertigibbet.\n"})
    published.editor.push("new")
    results = []
    barrier = threading.Barrier(3)

    def run(wait):
        barrier.wait()
        results.append(sync(published.config(), wait=wait).status)

    threads = [threading.Thread(target=run, args=(w,)) for w in (30, 30, 30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["published", "up-to-date", "up-to-date"]
    assert found(published, "flibbertigibbet") == ["billing/new"]


def test_busy_when_the_lock_stays_taken(published):
    from kbportal.sync.service import sync_lock

    with sync_lock(published.config(), wait=0) as first:
        assert first
        report = sync(published.config(), wait=0.1)
    assert report.status == "busy" and not report.ok


def test_scheduled_article_publishes_when_due(published):
    # The clock is moved, not waited on: a slow first sync cannot make the article due early.
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    published.editor.write(
        {
            "en/billing/launch.md": (
                f"---\npublish_at: {when.isoformat()}\n---\n# Launch\n\nGlorptastic.\n"
            )
        }
    )
    published.editor.push("scheduled launch")
    assert sync(published.config()).ok
    assert found(published, "glorptastic") == []
    with time_machine.travel(when - timedelta(minutes=1), tick=True):
        assert sync(published.config()).status == "up-to-date"
        assert found(published, "glorptastic") == []
    with time_machine.travel(when + timedelta(seconds=1), tick=True):
        report = sync(published.config())
        assert report.status == "published" and "scheduled" in report.message
        assert found(published, "glorptastic") == ["billing/launch"]


def test_drafts_stay_unpublished(published):
    published.editor.write(
        {"en/billing/draft.md": "---\ndraft: true\n---\n# Draft\n\nSecretword.\n"}
    )
    published.editor.push("a draft")
    assert sync(published.config()).ok
    assert found(published, "secretword") == []
    assert kb(published).article("en", "billing/draft", PUBLIC) is None


def test_not_a_working_copy_is_a_clear_error(repos, tmp_path):
    from kbportal.sync import SyncError

    config = repos.config(ARTICLES_DIR=tmp_path / "plain")
    (tmp_path / "plain").mkdir()
    with pytest.raises(SyncError, match="not a git working copy"):
        sync(config)


def test_unreachable_remote_fails_without_touching_anything(published):
    build_before = kb(published).build_id
    report = sync(published.config(GIT_REMOTE=str(published.origin) + "-missing"))
    assert report.status == "failed" and "fetch" in report.message
    assert kb(published).build_id == build_before


def test_dates_and_authors_come_from_git(published):
    refunds = kb(published).article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.authors == ("Ann Editor",)
    published.editor.write({"en/billing/refunds.md": "# Refunds\n\nThirty days.\n"})
    published.editor.push("longer window", author="Boris")
    assert sync(published.config()).message == "incremental update"
    refunds = kb(published).article("en", "billing/refunds", PUBLIC)
    assert refunds is not None and refunds.authors == ("Boris", "Ann Editor")
    date = published.editor.git("log", "-1", "--format=%aI").strip()
    assert refunds.updated == datetime.fromisoformat(date)


def test_a_crashing_publish_rolls_the_working_copy_back(published, monkeypatch):
    from kbportal.sync import publishing

    build_before = kb(published).build_id
    commit_before = read_state(published.config())["commit"]
    published.editor.write({"en/billing/refunds.md": "# Refunds\n\nNinety days.\n"})
    published.editor.push("ninety")

    def crash(config, changes):  # fault injection: the publisher dies mid-way
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "incremental", crash)
    report = sync(published.config())
    assert report.status == "failed" and "disk full" in report.message
    assert "fourteen" in (published.portal / "en/billing/refunds.md").read_text()
    assert read_state(published.config())["commit"] == commit_before
    assert kb(published).build_id == build_before
    monkeypatch.undo()
    assert sync(published.config()).status == "published"  # the same change, retried
    assert found(published, "ninety") == ["billing/refunds"]


def test_renames_survive_a_forced_full_rebuild(published):
    published.editor.mv("en/billing/invoices.md", "en/documents/invoices.md")
    published.editor.push("move invoices")
    assert sync(published.config()).ok
    report = sync(published.config(), force=True)
    assert report.status == "published" and report.message == "full build"
    assert kb(published).redirect_for("en", "billing/invoices", PUBLIC) == "documents/invoices"


def test_articles_in_a_subfolder_of_the_repository(repos):
    repos.editor.write({f"articles/{k}": v for k, v in BASE.items()} | {"README.md": "# Repo\n"})
    repos.editor.push("articles live in a subfolder")
    repos.clone_portal()
    config = repos.config(ARTICLES_DIR=repos.portal / "articles")
    try:
        assert sync(config).status == "published"
        repos.editor.write({"README.md": "# Repo, updated\n"})
        repos.editor.push("readme only")
        assert sync(config).status == "up-to-date"
        repos.editor.write({"articles/en/billing/refunds.md": "# Refunds\n\nSixty days.\n"})
        repos.editor.push("sixty")
        report = sync(config)
        assert report.changed == ["en/billing/refunds.md"]
        hits = kb_for(config).search(SearchQuery("sixty", locale="en")).hits
        assert [h.slug for h in hits] == ["billing/refunds"]
    finally:
        close_all()


def test_the_periodic_sync_merges_publishes_away_once_quiet(published, monkeypatch):
    published.editor.write({"en/billing/refunds.md": "# Refunds\n\nBack to the card.\n"})
    published.editor.push("edit refunds")
    assert sync(published.config()).message == "incremental update"
    config = {**published.config(), "COMPACT_AFTER": 3600}
    assert sync(config, compact=True).status == "up-to-date"  # not quiet long enough yet
    assert sync({**config, "COMPACT_AFTER": 0}, compact=True).status == "up-to-date"  # never
    later = datetime.now(UTC) + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        assert sync(config).status == "up-to-date"  # only the periodic sync merges
        report = sync(config, compact=True)
    assert report.status == "published"
    assert report.message == "full build merging 1 incremental publishes"
    assert found(published, "card") == ["billing/refunds"]
    with time_machine.travel(later, tick=False):
        assert sync(config, compact=True).status == "up-to-date"  # nothing left to merge

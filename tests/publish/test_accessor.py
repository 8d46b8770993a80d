"""get_kb(): one open version per process, following `current` without a restart."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kbportal import create_app, publish
from kbportal.publish import accessor, layout
from kbportal.viewer import PUBLIC


def _app(config: dict[str, Any]) -> Flask:
    return create_app({**config, "TESTING": True})


def test_first_start_builds_when_there_is_no_build(sample_config: dict[str, Any]) -> None:
    assert layout.current_build(sample_config["DATA_DIR"]) is None
    with _app(sample_config).app_context():
        kb = publish.get_kb()
    assert kb.build_id == layout.current_build_id(sample_config["DATA_DIR"])
    assert kb.article("en", "billing/refunds", PUBLIC) is not None


def test_workers_switch_to_a_new_build_and_close_the_old_one(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accessor, "RETIRE_AFTER", 0.0)
    one, two = _app(built), _app(built)  # two app instances on one data folder
    with one.app_context():
        first = publish.get_kb()
        assert publish.get_kb() is first  # cheap: the same open version

    (built["ARTICLES_DIR"] / "en/billing/invoices.md").write_text("# Invoices v2\n\nNew.\n")
    report = publish.update(built, ["en/billing/invoices.md"], [])

    with two.app_context():
        second = publish.get_kb()
    with one.app_context():
        assert publish.get_kb() is second
    assert second.build_id == report.build_id != first.build_id
    invoices = second.article("en", "billing/invoices", PUBLIC)
    assert invoices is not None and invoices.title == "Invoices v2"
    with pytest.raises(Exception, match="closed"):
        first.problems()  # the retired version was closed


def test_config_of_strips_the_prefix(built: dict[str, Any]) -> None:
    config = publish.config_of(_app(built))
    assert config["DATA_DIR"] == built["DATA_DIR"]
    assert "SECRET_KEY" in config


def test_readers_keep_the_old_version_while_one_thread_opens_the_new(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    old = publish.kb_for(built)
    (built["ARTICLES_DIR"] / "en/billing/invoices.md").write_text("# Invoices v3\n\nNew.\n")
    publish.update(built, ["en/billing/invoices.md"], [])
    opening, release = threading.Event(), threading.Event()
    real_open = accessor._open_current

    def slow_open(*args: Any) -> Any:
        opening.set()
        release.wait(10)  # a big knowledge base takes seconds to open
        return real_open(*args)

    monkeypatch.setattr(accessor, "_open_current", slow_open)
    opener = threading.Thread(target=publish.warm, args=(built,))
    opener.start()
    assert opening.wait(10)
    assert publish.kb_for(built) is old  # not queued behind the opener: the old version answers
    release.set()
    opener.join(10)
    new = publish.kb_for(built)
    assert new is not old and new.build_id == layout.current_build_id(built["DATA_DIR"])
    assert new.article("en", "billing/invoices", PUBLIC).title == "Invoices v3"  # type: ignore[union-attr]


def test_a_retired_version_is_freed(built: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    monkeypatch.setattr(accessor, "RETIRE_AFTER", 0.0)
    old = weakref.ref(publish.kb_for(built)._kb)  # type: ignore[attr-defined]
    (built["ARTICLES_DIR"] / "en/billing/invoices.md").write_text("# Invoices v4\n\nNew.\n")
    publish.update(built, ["en/billing/invoices.md"], [])
    publish.kb_for(built)  # switches; the old version retires
    publish.kb_for(built)  # and is closed
    gc.collect()
    assert old() is None  # not kept alive by the accessor (memory must not grow per publish)


def test_a_serving_worker_opens_and_warms_a_new_version_off_the_request_path(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    old = publish.kb_for(built)
    (built["ARTICLES_DIR"] / "en/billing/invoices.md").write_text("# Invoices v4\n\nNew.\n")
    publish.update(built, ["en/billing/invoices.md"], [])
    searched, release = threading.Event(), threading.Event()
    real_warm = accessor._warm_version

    def slow_warm(config: Any, kb: Any) -> None:
        real_warm(config, kb)
        searched.set()
        release.wait(10)  # warming a big version takes a while

    monkeypatch.setattr(accessor, "_warm_version", slow_warm)
    monkeypatch.setattr(accessor, "_background", [True])
    assert publish.kb_for(built) is old  # the request is answered at once, by the old version
    assert searched.wait(10)  # the new one was searched before any reader got it
    assert publish.kb_for(built) is old
    release.set()
    for _ in range(100):
        new = publish.kb_for(built)
        if new is not old:
            break
        threading.Event().wait(0.05)
    assert new.build_id == layout.current_build_id(built["DATA_DIR"])
    assert accessor._warmed[built["DATA_DIR"]] == new.build_id

"""An estimated total ("about N", from a pruned search) counts only what the viewer may see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from leaks_sample import app_with_agents, assert_clean, client_for

from kbportal.search import pruning, query_builder, semantic

PUBLIC, INTERNAL = 30, 40
FILES: dict[str, str | bytes] = {"en/internal/_category.yml": "visibility: internal\n"}
for i in range(PUBLIC):
    FILES[f"en/guides/widget-{i}.md"] = (
        f"# Widget guide {i}\n\nThe widget setup, step {i}.\n\n## More\n\nWidget tips {i}.\n"
    )
for i in range(INTERNAL):
    FILES[f"en/internal/zorblax-{i}.md"] = (
        f"# Zorblax widget {i}\n\nThe zorblax widget override {i}.\n"
    )


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    # Prune every search, over a handful of candidates: the sample is small.
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 0)
    monkeypatch.setattr(pruning, "MAX_CANDIDATES", 1.0)
    monkeypatch.setattr(semantic, "DEPTH", 1)
    monkeypatch.setattr(query_builder, "RERANK_DEPTH", 1)
    yield from app_with_agents(tmp_path, FILES)


def test_estimated_totals_count_public_articles_only(app: Flask) -> None:
    public = app.test_client()
    api = public.get("/api/v1/search?q=widget&limit=1").get_json()
    assert api["total_is_estimate"] is True  # the pruned path is the one under test
    assert 0 < api["total"] <= PUBLIC
    assert_clean(str(api))
    page = public.get("/en/search?q=widget&per_page=1").get_data(as_text=True)
    match = re.search(r'class="result-count" role="status">About (\d+) article', page)
    assert match and 0 < int(match.group(1)) <= PUBLIC, page
    assert_clean(page, echo="widget")
    staff = client_for(app, "agent@example.com").get("/staff/search.json?q=widget").get_json()
    assert staff["total"] > PUBLIC  # staff do count the internal ones: not vacuous

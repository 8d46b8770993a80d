"""The whole tldr corpus through a full build and a one-file update (slow: opt-in)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import NO_TLDR, TLDR

from kbportal import publish
from kbportal.config import load_config
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC


@pytest.mark.slow
@pytest.mark.skipif(not TLDR.is_dir(), reason=NO_TLDR)
def test_tldr_full_build_and_one_file_update(tmp_path: Path) -> None:
    articles = tmp_path / "tldr"
    shutil.copytree(TLDR, articles)
    config = load_config({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data")}, {})
    try:
        report = publish.build(config)
        assert report.articles > 8000 and report.internal == 0
        kb = publish.kb_for(config)
        assert kb.article("en", "linux/ip", PUBLIC) is not None
        assert kb.article("en", "cisco-ios/ip", PUBLIC) is not None

        page = articles / "en" / "linux" / "ip.md"
        page.write_text(page.read_text(encoding="utf-8") + "\n- Quokkafy:\n\n`ip quokka`\n")
        update = publish.update(config, ["en/linux/ip.md"], [])
        assert update.changed == ["en/linux/ip"] and update.articles == report.articles
        hits = publish.kb_for(config).search(SearchQuery("quokkafy", locale="en")).hits
        assert [h.key for h in hits] == ["en/linux/ip"]
    finally:
        publish.close_all()

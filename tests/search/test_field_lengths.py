"""Field lengths read from the column at once equal Whoosh's own per-document answers."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as windex

from kbportal.search import build_index, update_index
from kbportal.search.index import INDEX_NAME, make_schema
from kbportal.search.lengths import field_lengths

from .conftest import article


def test_lengths_match_doc_field_length_on_every_segment_and_field(tmp_path: Path) -> None:
    ix_dir = tmp_path / "ix"
    articles = [
        article(f"a{i}", f"Title {i}", "word " * (i * 7 + 1) + "\n\n## Part\n\nmore text")
        for i in range(30)
    ]
    build_index(ix_dir, articles)
    update_index(ix_dir, [article("a3", "Changed", "short")], ["en/a5"])  # a second segment
    ix = windex.open_dir(str(ix_dir), indexname=INDEX_NAME)
    try:
        with ix.searcher() as searcher:
            leaves = [sub.reader() for sub, _ in searcher.leaf_searchers()]
            assert len(leaves) == 2
            scored = [name for name, field in make_schema().items() if field.scorable]
            for reader in leaves:
                for field in scored:
                    slow = [
                        reader.doc_field_length(d, field) for d in range(reader.doc_count_all())
                    ]
                    assert field_lengths(reader, field) == slow, field
    finally:
        ix.close()

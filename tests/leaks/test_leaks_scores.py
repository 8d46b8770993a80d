"""Issue 7 §1: public search output does not change when an internal article is published.

Customers search an index of public articles only (kbportal.publish.public_index), so BM25's
statistics, the word vectors' idf and the spelling words never count an internal article.
"""

from __future__ import annotations

import re
from pathlib import Path

from support import close_app, make_app

from kbportal import publish
from kbportal.publish.accessor import config_of
from kbportal.search.types import SearchQuery
from kbportal.viewer import Viewer

PUBLIC_FILES = {
    "en/billing/refunds.md": "# Refunds\n\nA refund goes back to the card in five days.\n",
    "en/billing/invoices.md": "# Invoices\n\nEvery invoice lists the refund and the card.\n",
    "en/account/password.md": "# Password\n\nReset the password from the sign-in page.\n",
    "en/account/card.md": "# Change your card\n\nThe card on file pays each invoice.\n",
}
INTERNAL = {
    "en/internal/_category.yml": "visibility: internal\n",
    "en/internal/refund-abuse.md": (
        "# Refund abuse\n\nA refund refund refund to a card twice is refund abuse; the card "
        "refund desk checks each refund and each invoice.\n"
    ),
}
QUERIES = ["refund", "refund card", "card invoice", "refnud", "password refund", "abuse"]


SEARCH_IDS = re.compile(rb'("search_id":|click=|name="kbportal-search-id" content=")\d+')


def without_search_ids(body: bytes) -> bytes:
    """A search answer with its random search id (and the click links carrying it) masked."""
    return SEARCH_IDS.sub(rb"\1ID", body)


def _outputs(tmp_path: Path, files: dict[str, str]) -> dict[str, bytes]:
    app = make_app(tmp_path, files)
    try:
        client = app.test_client()
        out = {}
        for query in QUERIES:
            for path in ("/api/v1/search?q=", "/api/v1/autocomplete?q=", "/en/search?q="):
                response = client.get(path + query)
                assert response.status_code == 200
                out[path + query] = without_search_ids(response.data)
        return out
    finally:
        close_app(app)
        publish.close_all()


def test_public_api_is_byte_identical_with_an_internal_article(tmp_path: Path) -> None:
    without = _outputs(tmp_path / "without", PUBLIC_FILES)
    with_internal = _outputs(tmp_path / "with", {**PUBLIC_FILES, **INTERNAL})
    for url, body in without.items():
        # The search page carries a CSRF-free form; nothing in it depends on the build.
        assert with_internal[url] == body, url


def test_incremental_publish_of_an_internal_article_keeps_public_scores(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        {**PUBLIC_FILES, "en/internal/_category.yml": INTERNAL["en/internal/_category.yml"]},
    )
    try:
        client = app.test_client()
        before = {q: without_search_ids(client.get(f"/api/v1/search?q={q}").data) for q in QUERIES}
        articles = Path(app.config["KBPORTAL_ARTICLES_DIR"])
        path = "en/internal/refund-abuse.md"
        (articles / path).write_text(INTERNAL[path])
        report = publish.update(config_of(app), [path], [])
        assert not report.full and report.internal == 1
        after = {q: without_search_ids(client.get(f"/api/v1/search?q={q}").data) for q in QUERIES}
        assert after == before
        staff = Viewer(staff=True)
        kb = publish.kb_for(config_of(app))
        assert kb.search(SearchQuery("abuse", staff)).hits  # staff do find it
    finally:
        close_app(app)
        publish.close_all()


def test_both_indexes_answer_whichever_way_they_were_built(tmp_path: Path) -> None:
    """Mostly public: staff index = public + a segment; mostly internal: built apart."""
    from support import write_tree

    from kbportal.config import load_config

    extra = {f"en/internal/n{n}.md": f"# Note {n}\n\nAbuse desk note {n}.\n" for n in range(6)}
    for name, files in (
        ("mostly-public", {**PUBLIC_FILES, **INTERNAL}),
        ("mostly-internal", {**PUBLIC_FILES, **INTERNAL, **extra}),
    ):
        root = write_tree(tmp_path / name / "articles", files)
        config = load_config({"ARTICLES_DIR": root, "DATA_DIR": tmp_path / name / "data"}, {})
        try:
            publish.build(config)
            kb = publish.kb_for(config)
            staff = kb.search(SearchQuery("abuse", Viewer(staff=True), "en"))
            assert "en/internal/refund-abuse" in {h.key for h in staff.hits}, name
            assert kb.search(SearchQuery("abuse", Viewer(), "en")).total == 0, name
            public = kb.search(SearchQuery("refund card", Viewer(), "en"))
            assert {h.key for h in public.hits} <= {f"en/{p[3:-3]}" for p in PUBLIC_FILES}
            assert public.total >= 2
        finally:
            publish.close_all()

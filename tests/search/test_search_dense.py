"""The numpy first pass gives exactly the scores of the plain per-posting sums."""

from __future__ import annotations

from whoosh.query import Term

from kbportal.search import query_builder
from kbportal.search.reader import IndexReader
from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

ARTICLES = [
    article(
        f"a{i}",
        f"Refund guide {i}" if i % 3 else f"Invoice {i}",
        f"How to get a refund for order {i}.",
        ("pay", "Payment", f"Card payment and invoice number {i % 5}."),
        ("more", "More refunds", "Refunds take five days." * (i % 4 + 1)),
        category="billing" if i % 2 else "orders",
        visibility="internal" if i % 7 == 0 else "public",
    )
    for i in range(40)
]
QUERIES = ("refund", "refund invoice", "card payment days", "invoice 3", "guide", "nothing here")


def _plain_first_pass(
    reader: IndexReader, built: query_builder.BuiltQuery, scope: set[int]
) -> dict[int, float]:
    """The dict loop the numpy sums replaced (no coordination), as the reference."""
    acc: dict[int, float] = {}
    whole: dict[int, float] = {}
    for group in built.groups:
        word, art = reader.group_scores(group)
        for d, score in word.items():
            acc[d] = acc.get(d, 0.0) + score
        for d, score in art.items():
            a = reader.article_of[d]
            whole[a] = whole.get(a, 0.0) + score
            acc.setdefault(d, 0.0)
    found = {
        d: query_builder.combine(whole.get(reader.article_of[d], 0.0), acc[d])
        for d in acc.keys() & scope
    }
    for bonus in built.bonuses:
        if isinstance(bonus, Term):
            for d, score in reader.term_scores(bonus.fieldname, bonus.text).items():
                if d in found:
                    found[d] += score * bonus.boost
    return found


def test_numpy_sums_equal_the_plain_sums(make_searcher: MakeSearcher) -> None:
    s = make_searcher(ARTICLES)
    with s._using() as reader:
        for viewer in (PUBLIC, Viewer(staff=True)):
            for category in (None, "billing"):
                scope = reader.scope(viewer, "en", category)
                for text in QUERIES:
                    built = query_builder.build_query(text)
                    assert built is not None
                    found = reader.first_pass(built, scope).as_dict()
                    assert found == _plain_first_pass(reader, built, scope), text
                    assert set(found) <= scope
                    assert list(found) == sorted(found)  # ties go to the lower document

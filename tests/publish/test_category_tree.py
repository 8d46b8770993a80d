"""The per-build category tree: same answers as counting by hand, for every class of reader."""

from __future__ import annotations

from kbportal.content.models import Article, Category
from kbportal.publish.tree import CategoryTree
from kbportal.publish.view import CategoryNode
from kbportal.viewer import PUBLIC, Viewer

STAFF = Viewer(staff=True)
BILLING = Viewer(staff=True, groups=frozenset({"billing"}))


def article(slug: str, category: str, **fields: object) -> Article:
    return Article("en", slug, f"en/{slug}.md", slug.title(), "", category=category, **fields)  # type: ignore[arg-type]


CATEGORIES = {
    ("en", "a"): Category("en", "a", "A", order=2),
    ("en", "a/x"): Category("en", "a/x", "X"),
    ("en", "a/y"): Category("en", "a/y", "Y", visibility="internal"),
    ("en", "b"): Category("en", "b", "B", order=1),
    ("en", "empty"): Category("en", "empty", "Empty"),
    ("ru", "a"): Category("ru", "a", "А"),
}
ARTICLES = [
    article("a1", "a"),
    article("x1", "a/x"),
    article("x2", "a/x", visibility="internal"),
    article("x3", "a/x", visibility="internal", audience=("billing",)),
    article("y1", "a/y", visibility="internal"),
    article("b1", "b"),
    article("d1", "b", draft=True),
    Article("ru", "a2", "ru/a/a2.md", "А2", "", category="a"),
]


def shape(nodes: list[CategoryNode]) -> list[tuple[str, int, list[object]]]:
    return [(n.category.path, n.count, shape(n.children)) for n in nodes]


def test_tree_counts_and_order_per_reader() -> None:
    tree = CategoryTree(CATEGORIES, ARTICLES)
    public = tree.view(PUBLIC)
    assert shape(public.roots("en")) == [("b", 1, []), ("a", 2, [("a/x", 1, [])])]
    assert shape(tree.view(STAFF).roots("en")) == [
        ("b", 1, []),
        ("a", 4, [("a/x", 2, []), ("a/y", 1, [])]),
    ]
    assert tree.view(BILLING).node("en", "a/x").count == 3  # type: ignore[union-attr]
    assert public.node("en", "a/y") is None and public.node("en", "empty") is None
    assert public.node("en", "nope") is None and public.roots("xx") == []
    assert shape(public.roots("ru")) == [("a", 1, [])]


def test_readers_who_see_the_same_share_one_tree() -> None:
    tree = CategoryTree(CATEGORIES, ARTICLES)
    unrelated = Viewer(staff=True, groups=frozenset({"sales"}))  # no article names "sales"
    assert tree.view(unrelated) is tree.view(STAFF)
    assert tree.view(BILLING) is not tree.view(STAFF)
    assert tree.view(Viewer()) is tree.view(PUBLIC)


def test_many_categories() -> None:
    categories = {("en", f"c{i}"): Category("en", f"c{i}", f"C{i:04d}") for i in range(2000)}
    articles = [article(f"p{i}", f"c{i % 2000}") for i in range(4000)]
    tree = CategoryTree(categories, articles)
    roots = tree.view(PUBLIC).roots("en")
    assert len(roots) == 2000 and all(node.count == 2 for node in roots)
    assert [n.category.title for n in roots[:2]] == ["C0000", "C0001"]

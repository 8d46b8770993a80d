"""Who is looking: the one place that decides which articles a reader may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from kbportal.content.models import Article


@dataclass(frozen=True)
class Viewer:
    """A reader: an anonymous customer, or a signed-in staff member with groups."""

    staff: bool = False
    groups: frozenset[str] = field(default_factory=frozenset)

    def can_see(self, article: Article) -> bool:
        """Whether this reader may see the article by any path."""
        if article.draft:
            return False
        if article.visibility == "public":
            return True
        if not self.staff:
            return False
        return not article.audience or bool(self.groups & set(article.audience))


PUBLIC = Viewer()

"""The tldr corpus as benchmark data: page paths and a fixed set of natural queries."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kbportal.content.models import Article

# Beside the checkout (../shared/corpora/tldr), not in a clone: TLDR_CORPUS may point elsewhere.
TLDR = Path(
    os.environ.get("TLDR_CORPUS")
    or Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tldr"
)
_EXAMPLE = re.compile(r"^- (.+?):?$", re.MULTILINE)
_MARKUP = re.compile(r"[\[\]{}`<>*_]")


def tldr_root() -> Path:
    """Where the corpus lives (../shared/corpora/tldr beside the repository)."""
    if not TLDR.is_dir():
        raise SystemExit(f"tldr corpus not found at {TLDR} (set TLDR_CORPUS to its pages folder)")
    return TLDR


def pages(root: Path) -> list[Path]:
    """Every markdown page of the corpus, in a stable order."""
    return sorted(p for p in root.rglob("*.md") if p.name != "LICENSE.md")


def queries(root: Path, count: int = 300, seed: int = 7) -> list[str]:
    """Natural queries: example descriptions as a person would type them (fixed sample)."""
    rng = random.Random(seed)
    found: list[str] = []
    for page in pages(root):
        for match in _EXAMPLE.finditer(page.read_text(encoding="utf-8")):
            words = _MARKUP.sub("", match.group(1)).split()
            if 2 <= len(words) <= 10:
                found.append(" ".join(words).lower())
    rng.shuffle(found)
    return found[:count]


def tldr_articles(root: Path) -> list[Article]:
    """The corpus through the content pipeline, as a list of Article values."""
    from kbportal.content.loader import load_knowledge_base  # noqa: PLC0415 - only some benches

    kb = load_knowledge_base(root)
    return list(kb.articles.values()) if isinstance(kb.articles, dict) else list(kb.articles)

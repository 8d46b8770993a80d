"""The tldr corpus as benchmark data: page paths and a fixed set of natural queries."""

from __future__ import annotations

import random
import re
from pathlib import Path

TLDR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tldr"
_EXAMPLE = re.compile(r"^- (.+?):?$", re.MULTILINE)
_MARKUP = re.compile(r"[\[\]{}`<>*_]")


def tldr_root() -> Path:
    """Where the corpus lives (../shared/corpora/tldr beside the repository)."""
    if not TLDR.is_dir():
        raise SystemExit(f"tldr corpus not found at {TLDR}")
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

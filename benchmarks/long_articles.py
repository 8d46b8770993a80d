"""Long help-center articles (~1,500 words each) made of tldr pages, for issue 13's long corpus.

Real help-center articles are 3-6 times longer than tldr pages. Each generated article is a
title, an intro, and tldr pages as its sections (## the page's title, then its text) until it
holds `words` words; the pages are drawn at random (fixed seed), so every word and example
line is real tldr text and `tldr_data.queries` finds natural queries in them. Usage:

    .venv/bin/python benchmarks/long_articles.py /tmp/kb-long/articles 10000
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from tldr_data import pages, tldr_root

WORDS = 1_500
PER_FOLDER = 500  # articles per category folder


def _page(path: Path) -> tuple[str, str]:
    """(title, text) of one tldr page."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    return first.lstrip("# ").strip(), rest.strip()


def write_long_articles(target: Path, count: int = 10_000, words: int = WORDS) -> int:
    """Write `count` articles of about `words` words under target/en/; returns the count."""
    rng = random.Random(13)
    source = [_page(p) for p in pages(tldr_root()) if p.relative_to(tldr_root()).parts[0] == "en"]
    for number in range(count):
        title, intro = rng.choice(source)
        parts = [f"# {title.capitalize()} guide {number}\n", intro]
        held = len(intro.split())
        while held < words:
            heading, text = rng.choice(source)
            parts.append(f"## {heading}\n\n{text}")
            held += len(heading.split()) + len(text.split())
        folder = target / "en" / f"guides{number // PER_FOLDER:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"guide-{number}.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return count


if __name__ == "__main__":
    where = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kbportal-bench-long/articles")
    print(write_long_articles(where, int(sys.argv[2]) if len(sys.argv) > 2 else 10_000))

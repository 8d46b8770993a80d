"""A ~100k-article knowledge base: the tldr corpus copied into twelve category trees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tldr_data import pages, tldr_root

COPIES = 12  # 8,326 tldr pages x 12 = ~100k articles


def write_articles(target: Path, copies: int = COPIES) -> int:
    """Copy every tldr page `copies` times under <locale>/r<NN>/...; returns the article count."""
    root = tldr_root()
    count = 0
    for page in pages(root):
        relative = page.relative_to(root)
        locale, rest = relative.parts[0], Path(*relative.parts[1:])
        for copy in range(copies):
            dest = target / locale / f"r{copy:02d}" / rest
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(page, dest)
            count += 1
    return count


def prepared(work: Path, copies: int = COPIES) -> tuple[Path, Path]:
    """Articles and a built data folder in `work`, made once and reused (a build takes minutes)."""
    articles, data = work / "articles", work / "data"
    done = work / f"built-{copies}"
    if done.exists() and (data / "current").exists():
        return articles, data
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"writing {write_articles(articles, copies)} articles to {articles}", flush=True)
    env = {**os.environ, "KBPORTAL_ARTICLES_DIR": str(articles), "KBPORTAL_DATA_DIR": str(data)}
    kbportal = str(Path(sys.executable).with_name("kbportal"))
    subprocess.run([kbportal, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    done.touch()
    return articles, data


if __name__ == "__main__":
    where = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kbportal-bench-100k")
    print(prepared(where, int(sys.argv[2]) if len(sys.argv) > 2 else COPIES))

"""Page cost against the number of categories: the same articles in 10 or 2,000 categories.

tldr's English pages (first --articles of them) are laid out under --categories folders
(up to 40 top-level folders, the rest one level below them), built with `kbportal index`
in a child process, then article, category, home and search pages are timed in process with
Flask's test client. Flat means the 2,000-category row costs what the 10-category row does.
Usage:
    .venv/bin/python benchmarks/bench_categories.py [--articles 3000] [--categories 10 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import pct  # noqa: E402
from tldr_data import pages, queries, tldr_root  # noqa: E402

from kbportal import create_app, publish  # noqa: E402

TOP_LEVEL = 40


def folder_of(index: int, categories: int) -> str:
    """The category folder of the index-th category: top-level first, then one level down."""
    tops = min(TOP_LEVEL, categories)
    if index < tops:
        return f"area-{index:02d}"
    return f"area-{index % tops:02d}/topic-{index:04d}"


def lay_out(root: Path, target: Path, articles: int, categories: int) -> list[str]:
    """Copy the first English pages of tldr under `categories` folders; their page URLs."""
    urls: list[str] = []
    english = [p for p in pages(root) if p.relative_to(root).parts[0] == "en"][:articles]
    for n, page in enumerate(english):
        folder = folder_of(n % categories, categories)
        dest = target / "en" / folder / f"{page.stem}-{n}.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, dest)
        urls.append(f"/en/articles/{quote(folder)}/{quote(dest.stem)}")
    return urls


def measure(work: Path, root: Path, articles: int, categories: int, rounds: int) -> dict:
    """Build one layout and time its pages; p50/p95 in ms per kind of page."""
    tree = work / f"articles-{categories}"
    data = work / f"data-{categories}"
    urls = lay_out(root, tree, articles, categories)
    env = {**os.environ, "KBPORTAL_ARTICLES_DIR": str(tree), "KBPORTAL_DATA_DIR": str(data)}
    kbportal = Path(sys.executable).parent / "kbportal"
    subprocess.run([str(kbportal), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    app = create_app({"ARTICLES_DIR": str(tree), "DATA_DIR": str(data)})
    client = app.test_client()
    deepest = folder_of(categories - 1, categories)
    qs = queries(root, 100)
    sets = {
        "article page": urls[:: max(1, len(urls) // 200)],
        "category page": [f"/en/categories/{deepest}", "/en/categories/area-00"] * 20,
        "home page": ["/en/"] * 40,
        "search page": [f"/en/search?q={quote(q)}" for q in qs],
    }
    for batch in sets.values():  # open the build, compile templates, fill caches once
        for url in batch[:10]:
            assert client.get(url).status_code == 200, url
    found: dict[str, tuple[float, float]] = {}
    for name, batch in sets.items():
        times: list[float] = []
        for _ in range(rounds):
            for url in batch:
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
        found[name] = (pct(times, 50), pct(times, 95))
    publish.close_all()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--categories", type=int, nargs="+", default=[10, 2000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = tldr_root()
    work = Path(tempfile.mkdtemp(prefix="kb-cats-"))
    try:
        rows = {c: measure(work, root, args.articles, c, args.rounds) for c in args.categories}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.articles} tldr pages; in process; p50 / p95 ms; load {os.getloadavg()[0]:.1f}")
    names = list(next(iter(rows.values())))
    print(f"{'categories':>10s}  " + "  ".join(f"{n:>18s}" for n in names))
    for count, found in rows.items():
        cells = "  ".join(f"{found[n][0]:8.2f} / {found[n][1]:7.2f}" for n in names)
        print(f"{count:>10d}  {cells}")


if __name__ == "__main__":
    main()

"""Issue 13's figures at a given size, each beside SQLite FTS5 and tantivy on the same pages.

tldr replicated N times (`replicated_tldr.py`: 12 copies = ~100k articles) or any articles
folder. Measures, in one process: the full build (or reuses a built data folder), a
one-article publish (median of `--publishes`, each appending a new word to another page),
publish-to-found (publish, then search through the accessor until the word is found, as a
worker that follows `current` would), search API p50/p95 with snippets through Flask's test
client, and this process's RSS after the searches and after the publishes. Usage:

    .venv/bin/python benchmarks/bench_scale.py --copies 12 --work /tmp/kb-100k
    .venv/bin/python benchmarks/bench_scale.py --articles DIR --data DIR   # reuse a build
    .venv/bin/python benchmarks/bench_scale.py --long 10000 --work /tmp/kb-long  # long articles

Search is timed twice over the same queries: the first pass reads each word's postings for
the first time (a worker's first searches), the second finds them in the reader's bounded
cache (a worker that has served a while, as FTS5's and tantivy's pages sit in the OS cache).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fts5_baseline  # noqa: E402
from long_articles import write_long_articles  # noqa: E402
from replicated_tldr import write_articles  # noqa: E402
from tldr_data import pages, queries  # noqa: E402

from kbportal import create_app, publish  # noqa: E402
from kbportal.config import load_config  # noqa: E402
from kbportal.memory import release_free_memory  # noqa: E402
from kbportal.publish import layout  # noqa: E402
from kbportal.search.types import SearchQuery  # noqa: E402
from kbportal.viewer import PUBLIC  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def rss_mb() -> float:
    """This process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tantivy_index(paths: list[Path]):  # noqa: ANN201 - tantivy is a bench extra
    """tantivy (English stemmer, title x3) over the pages; (index, seconds)."""
    import tantivy  # noqa: PLC0415

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("path", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem", stored=True)
    builder.add_text_field("body", tokenizer_name="en_stem", stored=True)
    index = tantivy.Index(builder.build())
    start = time.perf_counter()
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for path in paths:
        _, title, body = fts5_baseline._doc(path)
        writer.add_document(tantivy.Document(path=str(path), title=title, body=body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, time.perf_counter() - start


def tantivy_update(index, path: Path) -> float:  # noqa: ANN001
    """Replace one page and commit; seconds."""
    import tantivy  # noqa: PLC0415

    start = time.perf_counter()
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    writer.delete_documents_by_term("path", str(path))
    _, title, body = fts5_baseline._doc(path)
    writer.add_document(tantivy.Document(path=str(path), title=title, body=body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return time.perf_counter() - start


def tantivy_search(index):  # noqa: ANN001, ANN201
    """One query with snippets, as a search API would."""
    import tantivy  # noqa: PLC0415

    searcher = index.searcher()

    def search(query: str) -> list[str]:
        words = fts5_baseline._WORD.findall(query)
        if not words:
            return []
        parsed = index.parse_query(" ".join(words), ["title", "body"], field_boosts={"title": 3.0})
        found = searcher.search(parsed, 10).hits
        snippets = tantivy.SnippetGenerator.create(searcher, parsed, index.schema, "body")
        out = []
        for _, address in found:
            doc = searcher.doc(address)
            out.append(snippets.snippet_from_doc(doc).to_html())
        return out

    return search


def timed_ms(calls: list, run) -> list[float]:  # noqa: ANN001
    """Milliseconds per call."""
    out = []
    for call in calls:
        start = time.perf_counter()
        run(call)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbportal-bench-scale"))
    parser.add_argument("--articles", type=Path, help="an articles folder to use as it is")
    parser.add_argument("--data", type=Path, help="a data folder; built already: reused")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--publishes", type=int, default=5)
    parser.add_argument("--no-engines", action="store_true", help="skip FTS5 and tantivy")
    parser.add_argument("--long", type=int, help="write this many ~1,500-word articles instead")
    args = parser.parse_args()

    articles = args.articles or args.work / "articles"
    data = args.data or args.work / "data"
    if not articles.is_dir():
        written = (
            write_long_articles(articles, args.long)
            if args.long
            else write_articles(articles, args.copies)
        )
        print(f"writing {written} articles", flush=True)
    corpus = pages(articles)
    qs = queries(articles, args.queries)
    config = load_config({"ARTICLES_DIR": articles, "DATA_DIR": data})
    rows: list[tuple[str, str, str, str]] = []

    if layout.current_build(data) is None:
        start = time.perf_counter()
        report = publish.build(config)
        rows.append(("full build (s)", f"{time.perf_counter() - start:.1f}", "", report.summary()))
    engines = not args.no_engines
    if engines:
        fts_db = args.work / "fts.sqlite"
        fts_db.parent.mkdir(parents=True, exist_ok=True)
        fts_db.unlink(missing_ok=True)
        fts_build = fts5_baseline.build(fts_db, corpus)
        tantivy, tantivy_build = tantivy_index(corpus)
        rows.append(
            ("full build, FTS5 / tantivy (s)", f"{fts_build:.1f}", f"{tantivy_build:.1f}", "")
        )

    app = create_app({"ARTICLES_DIR": articles, "DATA_DIR": data, "TESTING": True})
    client = app.test_client()
    urls = [f"/api/v1/search?q={quote(q)}&limit=10" for q in qs]
    for url in urls[:20]:  # warm, as a running worker is
        client.get(url)
    api = timed_ms(urls, lambda url: client.get(url).get_json())
    rows.append(
        (
            "search API p50 / p95 (ms)",
            f"{percentile(api, 50):.1f}",
            f"{percentile(api, 95):.1f}",
            f"{len(urls)} queries, snippets, Flask + JSON",
        )
    )
    again = timed_ms(urls, lambda url: client.get(url).get_json())
    rows.append(
        (
            "search API p50 / p95, same queries again (ms)",
            f"{percentile(again, 50):.1f}",
            f"{percentile(again, 95):.1f}",
            "postings cached by the reader",
        )
    )
    if engines:
        for name, search in (
            ("FTS5", fts5_baseline.searcher(fts_db)),
            ("tantivy", tantivy_search(tantivy)),
        ):
            took = timed_ms(qs, search)
            rows.append(
                (
                    f"search p50 / p95, {name} (ms)",
                    f"{percentile(took, 50):.1f}",
                    f"{percentile(took, 95):.1f}",
                    "bare query + snippets",
                )
            )
    gc.collect()
    release_free_memory()
    rss_before = rss_mb()

    step = max(1, len(corpus) // max(1, args.publishes))
    targets = corpus[step // 2 :: step][: args.publishes]
    took, found_after, fts_took, tantivy_took = [], [], [], []
    for number, page in enumerate(targets):
        word = f"zqscale{number}x{int(time.time())}"
        with page.open("a", encoding="utf-8") as handle:
            handle.write(f"\n- Scale benchmark {word}:\n\n`true`\n")
        rel = page.relative_to(articles).as_posix()
        start = time.perf_counter()
        publish.update(config, changed=[rel], removed=[])
        took.append(time.perf_counter() - start)
        while not publish.kb_for(config).search(SearchQuery(word, PUBLIC)).hits:
            time.sleep(0.01)
        found_after.append(time.perf_counter() - start)
        if engines:
            fts_took.append(fts5_baseline.update_one(fts_db, page))
            tantivy_took.append(tantivy_update(tantivy, page))
    if took:  # (--publishes 0: searches only)
        rows.append(
            (
                "one-article publish, median / max (s)",
                f"{statistics.median(took):.3f}",
                f"{max(took):.3f}",
                f"{len(took)} publishes",
            )
        )
        rows.append(
            (
                "publish to found by search, median / max (s)",
                f"{statistics.median(found_after):.3f}",
                f"{max(found_after):.3f}",
                "in process: publish, switch, search",
            )
        )
        if engines:
            rows.append(
                (
                    "one-page update, FTS5 / tantivy (s)",
                    f"{statistics.median(fts_took):.3f}",
                    f"{statistics.median(tantivy_took):.3f}",
                    "median",
                )
            )
    time.sleep(11)  # old versions retire after 10 s
    client.get(urls[0])
    gc.collect()
    release_free_memory()
    rows.append(
        (
            "process RSS after searches / after publishes (MB)",
            f"{rss_before:.0f}",
            f"{rss_mb():.0f}",
            "",
        )
    )

    print(f"{len(corpus)} pages, {len(qs)} queries")
    for name, a, b, note in rows:
        print(f"| {name} | {a} | {b} | {note} |")


if __name__ == "__main__":
    main()

"""The index: its schema, building it from articles, and updating it in place."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.analysis import RegexTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.writing import SegmentWriter

from kbportal import forked
from kbportal.content.models import Article, Section
from kbportal.search import analysis, bulk, semantic

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
# Bump when the schema or the analysis changes: an index of another format needs a full build
# (Whoosh pickles the analyzers into the index, so old ones may not even open).
INDEX_FORMAT = "kbportal-search-7"
FORMAT_FILE = "KBPORTAL_FORMAT"
ALL_STAFF = "*"  # audience term of an internal article every staff member may see
# A full build splits over processes from this many articles (fewer: forking costs more).
PARALLEL_FROM = 1000
POOL_MB = 256  # postings a writer sorts in memory before it writes a sorted run to disk
# The share of the documents the main process analyses (1 = a chunk like each child's): it
# also writes every document's stored fields and the merged postings.
MAIN_SHARE = 0.8

# One value per line: category ancestors and audience groups may hold spaces or commas.
_LINES = RegexTokenizer(r"[^\n]+")


def _unscored(field: TEXT) -> TEXT:
    """A field only matched or listed, never ranked: no lengths kept (builds ~20% faster)."""
    field.scorable = False
    return field


def make_schema() -> Schema:
    """One document per article section; stored fields are what a hit and its snippet need."""
    text = analysis.text_analyzer()
    title = analysis.title_analyzer()
    return Schema(
        key=ID(stored=True, sortable=True),  # "locale/slug": updates delete by it
        locale=ID(stored=True),
        slug=STORED(),
        title=TEXT(analyzer=title, stored=True),
        section=TEXT(analyzer=title, stored=True),
        tags=TEXT(analyzer=text, phrase=False),
        summary=TEXT(analyzer=text, phrase=False),
        body=TEXT(analyzer=text, stored=True),
        anchor=STORED(),
        lead=STORED(),  # the article's summary, on sections with no text of their own
        category=STORED(),
        # the category and its ancestors, for filters
        cats=_unscored(TEXT(analyzer=_LINES, phrase=False)),
        visibility=ID(stored=True),
        audience=_unscored(TEXT(analyzer=_LINES, phrase=False)),
        # The whole article on its first document, to rank articles (query_builder)
        article_title=TEXT(analyzer=text, phrase=False),
        article_text=TEXT(analyzer=text, phrase=False),
        first=ID(),  # "1" on an article's first section: one document per article
        title_key=ID(),  # the whole title, normalised: a query equal to it is a strong hint
        spell=_unscored(TEXT(analyzer=analysis.plain_analyzer(), phrase=False)),  # words as typed
        title_prefix=TEXT(analyzer=analysis.prefix_analyzer(), phrase=False),
    )


class IndexFormatError(ValueError):
    """The index was built by another version of the search code: rebuild it."""


def is_current(directory: Path) -> bool:
    """Whether the directory holds an index of the current format."""
    try:
        return (Path(directory) / FORMAT_FILE).read_text().strip() == INDEX_FORMAT
    except OSError:
        return False


def check_format(directory: Path) -> None:
    """Raise IndexFormatError unless the directory holds an index of the current format."""
    if not is_current(directory):
        raise IndexFormatError(f"{directory} is not a {INDEX_FORMAT} index; rebuild it")


def category_ancestors(path: str) -> list[str]:
    """A category path and all its ancestors: "a/b/c" -> ["a", "a/b", "a/b/c"]."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def whole_text(article: Article, sections: list[Section]) -> str:
    """Everything an article says, title first, for ranking it as a whole.

    Its front-matter `questions:` (customers' own phrasings) count as its words too, so a
    phrasing that once failed finds the article.
    """
    parts = [article.title, " ".join(article.tags), *article.questions]
    for sec in sections:
        if sec.title != article.title:
            parts.append(sec.title)
        parts.append(sec.text)
    # A summary taken from the first paragraph (maybe cut with "…") would count that text twice.
    summary = " ".join(article.summary.rstrip("…").split())
    if summary and summary not in " ".join(" ".join(parts).split()):
        parts.insert(2, article.summary)
    return "\n".join(parts)


def documents(article: Article) -> Iterator[dict[str, Any]]:
    """The index documents of one article: one per section (at least one)."""
    sections = list(article.sections)
    if not sections:
        sections = [Section(anchor="", title=article.title, text=article.summary)]
    common: dict[str, Any] = {
        "key": article.key,
        "locale": article.locale,
        "slug": article.slug,
        "title": article.title,
        "category": article.category,
        "cats": "\n".join(category_ancestors(article.category)),
        "visibility": article.visibility,
        "audience": "\n".join(article.audience) if article.audience else ALL_STAFF,
    }
    tags = " ".join(article.tags)
    for i, sec in enumerate(sections):
        section_title = "" if sec.title == article.title and not sec.anchor else sec.title
        doc = dict(common)
        doc.update(section=section_title, body=sec.text, anchor=sec.anchor)
        if not sec.text.strip():
            # A heading with nothing under it (or an empty intro) still needs a snippet.
            doc["lead"] = article.summary
        first_words = " ".join((article.title, *article.questions)) if i == 0 else ""
        doc["spell"] = " ".join((first_words, section_title, sec.text))
        if i == 0:
            doc.update(
                first="1",
                tags=tags,
                summary=article.summary,
                title_prefix=article.title,
                title_key=analysis.title_key(article.title),
                article_title=article.title,
                article_text=whole_text(article, sections),
            )
        yield doc


def semantic_texts(articles: Iterable[Article]) -> Iterator[tuple[str, semantic.Item]]:
    """(language, (key, whole text, title and questions)) of the indexed articles whose locale
    has a word table."""
    for article in articles:
        if not article.draft and article.locale in semantic.LOCALES:
            sections = list(article.sections)
            if not sections:
                sections = [Section(anchor="", title=article.title, text=article.summary)]
            heads = (article.title, *article.questions)
            yield article.locale, (article.key, whole_text(article, sections), heads)


def _indexed(articles: Iterable[Article]) -> Iterator[Article]:
    """The articles that go into an index: drafts are skipped (never searchable)."""
    for article in articles:
        if article.draft:
            log.warning("not indexing draft %s", article.key)
            continue
        yield article


def _add(writer: SegmentWriter, articles: Iterable[Article]) -> int:
    """Add the articles' documents; drafts are skipped (never searchable)."""
    count = 0
    for article in _indexed(articles):
        for doc in documents(article):
            writer.add_document(**doc)
        count += 1
    return count


def build_index(directory: Path, articles: Iterable[Article], procs: int = 1) -> None:
    """A fresh index in an empty (or new) directory holding exactly the given articles.

    With `procs` > 1 (and enough articles to pay for the processes), the text analysis and
    the article vectors run in forked processes beside this one (`search.bulk`); the index
    is the same as with one.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise ValueError(f"index directory is not empty: {directory}")
    articles = list(articles)  # read twice: the index, then the article vectors
    ix = windex.create_in(str(directory), make_schema(), indexname=INDEX_NAME)
    # Plain segment files, not one compound file: Whoosh copies each part of a compound file
    # it opens into memory (24 MB per reader on tldr, and each thread has a reader).
    writer = bulk.BulkWriter(ix, limitmb=POOL_MB, compound=False)
    context = forked.fork_context() if procs > 1 and len(articles) >= PARALLEL_FROM else None
    if context is None or not bulk.supports_split(ix):
        try:
            count = _add(writer, articles)
        except BaseException:
            writer.cancel()
            raise
        # One segment: the fastest to search, and later updates add small segments beside it.
        writer.commit(optimize=True)
        semantic.write(directory, semantic_texts(articles))
    else:
        count = _build_split(directory, writer, articles, procs, context)
    (directory / FORMAT_FILE).write_text(INDEX_FORMAT + "\n")
    log.info("indexed %d articles into %s", count, directory)


def _build_split(
    directory: Path, writer: bulk.BulkWriter, articles: list[Article], procs: int, context: Any
) -> int:
    """The index over `procs` processes: the analysis of all but the first chunk of documents
    in children, the rest here; then the commit here and the vectors in a child beside it."""
    indexed = list(_indexed(articles))
    docs = [doc for article in indexed for doc in documents(article)]
    bounds = forked.chunks(len(docs), procs, MAIN_SHARE)
    vectors, analysis = forked.Children(context), forked.Children(context)
    try:
        for start, end in bounds[1:]:
            chunk = docs[start:end]
            analysis.start(partial(bulk.analyse, writer, chunk, start, POOL_MB))
        for doc in docs[: bounds[0][1]]:
            writer.add_document(**doc)
        analysed = analysis.results()
        # Now that a core is free again: the vectors beside the commit (which is serial).
        vectors.start(lambda: semantic.write(directory, semantic_texts(articles)))
        for (runs, lengths), (start, end) in zip(analysed, bounds[1:], strict=True):
            for doc, counted in zip(docs[start:end], lengths, strict=True):
                writer.add_analysed(doc, counted)
            writer.add_runs(runs)
        writer.commit(optimize=True)
        vectors.results()
    except BaseException:
        analysis.stop()
        vectors.stop()
        if not writer.is_closed:
            writer.cancel()
        raise
    return len(indexed)


def update_index(directory: Path, upserts: Iterable[Article], removed_keys: Iterable[str]) -> None:
    """Replace the sections of changed articles and delete removed ones in an existing index."""
    check_format(directory)
    ix = windex.open_dir(str(directory), indexname=INDEX_NAME)
    writer = ix.writer(compound=False)
    try:
        upserts = list(upserts)
        changed = {*removed_keys, *(a.key for a in upserts)}
        for key in changed:
            writer.delete_by_term("key", key)
        _add(writer, upserts)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()  # default policy merges only small segments, so an update stays cheap
    ix.close()
    semantic.update(directory, semantic_texts(upserts), changed)

"""The Searcher: queries one index directory for many threads of a web worker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits
from whoosh import index as windex
from whoosh.searching import Searcher as WhooshSearcher

from kbportal.search import analysis, evidence, expansion, query_builder, semantic, spelling
from kbportal.search.index import INDEX_NAME, check_format
from kbportal.search.lexicon import Vocabulary
from kbportal.search.reader import IndexReader
from kbportal.search.snippets import make_snippet
from kbportal.search.types import Hit, SearchQuery, SearchResults, Suggestion
from kbportal.viewer import Viewer

log = logging.getLogger(__name__)

FROM_SEARCH = 3  # as-you-type takes the search's top few only: below them it is guessing
COMPLETE_MIN = 3  # a last word shorter than this is not completed: too many candidates
COMPLETE_SCAN = 200  # indexed words looked at to complete one; more means the guess is weak

MAX_PER_PAGE = 100
MAX_PAGE = 1000
FEW_RESULTS = 3  # below this many articles, look for a spelling correction
# Seconds of work after which a search drops its optional stages (meaning re-rank, spelling
# correction): a broad or misspelled query on 100k articles then degrades only itself.
BUDGET = 1.0  # well above any query of the labelled sets, so quality figures never depend on it


def _clamp(value: object, default: int, high: int) -> int:
    """A page number or size as an int in [1, high]; anything unreadable gives the default."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        number = default
    return min(max(number, 1), high)


_blas_limited = False


def _one_blas_thread() -> None:
    """Let BLAS use one thread in this process: a worker's threads are its parallelism, and
    BLAS threads spinning beside them make the small vector products 5-20x slower."""
    global _blas_limited
    if not _blas_limited:
        _blas_limited = True
        threadpool_limits(1, user_api="blas")


class Searcher:
    """Search over an index directory; safe to share between threads (each gets a reader)."""

    def __init__(self, directory: Path) -> None:
        _one_blas_thread()
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[IndexReader] = []
        self._busy = 0  # searches running now: close() waits for them to finish
        self._closed = False
        self._ix = self._open()
        self._vectors = semantic.load_all(self.directory)  # by language
        # One per opened index, shared by all threads; a new build gets a new Searcher.
        self._vocabulary = Vocabulary()

    def _open(self) -> windex.Index:
        if not windex.exists_in(str(self.directory), indexname=INDEX_NAME):
            raise FileNotFoundError(f"no search index in {self.directory}")
        check_format(self.directory)
        return windex.open_dir(str(self.directory), indexname=INDEX_NAME)

    def close(self) -> None:
        """Close every thread's reader, once searches running now have finished."""
        with self._lock:
            self._closed = True
            if self._busy:
                return  # the last running search closes them
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()

    @contextmanager
    def _using(self) -> Iterator[IndexReader]:
        """This thread's reader for the current index, held open while in use."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the searcher is closed")
            self._busy += 1
            reader: IndexReader | None = getattr(self._local, "reader", None)
            if reader is None:
                reader = IndexReader(self._ix, self._vocabulary)
                self._readers.append(reader)
                self._local.reader = reader
        try:
            yield reader
        finally:
            with self._lock:
                self._busy -= 1
                readers: list[IndexReader] = []
                if self._closed and not self._busy:
                    readers, self._readers = self._readers, []
            for r in readers:
                r.close()

    def search(self, query: SearchQuery) -> SearchResults:
        """A page of articles matching the text that the query's viewer may see."""
        page = _clamp(query.page, 1, MAX_PAGE)
        per_page = _clamp(query.per_page, 10, MAX_PER_PAGE)
        if not isinstance(query.text, str):  # a caller's slip must not become a 500
            query = replace(query, text="" if query.text is None else str(query.text))
        with self._using() as reader:
            return self._search(reader, query, page, per_page)

    def _search(
        self, reader: IndexReader, query: SearchQuery, page: int, per_page: int
    ) -> SearchResults:
        deadline = time.monotonic() + BUDGET
        results = self._run(reader, query.text, query, page, per_page, deadline)
        if results.total >= FEW_RESULTS or time.monotonic() > deadline:
            return results  # (over budget: no second search for a spelling correction)
        scope = reader.scope(query.viewer, query.locale, query.category)
        corrected = spelling.correct(reader, query.text, scope)
        if corrected is None:
            return results
        # Nothing found as typed: show what the correction finds; either way, offer it.
        shown = (
            self._run(reader, corrected, query, page, per_page, deadline)
            if results.total == 0
            else results
        )
        return SearchResults(
            query=query.text,
            total=shown.total,
            hits=shown.hits,
            page=page,
            per_page=per_page,
            corrected=corrected,
            total_is_estimate=shown.total_is_estimate,
        )

    def _run(
        self,
        reader: IndexReader,
        text: str,
        query: SearchQuery,
        page: int,
        per_page: int,
        deadline: float = float("inf"),
    ) -> SearchResults:
        scope = reader.scope(query.viewer, query.locale, query.category)
        # A mistyped word also searches for its nearest visible word (typo tolerance).
        extra = spelling.expansions(reader, text, scope)
        built = query_builder.build_query(" ".join([text, *extra]) if extra else text)
        if built is None:
            return SearchResults(query=query.text, total=0, page=page, per_page=per_page)
        # Meaning, in the query's language: nearby words searched too, then the top re-ordered.
        language = semantic.language_for(query.locale, text)
        vectors = self._vectors.get(language) if language else None
        if vectors is not None:
            built = expansion.expand(reader, vectors, text, built, scope)
        # Count matching articles among the documents the viewer may see, before any paging.
        wanted = page * per_page
        # The candidates the re-rank and confidence take: the first pass is exact for them
        reranked = max(wanted, semantic.DEPTH) if vectors is not None else wanted
        k = max(reranked * 3, query_builder.RERANK_DEPTH)  # as many as top_articles collapses
        found = reader.first_pass(built, scope, k, articles=reranked)
        total = reader.count_articles(found)
        about = found.estimate
        if total == 0 or wanted - per_page >= total:
            return SearchResults(
                query=query.text, total=total, page=page, per_page=per_page, total_is_estimate=about
            )
        if time.monotonic() > deadline:
            vectors = None  # over budget: rank by the first pass alone, no re-ranking by meaning
        depth = wanted if vectors is None else max(wanted, semantic.DEPTH)
        best = reader.top_articles(built, found, depth)
        if vectors is not None:
            best = semantic.rerank(vectors, text, best, reader.keys)
        start = wanted - per_page
        page_keys = [reader.keys[d] for d, _ in best[start:wanted]]
        cosines = evidence.page_cosines(vectors, text, page_keys)
        sure = evidence.confidences(reader, built, best, start, wanted, cosines)
        hits = [
            self._hit(reader.searcher, d, score, built.terms, conf)
            for (d, score), conf in zip(best[start:wanted], sure, strict=True)
        ]
        return SearchResults(
            query=query.text,
            total=total,
            hits=hits,
            page=page,
            per_page=per_page,
            total_is_estimate=about,
        )

    @staticmethod
    def _hit(
        searcher: WhooshSearcher, docnum: int, score: float, terms: tuple[str, ...], conf: float
    ) -> Hit:
        f: dict[str, Any] = searcher.stored_fields(docnum)
        return Hit(
            locale=f["locale"],
            slug=f["slug"],
            title=f["title"],
            section=f.get("section", ""),
            anchor=f.get("anchor", ""),
            snippet=make_snippet(f.get("body", ""), terms)
            or make_snippet(f.get("lead", ""), terms),
            score=float(score),
            category=f.get("category", ""),
            visibility=f.get("visibility", "public"),
            confidence=conf,
        )

    def autocomplete(
        self, prefix: str, viewer: Viewer, locale: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        """Titles that complete what was typed: words anywhere in the title, then the search's.

        First titles matching every typed word, then the top hits of the search itself (so
        "how do I change my pass" finds the password article), then titles matching some words.
        """
        if not isinstance(prefix, str) or not isinstance(limit, int) or limit <= 0:
            return []
        found: dict[str, Suggestion] = {}
        self._title_matches(found, prefix, viewer, locale, limit, every_word=True)
        if len(found) < limit and analysis.words(prefix[:200]):
            text = self._completed(prefix)
            results = self.search(SearchQuery(text, viewer, locale, None, per_page=limit))
            for hit in results.hits[:FROM_SEARCH]:
                found.setdefault(hit.key, Suggestion(hit.locale, hit.slug, hit.title))
        if len(found) < limit:
            self._title_matches(found, prefix, viewer, locale, limit, every_word=False)
        return list(found.values())[:limit]

    def _completed(self, text: str) -> str:
        """The typed text with its last, unfinished word completed to the commonest indexed word
        it begins ("change my pass" -> "change my password"), for the search to understand."""
        words = analysis.words(text[:200])
        if not words or text[-1:].isspace() or len(words[-1]) < COMPLETE_MIN:
            return text
        last, best, best_count = words[-1], "", 0
        with self._using() as reader:
            index = reader.searcher.reader()
            for seen, raw in enumerate(index.expand_prefix("spell", last)):
                word = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                if word == last or seen >= COMPLETE_SCAN:
                    return text  # already a whole word, or too common a beginning to guess
                count = index.doc_frequency("spell", word)
                if count > best_count:
                    best, best_count = word, count
        return " ".join([*words[:-1], best]) if best else text

    def _title_matches(
        self,
        found: dict[str, Suggestion],
        prefix: str,
        viewer: Viewer,
        locale: str | None,
        limit: int,
        every_word: bool,
    ) -> None:
        """Add titles matching the typed words (all, or any) to `found`, best first."""
        q = query_builder.prefix_query(prefix, every_word=every_word)
        if q is None:
            return
        with self._using() as reader:
            scope = reader.scope(viewer, locale, None, first_only=True)
            for hit in reader.searcher.search(q, filter=scope, limit=min(limit, 50)):
                f = hit.fields()
                key = f"{f['locale']}/{f['slug']}"
                found.setdefault(key, Suggestion(f["locale"], f["slug"], f["title"]))

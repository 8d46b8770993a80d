"""Writing a whole index at once, on every core: the analysis of documents split over processes.

A full build spends most of its time in Whoosh analysing text (tokens, stems) and then writing
the sorted postings. Here the documents are cut into contiguous chunks; forked processes
analyse all but the first chunk into sorted posting runs (Whoosh's own run files) and send
back each document's field lengths, while this process analyses the first chunk and writes
every document's stored fields and lengths in order. The commit then merges this process's
postings with the runs. Posting order is total (field, term, document), so the index is the
one a single writer makes from the same documents: same document numbers, postings, lengths
and statistics, hence the same ranking (tests/search/test_bulk_build.py compares them).

Whoosh's own `MpWriter` is not used: it deals documents to its processes in whatever order
they ask for them (so document numbers, and ranking ties, change from build to build), waits
one second for each result before dropping it, and re-derives lengths from their one-byte
encoding when it merges (so BM25's average lengths would drift from the single writer's).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator, Sequence
from heapq import merge
from typing import Any

from whoosh.index import Index
from whoosh.writing import PostingPool, SegmentWriter

log = logging.getLogger(__name__)

Doc = dict[str, Any]
Lengths = list[dict[str, int]]  # per document of a chunk: scorable field -> token count
RUN_BATCH = 4096  # postings per pickle in a run file
POSTING_BYTES = 200  # a posting tuple in memory (Whoosh's pool estimates 170-200 each)


class _CachedLengths:
    """A segment's field lengths as the posting writer asks for them, once per posting.

    Whoosh's reader looks for a field's length file on disk at every call when the field has
    none (unscored fields), and decodes a byte per call when it has: at 30k articles that was
    4.6 million calls and 1.6 million `stat`s in the commit. The values are the reader's own.
    """

    _MISSING = object()

    def __init__(self, reader: Any, doc_count: int):
        self._reader = reader
        self._count = doc_count
        self._tables: dict[str, list[Any] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        table = self._tables.get(fieldname, self._MISSING)
        if table is self._MISSING:
            table = self._tables[fieldname] = self._table(fieldname)
        return default if table is None else table[docnum]  # type: ignore[index]

    def _table(self, fieldname: str) -> list[Any] | None:
        """Every document's length of a field; None when the field keeps no lengths."""
        reader, missing = self._reader, self._MISSING
        if not self._count or reader.doc_field_length(0, fieldname, missing) is missing:
            return None
        return [reader.doc_field_length(n, fieldname) for n in range(self._count)]

    def close(self) -> None:
        self._reader.close()


class CountingPool(PostingPool):
    """Whoosh's posting pool, cheaper per posting: it spills a sorted run by a count of
    postings (Whoosh's `add` estimates each one's bytes in Python, a tenth of the analysis),
    and writes runs as pickled batches (Whoosh pickles each posting on its own: 5-7 us to
    write and read one, most of what a run costs)."""

    def __init__(self, tempstore: Any, limitmb: int):
        super().__init__(tempstore, None, limitmb=limitmb)
        self._most = limitmb * 1024 * 1024 // POSTING_BYTES

    def add(self, item: Any) -> None:
        if len(self.current) >= self._most:
            self.save()
        self.current.append(item)

    def _write_run(self, f: Any, items: list[Any]) -> None:
        for start in range(0, len(items), RUN_BATCH):
            pickle.dump(items[start : start + RUN_BATCH], f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    batch = pickle.load(f)  # noqa: S301 - runs this build wrote
                except EOFError:
                    return
                yield from batch
        finally:
            f.close()
            self._remove_run(path)


class BulkWriter(SegmentWriter):
    """A segment writer for a whole index: lengths read once at commit, and documents whose
    postings another process analysed added by their stored fields and lengths alone."""

    def __init__(self, ix: Index, **kwargs: Any):
        super().__init__(ix, **kwargs)
        self.pool = CountingPool(self._tempstorage, kwargs.get("limitmb", 128))
        self._runs: list[str] = []  # sorted posting runs from other processes

    def add_analysed(self, fields: Doc, lengths: dict[str, int]) -> None:
        """Add a document's stored fields, columns and lengths; its postings come in a run.

        The per-document half of `SegmentWriter.add_document`, step for step.
        """
        self._check_state()
        perdocwriter, schema = self.perdocwriter, self.schema
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdocwriter.start_doc(self.docnum)
        try:
            for name in names:
                value = fields.get(name)
                if value is None:
                    continue
                field = schema[name]
                custom = fields.get(f"_stored_{name}", value)
                stored = custom if field.stored else None
                perdocwriter.add_field(name, field, stored, lengths.get(name, 0))
                column = field.column_type
                if column and custom is not None:
                    perdocwriter.add_column_value(name, column, field.to_column_value(custom))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def add_runs(self, names: Iterable[str]) -> None:
        """Sorted posting runs (in this writer's temporary storage) to merge at commit."""
        self._runs.extend(names)
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = None
        if self.codec.length_stats:
            lengths = _CachedLengths(self.per_document_reader(), self.docnum)
        postings = self.pool.iter_postings()
        if self._runs:
            runs = [self.pool._read_run(name) for name in self._runs]
            postings = merge(postings, *runs)
        self.fieldwriter.add_postings(self.schema, lengths, postings)
        self.fieldwriter.close()
        if lengths is not None:
            lengths.close()


def supports_split(ix: Index) -> bool:
    """Whether every field's postings come from `field.index` alone (what the chunks do)."""
    schema = ix.schema
    return not any(
        schema[name].separate_spelling() or schema[name].vector for name in schema.names()
    )


def analyse(
    writer: BulkWriter, docs: Sequence[Doc], docbase: int, limitmb: int
) -> tuple[list[str], Lengths]:
    """Postings of documents numbered from `docbase`, as sorted runs in the writer's temporary
    storage, and each document's lengths: the analysing half of `add_document`."""
    schema = writer.schema
    pool = CountingPool(writer.temp_storage(), limitmb)
    add_post = pool.add
    lengths: Lengths = []
    for offset, fields in enumerate(docs):
        docnum = docbase + offset
        docboost = writer._doc_boost(fields)
        counted: dict[str, int] = {}
        for name in sorted(name for name in fields if not name.startswith("_")):
            value = fields.get(name)
            field = schema[name]
            if value is None or not field.indexed:
                continue
            boost = writer._field_boost(fields, name, docboost)
            length = 0
            for tbytes, freq, weight, vbytes in field.index(value):
                if field.scorable:
                    length += freq
                add_post((name, tbytes, docnum, weight * boost, vbytes))
            counted[name] = length
        lengths.append(counted)
    pool.save()  # the rest, sorted, as one more run
    return list(pool.runs), lengths

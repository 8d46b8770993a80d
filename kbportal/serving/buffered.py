"""The WSGI app behind an event loop: bodies are read in full (bounded) before a thread is used."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from kbportal.serving.limits import limit_for_path

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]

# Last path segments of the routes that search (pages, API, staff, widget, request form).
SEARCH_ENDPOINTS = frozenset({"search", "search.json", "autocomplete", "suggest", "suggestions"})

TOO_LARGE = "kbportal.body_too_large"
TIMED_OUT = "kbportal.body_timed_out"


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None (absent or unreadable)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(receive: Receive, limit: int, timeout: float) -> tuple[bytes, str | None]:
    """The body, read on the event loop: at most `limit` bytes within `timeout` seconds."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return b"", None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return b"", TOO_LARGE  # stop reading here; the answer closes the connection
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks), None
    except TimeoutError:
        return b"", TIMED_OUT


def is_search(path: str) -> bool:
    """Whether a request path is one of the routes that run a search."""
    return path.rpartition("/")[2] in SEARCH_ENDPOINTS


class BufferedWSGI:
    """An ASGI app that runs a Flask app in a thread pool once its request has fully arrived.

    A client sending its body a byte a second holds only a coroutine, never a worker thread:
    sixteen of them took every thread of the old threaded server and the whole site with it.
    Searches run on threads of their own: eight broad queries waiting for the search process
    (or the search gate) no longer hold the threads that pages need.
    """

    def __init__(self, app: Flask, threads: int) -> None:
        self.app = app
        self.timeout = float(app.config.get("KBPORTAL_REQUEST_BODY_TIMEOUT") or 30)
        self.wsgi = WSGIMiddleware(self._call_flask, workers=threads)  # type: ignore[arg-type]
        self.search_wsgi = WSGIMiddleware(self._call_flask, workers=threads)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.wsgi(scope, receive, send)  # type: ignore[arg-type]
            return
        limit = limit_for_path(self.app, scope["path"], scope["method"])
        length = declared_length(scope)
        flag: str | None
        if length is not None and length > limit:
            body, flag = b"", TOO_LARGE  # refused unread: the app answers 413 and closes
        else:
            body, flag = await read_body(receive, limit, self.timeout)
        scope["kbportal"] = {"flag": flag, "length": len(body)}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body only a disconnect can come

        pool = self.search_wsgi if is_search(scope["path"]) else self.wsgi
        await pool(scope, replay, send)  # type: ignore[arg-type]

    def _call_flask(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        state = environ.get("asgi.scope", {}).get("kbportal", {})
        flag = state.get("flag")
        if flag:
            environ[flag] = True
        else:
            # The whole body is here: werkzeug may read it without a Content-Length (chunked).
            environ["wsgi.input_terminated"] = True
            if "CONTENT_LENGTH" not in environ:
                environ["CONTENT_LENGTH"] = str(state.get("length", 0))
        return self.app(environ, start_response)

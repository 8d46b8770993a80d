"""Real local stand-ins for the outside world: a webhook consumer, an SMTP server, helpdesks.

Each runs a real server on 127.0.0.1 in a thread and answers the way the real thing would,
including its faults (down, 500, hanging, 429 with Retry-After, 410) on demand.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"  # base64 of a test secret


@dataclass
class Fault:
    """How to answer the next calls: a status, headers, a delay before answering."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str = "stand-in fault"


class _Server:
    """A werkzeug server on a free loopback port, in a thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: list[Fault] = []  # answered in order before behaving normally
        self.hold = threading.Event()  # when `holding`, requests wait for this
        self.holding = False
        self.arrived = threading.Event()
        self.raw: list[dict[str, Any]] = []  # every call as it arrived
        self.httpd = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=5)
        self.httpd.server_close()

    def fail(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            self.raw.append(
                {
                    "path": request.path,
                    "method": request.method,
                    "headers": dict(request.headers),
                    "body": body,
                }
            )  # noqa: E501
            fault = self.faults.pop(0) if self.faults else None
        self.arrived.set()
        if self.holding:
            self.hold.wait(30)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            response = Response(fault.body, status=fault.status, headers=fault.headers)
        else:
            try:
                response = self.handle(request, body)
            finally:
                request.close()  # uploaded files' temporary storage
        return response(environ, start_response)

    def handle(self, request: Request, body: bytes) -> Response:
        raise NotImplementedError


class WebhookReceiver(_Server):
    """A webhook consumer as the spec describes: verifies, and processes each webhook-id once."""

    def __init__(self, secret: str = SECRET) -> None:
        super().__init__()
        self.verifier = Webhook(secret)
        self.processed: dict[str, dict[str, Any]] = {}  # webhook-id -> body, once each
        self.rejected = 0

    def handle(self, request: Request, body: bytes) -> Response:
        try:
            data = self.verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.rejected += 1
            return Response("bad signature", status=401)
        key = request.headers["webhook-id"]
        with self.lock:
            self.processed.setdefault(key, data)
        return Response("", status=204)

    def transport_counts(self) -> Counter[str]:
        """How often each webhook-id reached us over the wire (retries included)."""
        return Counter(call["headers"].get("Webhook-Id", "") for call in self.raw)


class SmtpHandler:
    """aiosmtpd handler keeping every message; a mail system keeps one copy per Message-ID."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0  # answer this many DATA commands with a 451
        self.answers: list[str] = []  # answer the next DATA commands with these (e.g. "554 ...")
        self.holding = False  # when set, DATA keeps the message, then waits for `hold` to answer
        self.hold = threading.Event()
        self.arrived = threading.Event()  # a whole message reached DATA
        self.sessions: list[dict[str, Any]] = []  # TLS state of each DATA's connection

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append({"tls": encrypted or session.ssl is not None})
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        if self.answers:
            return self.answers.pop(0)
        msg = message_from_bytes(envelope.content, policy=policy.SMTP)
        # Kept before the 250, as a real mail server queues a message before accepting it: a
        # client that never hears the 250 has still delivered it.
        self.messages.append(msg)  # type: ignore[arg-type]
        self.arrived.set()
        if self.holding:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 30)
        return "250 OK"

    def by_message_id(self) -> dict[str, EmailMessage]:
        return {str(m["Message-ID"]): m for m in self.messages}

    def transport_counts(self) -> Counter[str]:
        """How often each Message-ID was accepted (250) over the wire."""
        return Counter(str(m["Message-ID"]) for m in self.messages)


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd checks its own port on start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(
    port: int | None = None,
    *,
    handler: SmtpHandler | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    **options: Any,
) -> Iterator[tuple[SmtpHandler, str]]:
    """A real SMTP server (aiosmtpd) on a free port; yields its handler and smtp:// URL.

    `starttls`: the server offers STARTTLS and refuses mail without it; `implicit_tls`: TLS
    from the first byte (the URL is then smtps://).
    """
    handler = handler or SmtpHandler()
    port = port or free_port()
    extra: dict[str, Any] = dict(options)  # more of aiosmtpd's SMTP options (authenticator...)
    if starttls is not None:
        extra |= {"tls_context": starttls, "require_starttls": True}
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ssl_context=implicit_tls, **extra
    )
    controller.start()
    scheme = "smtps" if implicit_tls is not None else "smtp"
    try:
        yield handler, f"{scheme}://127.0.0.1:{port}"
    finally:
        handler.hold.set()
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that takes the connection and then says nothing (a hung mail server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshake; no greeting ever comes
        yield int(listener.getsockname()[1])


class FakeHelpdesk(_Server):
    """Zendesk's Requests API (enforcing Idempotency-Key) and Freshdesk's Tickets API."""

    def __init__(self) -> None:
        super().__init__()
        self.zendesk: dict[int, dict[str, Any]] = {}
        self.zendesk_keys: dict[str, int] = {}
        self.zendesk_payloads: dict[str, Any] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # token -> file, until a comment uses it
        self.lose_put_answers = 0  # apply an update, then answer 502
        self.fail_uploads = 0  # answer this many uploads with 503
        self.freshdesk: dict[int, dict[str, Any]] = {}
        self.next_id = 100
        self.lose_answers = 0  # create the ticket, then answer 502 (the reply was "lost")

    def handle(self, request: Request, body: bytes) -> Response:
        data = json.loads(body) if body and request.mimetype == "application/json" else {}
        path = request.path
        with self.lock:
            if path == "/api/v2/requests.json" and request.method == "POST":
                key = request.headers.get("Idempotency-Key", "")
                if key in self.zendesk_keys:  # Zendesk replays the first answer for a key...
                    ticket = self.zendesk_keys[key]
                    if self.zendesk_payloads[key] != data:  # ...of the same payload only
                        return _json({"error": "IdempotentRequestError"}, 400)
                    status = self.zendesk[ticket]["status"]
                    return _json({"request": {"id": ticket, "status": status}}, 201)
                ticket = self._new_id()
                first = {**data["request"]["comment"], "attachments": []}
                self.zendesk[ticket] = {**data["request"], "status": "new", "comments": [first]}
                if key:
                    self.zendesk_keys[key] = ticket
                    self.zendesk_payloads[key] = data
                return self._answer({"request": {"id": ticket}}, 201)
            if path == "/api/v2/uploads.json" and request.method == "POST":
                if self.fail_uploads:
                    self.fail_uploads -= 1
                    return Response("busy", status=503, headers={"Retry-After": "1"})
                token = f"upload-{self._new_id()}"
                self.uploads[token] = {
                    "filename": request.args.get("filename", ""),
                    "content_type": request.headers.get("Content-Type", ""),
                    "data": body,
                }
                return _json({"upload": {"token": token}}, 201)
            if path.endswith("/comments.json") and request.method == "GET":
                ticket = int(path.split("/")[4])
                comments = [
                    {
                        "body": c["body"],
                        "attachments": [{"file_name": f["filename"]} for f in c["attachments"]],
                    }
                    for c in self.zendesk[ticket]["comments"]
                ]
                return _json({"comments": comments}, 200)
            if path.startswith("/api/v2/requests/") and request.method == "PUT":
                ticket = int(path.rsplit("/", 1)[1].removesuffix(".json"))
                if data["request"].get("solved"):
                    self.zendesk[ticket]["status"] = "solved"
                comment = data["request"].get("comment")
                if comment and comment.get("uploads"):
                    if any(t not in self.uploads for t in comment["uploads"]):
                        return _json({"error": "InvalidUploadToken"}, 422)
                    files = [self.uploads.pop(t) for t in comment["uploads"]]  # used once
                    self.zendesk[ticket]["comments"].append({**comment, "attachments": files})
                    if self.lose_put_answers:
                        self.lose_put_answers -= 1
                        return Response("bad gateway", status=502)
                return _json({"request": {"id": ticket}}, 200)
            if path == "/api/v2/tickets" and request.method == "POST":
                ticket = self._new_id()
                if request.mimetype == "multipart/form-data":  # a ticket with attachments
                    form = request.form
                    data = {k: form[k] for k in form if not k.endswith("[]")}
                    data |= {"priority": int(data["priority"]), "status": int(data["status"])}
                    data["tags"] = form.getlist("tags[]")
                    data["attachments"] = [
                        {"filename": f.filename, "content_type": f.mimetype, "data": f.read()}
                        for f in request.files.getlist("attachments[]")
                    ]
                self.freshdesk[ticket] = data
                return self._answer({"id": ticket}, 201)
            if path == "/api/v2/search/tickets":
                query = request.args.get("query", "")
                found = [
                    {"id": t} for t, d in self.freshdesk.items() if f"tag:'{d['tags'][1]}'" in query
                ]
                return _json({"results": found, "total": len(found)}, 200)
            if path.startswith("/api/v2/tickets/") and request.method == "PUT":
                ticket = int(path.rsplit("/", 1)[1])
                self.freshdesk[ticket]["status"] = data["status"]
                return _json({"id": ticket}, 200)
        return Response("not found", status=404)

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _answer(self, data: dict[str, Any], status: int) -> Response:
        if self.lose_answers:
            self.lose_answers -= 1
            return Response("bad gateway", status=502)
        return _json(data, status)


def _json(data: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


@contextmanager
def running(server: _Server) -> Iterator[_Server]:
    server.start()
    try:
        yield server
    finally:
        server.hold.set()
        server.stop()

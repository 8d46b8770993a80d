"""E-mail through every fault, against a real aiosmtpd server: down, hanging, 4xx/5xx, the
relay killed with kill -9 mid-delivery, and TLS (STARTTLS and implicit) with certificate checks.

SMTP has no idempotency key: a message whose 250 never reached the relay (a timeout after the
data, a killed relay) is sent again. Each copy carries the same Message-ID
(`<KB-XXXXXXXX.created@domain>`), which is what mail systems and helpdesks deduplicate on; the
tests count both what the server accepted on the wire and the distinct Message-IDs.
"""

from __future__ import annotations

import os
import signal
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update
from standins import SmtpHandler, free_port, silent_server, smtp_server
from test_requests_faults import relay_process, states, wait_until

from kbportal.db import Database, utcnow
from kbportal.support.channels.smtp import SmtpChannel, SmtpSettings
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.support.relay import Relay

TO, FROM = "support@example.com", "help@orbita.example"


def email_relay(database: Database, url: str, timeout: float = 5.0) -> Relay:
    channel = SmtpChannel(SmtpSettings.from_url(url), TO, FROM, timeout)
    return Relay(database.session, {"email": channel}, concurrency=1)


def message_id(request: SupportRequest) -> str:
    return f"<{request.reference}.created@orbita.example>"


def row(database: Database) -> OutboxMessage:
    with database.session() as session:
        return session.scalars(select(OutboxMessage)).one()


def make_due(database: Database) -> None:
    with database.session() as session, session.begin():
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))


@pytest.fixture
def file_mail(file_request: Callable[..., SupportRequest]) -> Callable[[], SupportRequest]:
    return lambda: file_request(destinations=("email",))


def test_server_down_then_up_delivers_once(
    database: Database, file_mail: Callable[[], SupportRequest]
) -> None:
    request = file_mail()
    port = free_port()  # nothing listens there yet
    url = f"smtp://127.0.0.1:{port}"
    email_relay(database, url).drain()
    assert (row(database).state, row(database).last_status) == ("pending", "unreachable")
    with smtp_server(port) as (handler, _):
        make_due(database)
        assert email_relay(database, url).drain() == 1
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 1}


def test_server_hanging_before_its_greeting_times_out_and_loses_nothing(
    database: Database, file_mail: Callable[[], SupportRequest]
) -> None:
    request = file_mail()
    with silent_server() as port:
        email_relay(database, f"smtp://127.0.0.1:{port}", timeout=1.0).drain()
    assert (row(database).state, row(database).last_status) == ("pending", "unreachable")
    assert "timed out" in (row(database).last_error or "")
    with smtp_server() as (handler, url):
        make_due(database)
        email_relay(database, url).drain()
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 1}


def test_server_hanging_after_the_data_is_sent_again_with_the_same_message_id(
    database: Database, file_mail: Callable[[], SupportRequest]
) -> None:
    """The one duplicate SMTP allows: the server took the message, its 250 came too late."""
    request = file_mail()
    with smtp_server() as (handler, url):
        handler.holding = True
        email_relay(database, url, timeout=1.0).drain()
        assert row(database).state == "pending"  # no 250 in time: not counted as delivered
        assert len(handler.messages) == 1  # yet the server has it
        handler.holding = False
        handler.hold.set()
        make_due(database)
        email_relay(database, url).drain()
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 2}
    assert list(handler.by_message_id()) == [message_id(request)]  # one request in the mailbox


@pytest.mark.parametrize(
    "answer",
    ["451 4.3.0 try again later", "421 4.7.0 too busy", "554 5.7.1 rejected", "550 5.1.1 no"],
)
def test_refusals_are_retried_until_delivered_once(
    database: Database, file_mail: Callable[[], SupportRequest], answer: str
) -> None:
    request = file_mail()
    with smtp_server() as (handler, url):
        handler.answers = [answer]
        email_relay(database, url).drain()
        first = row(database)
        assert first.state == "pending" and first.attempts == 1
        assert first.last_status == f"smtp {answer[:3]}"
        assert email_relay(database, url).drain() == 0  # waits its backoff
        make_due(database)
        email_relay(database, url).drain()
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 1}


def test_relay_killed_mid_delivery_loses_nothing(
    database: Database,
    db_url: str,
    tmp_path: Path,
    file_request: Callable[..., SupportRequest],
) -> None:
    filed = [file_request(destinations=("email",)) for _ in range(3)]
    settings = {"REQUESTS_EMAIL_TO": TO, "REQUESTS_EMAIL_FROM": FROM}
    with smtp_server() as (handler, url):
        handler.holding = True  # the server keeps the message and holds back its 250
        with relay_process(db_url, tmp_path, SMTP_URL=url, **settings) as process:
            assert handler.arrived.wait(30)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        assert states(database) == ["pending"] * 3  # claimed, never acknowledged: not lost
        handler.holding = False
        handler.hold.set()
        with relay_process(db_url, tmp_path, SMTP_URL=url, **settings):
            wait_until(lambda: states(database) == ["delivered"] * 3)
    expected = sorted(message_id(r) for r in filed)
    assert sorted(handler.by_message_id()) == expected  # each request once in the mailbox
    counts = handler.transport_counts()
    # Those in flight at the kill reached the server twice, under one Message-ID.
    assert max(counts.values()) == 2 and sum(counts.values()) <= 6


# TLS: a throwaway CA made here; the server's certificate names 127.0.0.1.


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


class Accounts:
    """aiosmtpd authenticator: one account; remembers who logged in."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"relay",
            b"p@ss word",
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def tls_kind(request: pytest.FixtureRequest, server_tls: ssl.SSLContext) -> dict[str, Any]:
    """How the server speaks TLS: STARTTLS (required) or TLS from the first byte."""
    return {"starttls": server_tls} if request.param == "starttls" else {"implicit_tls": server_tls}


def url_for(base: str, starttls: bool, **query: str) -> str:
    params = {**({"starttls": "1"} if starttls else {}), **query}
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.parametrize("tls_kind", ["starttls", "implicit"], indirect=True)
def test_tls_with_a_trusted_ca_delivers_encrypted(
    database: Database,
    file_mail: Callable[[], SupportRequest],
    tls_kind: dict[str, Any],
    cafile: str,
) -> None:
    request = file_mail()
    with smtp_server(**tls_kind) as (handler, base):
        url = url_for(base, "starttls" in tls_kind, cafile=cafile)
        assert email_relay(database, url).drain() == 1
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 1}
    assert handler.sessions == [{"tls": True}]


@pytest.mark.parametrize("tls_kind", ["starttls", "implicit"], indirect=True)
def test_an_untrusted_certificate_is_refused_unless_configured(
    database: Database, file_mail: Callable[[], SupportRequest], tls_kind: dict[str, Any]
) -> None:
    request = file_mail()
    with smtp_server(**tls_kind) as (handler, base):
        starttls = "starttls" in tls_kind
        email_relay(database, url_for(base, starttls)).drain()  # the system's CAs only
        refused = row(database)
        assert (refused.state, refused.last_status) == ("pending", "tls refused")
        assert "certificate" in (refused.last_error or "")
        assert handler.messages == []  # not one byte of the request went out
        make_due(database)
        email_relay(database, url_for(base, starttls, verify="0")).drain()
    assert row(database).state == "delivered"
    assert handler.transport_counts() == {message_id(request): 1}


def test_starttls_with_credentials_and_no_plaintext_fallback(
    database: Database,
    file_mail: Callable[[], SupportRequest],
    server_tls: ssl.SSLContext,
    cafile: str,
) -> None:
    request = file_mail()
    with smtp_server() as (plain, base):  # offers no STARTTLS: the relay must not send anyway
        email_relay(database, url_for(base, True, cafile=cafile)).drain()
        assert row(database).state == "pending" and plain.messages == []
    accounts = Accounts()
    handler = SmtpHandler()
    with smtp_server(
        handler=handler, starttls=server_tls, authenticator=accounts, auth_required=True
    ) as (_, base):
        url = url_for(base.replace("//", "//relay:p%40ss%20word@"), True, cafile=cafile)
        make_due(database)
        email_relay(database, url).drain()
    assert row(database).state == "delivered" and accounts.logins == ["relay"]
    assert handler.transport_counts() == {message_id(request): 1}


def test_tls_options_are_read_from_the_url() -> None:
    settings = SmtpSettings.from_url("smtp://a:b@mail.example:587?starttls=1&cafile=/etc/ca.pem")
    assert (settings.starttls, settings.cafile, settings.verify) == (True, "/etc/ca.pem", True)
    insecure = SmtpSettings.from_url("smtps://mail.example?verify=0")
    assert (insecure.tls, insecure.port, insecure.verify) == (True, 465, False)
    assert insecure.tls_context().verify_mode == ssl.CERT_NONE
    with pytest.raises(ValueError, match="verify"):
        SmtpSettings.from_url("smtp://mail.example?verify=maybe")

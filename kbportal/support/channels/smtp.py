"""E-mail to the support address: Message-ID from the request, Reply-To the customer."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from kbportal.support.channels.base import Delivery, DeliveryError
from kbportal.support.channels.payload import text_body
from kbportal.support.validation import clean_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: smtp://user:pass@host:port?starttls=1, or smtps:// for TLS.

    The server's certificate is always checked against the system's CAs (and its name), or
    against `cafile=/path/ca.pem` for a private CA; `verify=0` turns checking off (a test box).
    """

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False  # TLS from the first byte (smtps, usually port 465)
    starttls: bool = False
    cafile: str = ""  # trust this CA bundle instead of the system's
    verify: bool = True  # False: accept any certificate (never in production)

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Read a KBPORTAL_SMTP_URL; raises ValueError naming what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("use smtp://host:port or smtps://host:port")
        query = parse_qs(parts.query)
        flag = (query.get("starttls") or query.get("tls") or ["0"])[0].lower()
        verify = (query.get("verify") or ["1"])[0].lower()
        if verify not in ("0", "1", "true", "false", "yes", "no"):
            raise ValueError("verify= takes 1 or 0")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            tls=parts.scheme == "smtps",
            starttls=parts.scheme == "smtp" and flag in ("1", "true", "yes", "starttls"),
            cafile=(query.get("cafile") or [""])[0],
            verify=verify in ("1", "true", "yes"),
        )

    def tls_context(self) -> ssl.SSLContext:
        """The context that checks the server's certificate (or, if told not to, does not)."""
        context = ssl.create_default_context(cafile=self.cafile or None)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def address(value: str) -> Address:
    """An Address object: the policy then refuses anything that could inject a header."""
    local, _, domain = value.rpartition("@")
    return Address(addr_spec=f"{local}@{domain}")


def build_message(delivery: Delivery, sender: str, to: str) -> EmailMessage:
    """The e-mail for one outbox message (header values can never carry a line break)."""
    doc = delivery.request
    domain = sender.rpartition("@")[2] or "kbportal.invalid"
    msg = EmailMessage(policy=SMTP)
    msg["From"] = address(sender)
    msg["To"] = address(to)
    msg["Reply-To"] = Address(display_name=clean_line(doc.name, 100), addr_spec=doc.email)
    prefix = "Closed: " if delivery.event == "closed" else ""
    msg["Subject"] = clean_line(f"{prefix}[{doc.reference}] {doc.subject}", 250)
    # One Message-ID per request and event: a mail system seeing it twice keeps one copy.
    msg["Message-ID"] = f"<{delivery.key}@{domain}>"
    if delivery.event == "closed":
        msg["In-Reply-To"] = msg["References"] = f"<{doc.reference}.created@{domain}>"
    msg["Date"] = format_datetime(doc.created_at)
    msg["X-Kbportal-Request"] = doc.reference
    msg["X-Kbportal-Priority"] = doc.priority
    msg.set_content(text_body(delivery))
    if delivery.event == "created":
        for f in doc.attachments:
            maintype, _, subtype = f.content_type.partition("/")
            msg.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=f.filename)
    return msg


class SmtpChannel:
    """Sends each request to the support address over SMTP."""

    name = "email"

    def __init__(self, settings: SmtpSettings, to: str, sender: str, timeout: float = 10.0):
        self.settings = settings
        self.to = to
        self.sender = sender or to
        self.timeout = timeout

    def deliver(self, delivery: Delivery) -> str | None:
        msg = build_message(delivery, self.sender, self.to)
        self.send(msg)
        return str(msg["Message-ID"])

    def send(self, msg: EmailMessage) -> None:
        """Send one message; any refusal or failure raises DeliveryError."""
        s = self.settings
        try:
            if s.tls:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=s.tls_context()
                )
            else:
                server = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            with server:
                if s.starttls:
                    # No fallback: a server that does not offer STARTTLS fails the attempt.
                    server.starttls(context=s.tls_context())
                if s.username:
                    server.login(s.username, s.password)
                server.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", status=f"smtp {exc.smtp_code}"
            ) from exc
        except ssl.SSLCertVerificationError as exc:  # an untrusted or misnamed server
            raise DeliveryError(f"SMTP TLS: {exc.verify_message}", status="tls refused") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {exc}", status="unreachable") from exc

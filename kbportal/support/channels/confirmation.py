"""The customer's confirmation e-mail: the reference number and the signed close link."""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from kbportal.support.channels.base import Delivery
from kbportal.support.channels.smtp import SmtpChannel, SmtpSettings, address
from kbportal.support.tokens import close_url
from kbportal.support.validation import clean_line

log = logging.getLogger(__name__)

# Plain text in the request's language (the relay has no request to translate with).
TEXTS = {
    "en": (
        "We have your request {reference}",
        "Hello{name},\n\nWe have your request \u201c{subject}\u201d. Its reference number is "
        "{reference}: quote it if you write to us again. We will answer at this address.\n",
        "\nDid an article already solve it? Then close your request here:\n{link}\n",
    ),
    "ru": (
        "Мы получили ваше обращение {reference}",
        "Здравствуйте{name}!\n\nМы получили ваше обращение «{subject}». Его номер — "
        "{reference}: укажите его, если напишете снова. Мы ответим на этот адрес.\n",
        "\nСтатья уже помогла? Тогда закройте обращение по ссылке:\n{link}\n",
    ),
}


def build_confirmation(delivery: Delivery, sender: str, link: str) -> EmailMessage:
    """The e-mail to the customer (addresses as objects: nothing can add a header)."""
    doc = delivery.request
    subject, body, closing = TEXTS.get(doc.locale, TEXTS["en"])
    name = f", {clean_line(doc.name, 100)}" if doc.name else ""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = address(sender)
    msg["To"] = Address(display_name=clean_line(doc.name, 100), addr_spec=doc.email)
    msg["Subject"] = subject.format(reference=doc.reference)
    msg["Message-ID"] = f"<{doc.reference}.confirmation@{sender.rpartition('@')[2]}>"
    msg["Date"] = format_datetime(doc.created_at)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    text = body.format(name=name, subject=clean_line(doc.subject, 200), reference=doc.reference)
    if link:
        text += closing.format(link=link)
    msg.set_content(text)
    return msg


class ConfirmationChannel(SmtpChannel):
    """Sends the customer their confirmation with the close link, once per request."""

    name = "confirmation"

    def __init__(
        self, settings: SmtpSettings, sender: str, secret: str, site_url: str, timeout: float
    ) -> None:
        super().__init__(settings, to=sender, sender=sender, timeout=timeout)
        self.secret = secret
        self.site_url = site_url

    def deliver(self, delivery: Delivery) -> str | None:
        if delivery.event != "created":
            return None  # the customer closed it themselves: nothing to tell them
        doc = delivery.request
        base = doc.site_url or self.site_url
        link = close_url(self.secret, base, doc.locale, doc.reference) if base else ""
        msg = build_confirmation(delivery, self.sender, link)
        self.send(msg)
        return str(msg["Message-ID"])

"""Destinations of requests, chosen by configuration (any combination; none = staff inbox)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kbportal.support.channels.base import Channel, Delivery, DeliveryError, RequestDoc

log = logging.getLogger(__name__)

__all__ = ["Channel", "Delivery", "DeliveryError", "RequestDoc", "build_channels", "configured"]


def configured(config: Mapping[str, Any]) -> list[str]:
    """Names of the destinations the settings turn on, in a fixed order."""
    names = []
    if config.get("SMTP_URL") and config.get("REQUESTS_EMAIL_TO"):
        names.append("email")
    if config.get("SMTP_URL") and (
        config.get("REQUESTS_EMAIL_FROM") or config.get("REQUESTS_EMAIL_TO")
    ):
        names.append("confirmation")  # the customer's own copy, with the close link
    if config.get("REQUESTS_WEBHOOK_URL"):
        names.append("webhook")
    if config.get("ZENDESK_URL"):
        names.append("zendesk")
    if config.get("FRESHDESK_URL") and config.get("FRESHDESK_API_KEY"):
        names.append("freshdesk")
    return names


def build_channels(config: Mapping[str, Any], secret: str = "") -> dict[str, Channel]:
    """One channel object per configured destination (`secret` signs the customer's links)."""
    from kbportal.support.channels.confirmation import ConfirmationChannel
    from kbportal.support.channels.helpdesks import FreshdeskChannel, ZendeskChannel
    from kbportal.support.channels.smtp import SmtpChannel, SmtpSettings
    from kbportal.support.channels.webhook import WebhookChannel

    timeout = float(config.get("REQUESTS_DELIVERY_TIMEOUT", 10))
    channels: dict[str, Channel] = {}
    for name in configured(config):
        if name == "email":
            settings = SmtpSettings.from_url(str(config["SMTP_URL"]))
            sender = str(config.get("REQUESTS_EMAIL_FROM") or config["REQUESTS_EMAIL_TO"])
            channels[name] = SmtpChannel(
                settings, str(config["REQUESTS_EMAIL_TO"]), sender, timeout
            )
        elif name == "confirmation":
            settings = SmtpSettings.from_url(str(config["SMTP_URL"]))
            sender = str(config.get("REQUESTS_EMAIL_FROM") or config["REQUESTS_EMAIL_TO"])
            fallback = str(config.get("PUBLIC_URL") or "")
            channels[name] = ConfirmationChannel(settings, sender, secret, fallback, timeout)
        elif name == "webhook":
            secret = str(config.get("REQUESTS_WEBHOOK_SECRET") or "")
            channels[name] = WebhookChannel(str(config["REQUESTS_WEBHOOK_URL"]), secret, timeout)
        elif name == "zendesk":
            channels[name] = ZendeskChannel(
                str(config["ZENDESK_URL"]),
                str(config.get("ZENDESK_EMAIL") or ""),
                str(config.get("ZENDESK_TOKEN") or ""),
                timeout,
            )
        elif name == "freshdesk":
            channels[name] = FreshdeskChannel(
                str(config["FRESHDESK_URL"]), str(config["FRESHDESK_API_KEY"]), timeout
            )
    return channels

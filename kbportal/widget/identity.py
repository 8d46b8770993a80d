"""Verified identities: the host's server signs the customer's e-mail with a shared secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who the host page says the customer is, and whether its signature proves it."""

    name: str
    email: str
    verified: bool


def sign_email(secret: str, email: str) -> str:
    """The hex HMAC-SHA256 of the normalised e-mail: what the host's server computes."""
    message = email.strip().lower().encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, email: str, signature: str | None) -> bool:
    """Whether `signature` is the secret's HMAC of `email` (constant time; no secret: never)."""
    if not secret or not signature or not email:
        return False
    expected = sign_email(secret, email)
    return hmac.compare_digest(expected, signature.strip().lower())


def identity(secret: str, name: str, email: str, signature: str | None) -> Identity:
    """An Identity, verified only when the signature matches."""
    return Identity(name.strip(), email.strip(), verify(secret, email, signature))

"""Webhook authentication for GitHub, GitLab and Gitea push events."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# GitHub: "sha256=" + hex HMAC-SHA256 of the raw body. Gitea sends the bare hex digest.
GITHUB_HEADER = "x-hub-signature-256"
GITEA_HEADER = "x-gitea-signature"
GITLAB_HEADER = "x-gitlab-token"

# The event header each provider sends, and the value that means "a push".
PUSH_EVENTS = {
    "x-github-event": "push",
    "x-gitea-event": "push",
    "x-gogs-event": "push",
    "x-gitlab-event": "Push Hook",
}


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a request's credentials."""

    ok: bool
    provider: str = ""
    reason: str = ""


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def lower_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request headers keyed in lower case (header names are case-insensitive)."""
    return {name.lower(): value for name, value in headers}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> Verdict:
    """Check the provider credential in (lower-cased) headers against the shared secret."""
    if not secret:
        return Verdict(False, reason="webhook disabled")
    github = headers.get(GITHUB_HEADER)
    gitea = headers.get(GITEA_HEADER)
    gitlab = headers.get(GITLAB_HEADER)
    if github is None and gitea is None and gitlab is None:
        return Verdict(False, reason="missing signature")
    expected = _hmac_hex(secret, body)
    # Every credential present must be right: one good header cannot vouch for a bad one.
    if github is not None and not hmac.compare_digest(
        github.encode(), f"sha256={expected}".encode()
    ):
        return Verdict(False, "github", "bad signature")
    if gitea is not None and not hmac.compare_digest(gitea.encode(), expected.encode()):
        return Verdict(False, "gitea", "bad signature")
    if gitlab is not None and not hmac.compare_digest(gitlab.encode(), secret.encode()):
        return Verdict(False, "gitlab", "bad token")
    provider = "gitea" if gitea is not None else "gitlab" if gitlab is not None else "github"
    return Verdict(True, provider)


def event_kind(headers: Mapping[str, str]) -> str:
    """The event: push, ping, or the provider's own name for another kind."""
    for header, push in PUSH_EVENTS.items():
        value = headers.get(header)
        if value is None:
            continue
        if value == push:
            return "push"
        return "ping" if value == "ping" else value
    return "push"  # our own post-receive hook and plain `curl` calls name no event


def pushed_branch(body: bytes) -> str | None:
    """The branch a push payload names (refs/heads/<branch>), or None if it names none."""
    try:
        payload: Any = json.loads(body or b"{}")
    except ValueError:
        return None
    ref = payload.get("ref") if isinstance(payload, dict) else None
    if not isinstance(ref, str) or not ref.startswith("refs/heads/"):
        return None
    return ref.removeprefix("refs/heads/")

"""One HTTP call to a destination, with its answer turned into success or a DeliveryError."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from kbportal.support.channels.base import DeliveryError, parse_retry_after

log = logging.getLogger(__name__)

USER_AGENT = "kbportal-relay/1"


def client(timeout: float) -> httpx.Client:
    """An HTTP client for one destination: bounded time, no redirects followed blindly."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # a redirect would drop the method and body of a POST
        headers={"User-Agent": USER_AGENT},
    )


def call(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Make the call; any transport failure or non-2xx answer raises DeliveryError."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out: {exc}", status="timeout") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"could not connect: {exc}", status="unreachable") from exc
    if 200 <= response.status_code < 300:
        return response
    status = str(response.status_code)
    body = response.text[:300]
    if response.status_code == 410:
        raise DeliveryError(f"410 Gone: {body}", status=status, gone=True)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    raise DeliveryError(f"HTTP {status}: {body}", status=status, retry_after=retry_after)

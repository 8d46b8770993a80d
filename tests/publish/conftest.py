"""Fixtures for publishing tests: a small real articles tree and its settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kbportal import publish
from kbportal.config import load_config

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

SAMPLE: dict[str, str | bytes] = {
    "en/billing/_category.yml": "title: Billing\norder: 1\n",
    "en/billing/refunds.md": (
        "---\ntitle: How to get a refund\nsummary: Money back.\nrelated: [billing/invoices]\n"
        "aliases: [refund-policy]\n---\n\nAsk us for a refund.\n\n## Refund by card\n\n"
        "Card refunds take five days.\n\n![Card](images/card.png)\n"
    ),
    "en/billing/invoices.md": "# Download invoices\n\nInvoices are in the billing page.\n",
    "en/billing/images/card.png": PNG,
    "en/billing/secret-note.md": (
        "---\ntitle: Billing note for agents\nvisibility: internal\n---\n\nInternal kiwiword.\n"
    ),
    "en/billing/draft.md": "---\ntitle: Draft quokka\ndraft: true\n---\n\nquokka draft text\n",
    "en/billing/later.md": (
        "---\ntitle: Future wombat\npublish_at: 2999-01-01T00:00:00Z\n---\n\nwombat text\n"
    ),
    "en/start/welcome.md": "# Welcome\n\nStart here. See [refunds](../billing/refunds.md).\n",
    "ru/billing/refunds.md": "# Как вернуть деньги\n\nНапишите нам, и мы вернём оплату.\n",
    "en/internal/_category.yml": "title: Internal\nvisibility: internal\n",
    "en/internal/escalation.md": (
        "---\ntitle: Escalation zebra rules\nvisibility: internal\naliases: [old-escalation]\n"
        "---\n\n"
        "Escalate zebrafoxtrot tickets.\n\n![Secret](img/secret.png)\n"
    ),
    "en/internal/img/secret.png": PNG,
    "ru/start/welcome.md": "---\ntitle: Добро пожаловать\nvisibility: internal\n---\n\nТекст.\n",
}


@pytest.fixture
def sample_config(make_articles: Callable[..., Path], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Settings pointing at a fresh sample tree and an empty data folder."""
    articles = make_articles(SAMPLE)
    yield load_config({"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data")}, {})
    publish.close_all()


@pytest.fixture
def built(sample_config: dict[str, Any]) -> dict[str, Any]:
    """The sample settings after one full build."""
    publish.build(sample_config)
    return sample_config

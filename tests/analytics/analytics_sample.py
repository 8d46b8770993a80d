"""A small KB for analytics tests: public EN/RU articles and one internal runbook."""

from __future__ import annotations

INTERNAL_TITLE = "Zorblax override runbook"
INTERNAL_WORD = "zorblax"

ARTICLES: dict[str, str | bytes] = {
    "en/billing/_category.yml": "title: Billing\n",
    "en/billing/refunds.md": (
        "---\ntitle: Getting a refund\nsummary: How refunds work.\n---\n"
        "Refunds go back to the card you paid with.\n\n"
        "## Refund timing\n\nA refund takes five working days.\n"
    ),
    "en/billing/invoices.md": "# Downloading invoices\n\nEach invoice is a PDF in billing.\n",
    "en/account/password.md": "# Resetting your password\n\nUse the forgot password link.\n",
    "en/internal/override.md": (
        f"---\ntitle: {INTERNAL_TITLE}\nvisibility: internal\n---\n"
        f"Agents run the {INTERNAL_WORD} override for refund refusals.\n"
    ),
    "ru/billing/refunds.md": "# Возврат денег\n\nДеньги вернутся на карту за пять рабочих дней.\n",
}

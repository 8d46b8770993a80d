"""The widget tests' sample: a small KB with one internal article, and the origins."""

from __future__ import annotations

HOST = "http://127.0.0.1:8123"  # a listed host origin (nothing listens: only headers matter)
OTHER = "http://127.0.0.1:8124"  # an origin that is not on the list
SECRET = "widget-identity-secret"
INTERNAL_TITLE = "Glorbnax refund override"

SAMPLE: dict[str, str | bytes] = {
    "en/billing/_category.yml": "title: Billing\n",
    "en/billing/refunds.md": (
        "---\ntitle: Getting a refund\ntags: [money]\n---\n"
        "Refunds go back to the card you paid with.\n\n"
        "## Refund timing\n\nA refund takes five working days.\n"
    ),
    "en/billing/invoices.md": (
        "---\ntitle: Downloading invoices\ntags: [documents]\n---\n"
        "Invoices are in the billing section. Each invoice is a PDF you can download.\n"
    ),
    "en/billing/override.md": (
        f"---\ntitle: {INTERNAL_TITLE}\nvisibility: internal\n---\n"
        "The glorbnax refund override needs a manager.\n"
    ),
    "en/account/_category.yml": "title: Account\n",
    "en/account/password.md": (
        "---\ntitle: Resetting your password\n---\n"
        "Forgot your password? Click reset password on the sign-in page.\n"
    ),
    "ru/billing/refunds.md": "# Возврат денег\n\nДеньги вернутся на карту за пять рабочих дней.\n",
}

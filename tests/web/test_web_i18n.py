"""The UI catalog: compiled .mo in step with the .po, and every UI string translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import kbportal

PACKAGE = Path(kbportal.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
METHODS = [
    ("kbportal/**.py", "python"),
    ("kbportal/templates/**.html", "jinja2"),
    ("kbportal/templates/**.xml", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def catalog_pairs(catalog: Catalog) -> dict[object, object]:
    """msgid -> msgstr for every real message of a catalog (plural forms as tuples)."""
    return {_key(m.id): _key(m.string) for m in catalog if m.id}


def translated(catalog: Catalog, msgid: str) -> bool:
    """Whether the catalog has a non-empty translation (every plural form) for msgid."""
    message = catalog.get(msgid)
    if message is None:
        return False
    forms = message.string if isinstance(message.string, list | tuple) else [message.string]
    return all(forms)


def test_compiled_catalogs_match_their_sources() -> None:
    # The .mo is committed so installs need no compile step; this keeps it honest.
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po, po_path.with_suffix(".mo").open("rb") as mo:
            assert catalog_pairs(read_po(po)) == catalog_pairs(read_mo(mo)), po_path


def test_every_ui_string_has_a_russian_translation() -> None:
    extracted = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE.parent), METHODS, keywords=KEYWORDS
        )
    }
    ids = {m if isinstance(m, str) else m[0] for m in extracted}
    assert "Skip to content" in ids and "How can we help?" in ids
    with (TRANSLATIONS / "ru/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    untranslated = sorted(msgid for msgid in ids if not translated(catalog, msgid))
    assert not untranslated, (
        "UI strings without a Russian translation; run the pybabel extract/update commands in "
        "kbportal/translations/babel.cfg, translate them in ru/LC_MESSAGES/messages.po, then "
        f"pybabel compile -d kbportal/translations: {untranslated}"
    )

"""Check a submission against its request type: one error code per field, text kept as typed."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import filetype
from email_validator import EmailNotValidError, validate_email

from kbportal.content.request_types import MAX_LONG_TEXT, FieldSpec, RequestType

log = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_NAME = 200
MAX_FILES = 3
# What a file field may accept, by the type its bytes show (never the name or the browser's word).
ACCEPTED_TYPES = {
    "image": {"image/png", "image/jpeg", "image/gif", "image/webp"},
    "pdf": {"application/pdf"},
    "text": {"text/plain"},
}
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


@dataclass(frozen=True)
class Upload:
    """A file as uploaded: the field it came in, its name and its bytes."""

    field: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed: the type its content shows, a safe name, its digest."""

    field: str
    filename: str
    content_type: str
    data: bytes
    sha256: str


@dataclass
class Cleaned:
    """A submission's values after checking, and the error code of each bad field."""

    subject: str = ""
    description: str = ""
    email: str = ""
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    files: list[CheckedFile] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field -> code (see views' messages)


def clean_line(value: str | None, limit: int) -> str:
    """One line of text: no control characters, no line breaks, whitespace collapsed."""
    text = "".join(
        " " if ch.isspace() else ch
        for ch in (value or "")[: limit * 4]
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Cf", "Co", "Cn")
    )
    return " ".join(text.split())


def clean_block(value: str | None) -> str:
    """Several lines of text: line breaks and tabs kept, other control characters dropped."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text[: MAX_LONG_TEXT * 4]
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    ).strip()


def normal_email(value: str) -> str | None:
    """The address, normalised, if it is one (syntax only: no DNS look-up on a form post)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves show, or None when they match nothing we accept."""
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Plain text: readable, and no NULs or other binary control bytes.
    if all(ch in "\n\r\t\f" or unicodedata.category(ch) != "Cc" for ch in text[:20000]):
        return "text/plain"
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A file name fit for a header and a disk: no path, no controls, the right extension."""
    base = clean_line(name.replace("\\", "/").rsplit("/", 1)[-1], 120)
    stem = "".join(ch if ch.isalnum() or ch in "-_ ." else "_" for ch in base).strip(" .")
    stem = (stem.rsplit(".", 1)[0] if "." in stem else stem).strip(" .")
    return f"{(stem or 'attachment')[:100]}{EXTENSIONS.get(content_type, '')}"


def _text(
    cleaned: Cleaned, name: str, value: str, limit: int, required: bool, block: bool = False
) -> str:
    """Check one text value; record an error code if it is missing or too long."""
    raw = value or ""
    text = clean_block(raw) if block else clean_line(raw, limit)
    if required and not text:
        cleaned.errors[name] = "required"
    elif len(text) > limit:
        cleaned.errors[name] = "too_long"
    return text


def _field(cleaned: Cleaned, spec: FieldSpec, values: Mapping[str, str]) -> None:
    """Check one of the type's own (non-file) fields."""
    raw = values.get(spec.name, "") or ""
    required = spec.is_required(values)
    if spec.kind == "checkbox":
        cleaned.fields[spec.name] = "yes" if raw in ("1", "on", "yes", "true") else ""
        if required and not cleaned.fields[spec.name]:
            cleaned.errors[spec.name] = "required"
        return
    if spec.kind == "select":
        text = clean_line(raw, 200)
        cleaned.fields[spec.name] = text
        if text and text not in {o.value for o in spec.options}:
            cleaned.errors[spec.name] = "bad_choice"
        elif required and not text:
            cleaned.errors[spec.name] = "required"
        return
    block = spec.kind == "long_text"
    text = _text(cleaned, spec.name, raw, spec.max_length, required, block)
    cleaned.fields[spec.name] = text
    if spec.kind == "email" and text and spec.name not in cleaned.errors:
        email = normal_email(text)
        if email is None:
            cleaned.errors[spec.name] = "bad_email"
        else:
            cleaned.fields[spec.name] = email


def _files(cleaned: Cleaned, rtype: RequestType, uploads: list[Upload], max_bytes: int) -> None:
    """Check uploads by content and size; each file field holds one file."""
    specs = {f.name: f for f in rtype.fields if f.kind == "file"}
    given = {u.field: u for u in uploads if u.field in specs and u.data}
    for name, spec in specs.items():
        upload = given.get(name)
        if upload is None:
            if spec.is_required(cleaned.fields):
                cleaned.errors[name] = "required"
            continue
        if len(upload.data) > max_bytes:
            cleaned.errors[name] = "file_too_big"
            continue
        content_type = sniff(upload.data)
        allowed = set().union(*(ACCEPTED_TYPES[a] for a in spec.accept))
        if content_type is None or content_type not in allowed:
            cleaned.errors[name] = "file_type"
            continue
        cleaned.files.append(
            CheckedFile(
                field=name,
                filename=safe_filename(upload.filename, content_type),
                content_type=content_type,
                data=upload.data,
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
        )
    if len(cleaned.files) > MAX_FILES:
        cleaned.errors["files"] = "too_many"


def check(
    rtype: RequestType,
    values: Mapping[str, str],
    uploads: list[Upload] | None = None,
    *,
    max_file_bytes: int = 10 * 1024 * 1024,
) -> Cleaned:
    """The submission's cleaned values and an error code for each field that cannot be taken."""
    cleaned = Cleaned()
    cleaned.subject = _text(cleaned, "subject", values.get("subject", ""), MAX_SUBJECT, True)
    cleaned.description = _text(
        cleaned, "description", values.get("description", ""), MAX_LONG_TEXT, True, block=True
    )
    cleaned.name = _text(cleaned, "name", values.get("name", ""), MAX_NAME, False)
    raw_email = clean_line(values.get("email", ""), 254)
    if not raw_email:
        cleaned.errors["email"] = "required"
    else:
        cleaned.email = normal_email(raw_email) or raw_email
        if normal_email(raw_email) is None:
            cleaned.errors["email"] = "bad_email"
    for spec in rtype.fields:
        if spec.kind != "file":
            _field(cleaned, spec, values)
    _files(cleaned, rtype, list(uploads or []), max_file_bytes)
    return cleaned
